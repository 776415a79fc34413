/**
 * The API reference: GET /api/openapi.json documents every route the gateway holds (with the
 * Bearer scheme where a token is needed, tags per context, the error answers that apply),
 * passes a standard OpenAPI validator, and follows the registry: a service that joins with
 * routes of its own appears in it. Runs in one process and on the cluster (cluster-integration).
 */
import type { ServiceSchema } from "moleculer";
import request from "supertest";
import { json } from "../../lib/openapi/responses";
import { closed, str } from "../../lib/openapi/schemas";
import { CONTEXT_TAGS } from "../../lib/openapi/tags";
import { type RunningSystem, startRoomySystem } from "../support/local-system";
import { swaggerParserErrors } from "../support/openapi";

type Doc = {
	openapi: string;
	tags: Array<{ name: string }>;
	paths: Record<
		string,
		Record<
			string,
			{
				tags: string[];
				security: unknown[];
				parameters?: Array<{ name: string; in: string }>;
				requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; required?: string[] } }> };
				responses: Record<string, unknown>;
			}
		>
	>;
};

describe("the OpenAPI document", () => {
	let system: RunningSystem;
	let doc: Doc;

	beforeAll(async () => {
		system = await startRoomySystem();
		const res = await request(system.url).get("/api/openapi.json");
		expect(res.status).toBe(200);
		doc = res.body;
	}, 60_000);
	afterAll(() => system?.stop());

	it("is valid OpenAPI 3.1 by @apidevtools/swagger-parser", async () => {
		expect(doc.openapi).toBe("3.1.0");
		expect(await swaggerParserErrors(doc)).toBeNull();
	});

	it("holds every route the gateway routes, tagged by bounded context", async () => {
		const aliases: Array<{ actionName: string; fullPath: string; methods: string }> = await system.broker.call("api.listAliases");
		const routed = aliases.filter(a => a.actionName && !["api.openapi"].includes(a.actionName));
		expect(routed.length).toBeGreaterThan(100);
		for (const alias of routed) {
			const path = alias.fullPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
			expect({ route: `${alias.methods} ${path}`, documented: !!doc.paths[path]?.[alias.methods.toLowerCase()] }).toEqual({
				route: `${alias.methods} ${path}`,
				documented: true
			});
		}
		const tags = doc.tags.map(t => t.name);
		expect(tags).toEqual(CONTEXT_TAGS.map(t => t.name));
		expect(doc.paths["/api/v1/leave-requests/{id}/approve"].post.tags).toEqual(["leave"]);
		expect(doc.paths["/s/{code}"].get.tags).toEqual(["short links"]);
	});

	it("asks for the Bearer token where one is needed, and for none on public routes", () => {
		for (const [path, method] of [
			["/api/v1/auth/signup", "post"],
			["/health/live", "get"],
			["/s/{code}", "get"]
		]) {
			expect({ path, security: doc.paths[path][method].security }).toEqual({ path, security: [] });
			expect(doc.paths[path][method].responses).not.toHaveProperty("401");
		}
		// A login needs no token; its 401 is a wrong password, which it declares itself.
		expect(doc.paths["/api/v1/auth/login"].post.security).toEqual([]);
		const employees = doc.paths["/api/v1/employees"].get;
		expect(employees.security).toEqual([{ bearerAuth: [] }]);
		expect(Object.keys(employees.responses)).toEqual(expect.arrayContaining(["200", "401", "403", "405", "422", "429", "503"]));
	});

	it("documents path and query parameters, and the JSON body of a write from the action's params", () => {
		const update = doc.paths["/api/v1/employees/{id}"].patch;
		expect(update.parameters).toEqual([expect.objectContaining({ name: "id", in: "path" })]);
		const body = update.requestBody!.content["application/json"].schema;
		expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(["firstName", "departmentId", "hireDate"]));
		expect(body.properties).not.toHaveProperty("id");
		const list = doc.paths["/api/v1/leave-requests"].get;
		expect(list.parameters!.map(p => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(["query:page", "query:status", "query:employeeId"]));
		const signupBody = doc.paths["/api/v1/auth/signup"].post.requestBody!.content["application/json"].schema;
		expect(signupBody.required).toEqual(expect.arrayContaining(["company", "email", "password"]));
		expect(doc.paths["/api/v1/imports/employees"].post.requestBody!.content).toHaveProperty("text/csv");
	});

	it("keeps the patterns a field must match, also where the action lives on another node than the gateway", () => {
		// On the cluster the rules arrive in the data node's INFO packet, as JSON.
		const hire = doc.paths["/api/v1/employees"].post.requestBody!.content["application/json"].schema;
		const hireDate = hire.properties.hireDate as { pattern?: string };
		expect(new RegExp(hireDate.pattern!).test("2026-02-28")).toBe(true);
		expect(new RegExp(hireDate.pattern!).test("28/02/2026")).toBe(false);
		const auditQuery = doc.paths["/api/v1/audit"].get.parameters as unknown as Array<{ name: string; schema: { pattern?: string } }>;
		expect(auditQuery.find(p => p.name === "from")?.schema.pattern).toEqual(expect.any(String));
		// `to` has the very rule object of `from` (middlewares/unshared-schemas.middleware.ts), and so has `lastName` of `firstName`.
		expect(auditQuery.find(p => p.name === "to")?.schema.pattern).toEqual(expect.any(String));
		expect(hire.required).toEqual(expect.arrayContaining(["firstName", "lastName", "workEmail", "hireDate"]));
	});

	it("serves the docs page and its files from the gateway, under a CSP that allows nothing from elsewhere", async () => {
		const page = await request(system.url).get("/api/docs");
		expect(page.status).toBe(200);
		expect(page.headers["content-type"]).toMatch(/^text\/html/);
		expect(page.headers["content-security-policy"]).toMatch(/script-src 'self';/);
		expect(page.text).toContain('src="/api/docs/swagger-ui-bundle.js"');
		const bundle = await request(system.url).get("/api/docs/swagger-ui-bundle.js");
		expect(bundle.status).toBe(200);
		expect(bundle.headers["content-type"]).toMatch(/^text\/javascript/);
		// Only the page's own files: nothing else of the package, nothing outside it.
		expect((await request(system.url).get("/api/docs/package.json")).status).toBe(404);
		expect((await request(system.url).get("/api/docs/..%2F..%2Fpackage.json")).status).toBe(404);
		// Names every object has are no file of the page either.
		for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
			expect((await request(system.url).get(`/api/docs/${name}`)).status).toBe(404);
		}
	});

	it("adds the routes of a service that joins later", async () => {
		const probe: ServiceSchema = {
			name: "docsProbe",
			settings: { rest: "/" },
			actions: {
				hello: {
					rest: "GET /docs-probe/hello",
					auth: {},
					params: { $$strict: true, name: { type: "string", optional: true } },
					openapi: { responses: { 200: json(closed({ greeting: str })) } },
					handler: () => ({ greeting: "hello" })
				}
			}
		};
		expect(doc.paths).not.toHaveProperty(["/api/v1/docs-probe/hello"]);
		system.broker.createService(probe);
		try {
			const deadline = Date.now() + 15_000;
			let fresh: Doc;
			do {
				await new Promise(resolve => setTimeout(resolve, 200));
				fresh = (await request(system.url).get("/api/openapi.json")).body;
			} while (!fresh.paths["/api/v1/docs-probe/hello"] && Date.now() < deadline);
			expect(fresh.paths["/api/v1/docs-probe/hello"].get).toMatchObject({ tags: ["docsProbe"], security: [{ bearerAuth: [] }] });
			expect(fresh.tags.map(t => t.name)).toContain("docsProbe");
		} finally {
			await system.broker.destroyService("docsProbe");
		}
	}, 30_000);
});
