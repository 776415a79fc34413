/**
 * The gateway's alias lookup (services/gateway/alias-index.ts) answers what moleculer-web's own
 * scan of every alias answers: the same alias and params for every path, in the list's order,
 * whatever the case of the path, and again after the list changes.
 */
import { AliasIndex, type RoutedAlias } from "../../services/gateway/alias-index";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Alias = require("moleculer-web/src/alias") as new (service: unknown, route: unknown, opts: string, action: string) => RoutedAlias & { action: string };

const route = (path: string) => ({ path, opts: {} });
const api = route("/api/v1");

/** moleculer-web's own resolveAlias (src/index.js): every alias in turn. */
function scan(aliases: readonly RoutedAlias[], url: string, method: string) {
	for (const alias of aliases) {
		if (!alias.isMethod(method)) continue;
		const params = alias.match(url);
		if (params) return { alias, params };
	}
	return false;
}

/** In moleculer-web's optimized order (longest paths first, then fewer params): a specific path before a parameter. */
const aliases = [
	new Alias(null, api, "GET /employees/:id/files/:path*", "employees.files"),
	new Alias(null, api, "GET /employees/:id/history", "employees.history"),
	new Alias(null, api, "GET /employees/me/team", "employees.team"),
	new Alias(null, api, "GET /:tenant/files/:name", "files.get"),
	new Alias(null, api, "GET /employees/directory", "employees.directory"),
	new Alias(null, api, "GET /employees/:id", "employees.get"),
	new Alias(null, api, "* /departments/:id", "org.department"),
	new Alias(null, api, "POST /employees", "employees.hire"),
	new Alias(null, api, "GET /employees", "employees.list"),
	new Alias(null, api, "GET /me", "identity.me"),
	new Alias(null, route("/health"), "GET live", "api.live"),
	new Alias(null, route("/s"), "GET /:code", "shorturl.follow"),
	// A route of its own path-to-regexp options: here a prefix match.
	new Alias(null, { path: "/static", opts: { pathToRegexpOptions: { end: false } } }, "GET /assets", "static.assets")
];

const paths = [
	"/api/v1/employees/e1/history",
	"/api/v1/employees/me/team",
	"/api/v1/employees/directory",
	"/api/v1/employees/e1",
	"/API/V1/Employees/E1",
	"/api/v1/Employees/Directory",
	"/api/v1/employees",
	"/api/v1/acme/files/report.pdf",
	// In the employees' group, yet only the alias that starts with a parameter takes it.
	"/api/v1/employees/files/report.pdf",
	"/api/v1/departments/d1",
	"/api/v1/me",
	"/api/v1/ME",
	"/api/v1",
	"/api",
	"/",
	"/health/live",
	"/s/abc123",
	"/s",
	"/api/v1/employees/e1/history/more",
	"/api/v1/unknown/x",
	"/api/v2/employees/e1",
	"/api//v1/employees/e1",
	"/api/v1/employees/%65",
	"/api/v1/me/",
	"/api/v1/employees/e1/files/a/b/c/d/e/f/g/h",
	"/api/v1/employees/e1/files",
	"/static/assets/app/main.js",
	"/static/assets"
];

describe("the gateway's alias index", () => {
	it("finds the alias and params moleculer-web's scan finds, for every path and method", () => {
		const index = new AliasIndex<RoutedAlias>();
		for (const url of paths) {
			for (const method of ["GET", "POST", "DELETE", "HEAD"]) {
				expect({ url, method, found: index.resolve(aliases, url, method) }).toEqual({ url, method, found: scan(aliases, url, method) });
			}
		}
	});

	it("takes the first alias in the list's order when several match", () => {
		const index = new AliasIndex<RoutedAlias>();
		const found = index.resolve(aliases, "/api/v1/employees/directory", "GET");
		expect(found && (found.alias as unknown as { action: string }).action).toBe("employees.directory");
		const byParam = index.resolve(aliases, "/api/v1/acme/files/a", "GET");
		expect(byParam && byParam.params).toEqual({ tenant: "acme", name: "a" });
	});

	it("follows the list when moleculer-web replaces it or appends to it", () => {
		const index = new AliasIndex<RoutedAlias>();
		const list = [...aliases];
		expect(index.resolve(list, "/api/v1/leave/requests", "GET")).toBe(false);

		list.push(new Alias(null, api, "GET /leave/requests", "leave.list"));
		const appended = index.resolve(list, "/api/v1/leave/requests", "GET");
		expect(appended && (appended.alias as unknown as { action: string }).action).toBe("leave.list");

		const replaced = list.filter(alias => (alias as unknown as { action: string }).action !== "leave.list");
		expect(index.resolve(replaced, "/api/v1/leave/requests", "GET")).toBe(false);
	});
});
