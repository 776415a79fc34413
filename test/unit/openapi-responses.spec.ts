/**
 * Every action a client can reach declares its answers next to its `rest` (openapi.responses):
 * the document would otherwise show "Not documented yet" and the contract test could not hold
 * the action to anything. A new action without them fails here, naming it.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { type ActionSchema, type ServiceSchema, Utils } from "moleculer";
import "../../lib/openapi/types";

const SERVICES = path.resolve(__dirname, "../../services");

/**
 * A schema's actions with those of its mixins (the *.parts/ files, the db mixin), merged as
 * Moleculer merges them: the schema over its mixins, an earlier mixin over a later one, and
 * `false` taking an action away (the db mixin's generic actions).
 */
function actionsOf(schema: Partial<ServiceSchema>): Map<string, ActionSchema> {
	const merged = new Map<string, ActionSchema>();
	const layers = [...(schema.mixins ?? [])].reverse().map(mixin => actionsOf(mixin as Partial<ServiceSchema>));
	const own = new Map(Object.entries(schema.actions ?? {}) as Array<[string, ActionSchema | false]>);
	for (const layer of [...layers, own]) {
		for (const [key, action] of layer) {
			if (action === false) merged.delete(key);
			else if (typeof action === "object" && action !== null) merged.set(key, { ...merged.get(key), ...action });
		}
	}
	return merged;
}

function publishedActions(): Array<{ name: string; action: ActionSchema }> {
	return (
		readdirSync(SERVICES, { recursive: true, encoding: "utf8" })
			.filter(file => file.endsWith(".service.ts"))
			.flatMap(file => {
				// eslint-disable-next-line @typescript-eslint/no-require-imports
				const mod = require(path.join(SERVICES, file));
				const schema = (mod.default ?? mod) as ServiceSchema;
				return [...actionsOf(schema)].map(([key, action]) => ({ name: `${schema.name}.${key}`, action }));
			})
			// Reached through a route: its own `rest`, or an alias of the gateway's (the upload, health, short links).
			.filter(({ action }) => action.rest !== undefined || action.visibility === "published" || action.openapi !== undefined)
	);
}

describe("response schemas next to the actions (openapi.responses)", () => {
	const actions = publishedActions();

	it("finds the actions the API publishes", () => {
		expect(actions.length).toBeGreaterThan(100);
	});

	it("are declared by every action with rest, with at least one success status", () => {
		const missing = actions
			// As the gateway publishes them: with `rest`, and visible outside the cluster.
			.filter(({ action }) => action.rest !== undefined && (action.visibility === undefined || action.visibility === "published"))
			.filter(({ action }) => !Object.keys(action.openapi?.responses ?? {}).some(status => Number(status) >= 200 && Number(status) < 400))
			.map(({ name }) => name);
		expect(missing).toEqual([]);
	});

	it("reach a gateway on another node whole: no object shared between declarations", () => {
		// A node's INFO packet goes through safetyObject, which drops any object it meets twice.
		const declarations = actions.map(({ name, action }) => ({ name, openapi: action.openapi ?? null }));
		expect(Utils.safetyObject(declarations, { maxSafeObjectSize: Infinity } as never)).toEqual(JSON.parse(JSON.stringify(declarations)));
	});

	it("are declared by the actions the gateway routes by alias (upload, health, short links)", () => {
		for (const name of ["imports.uploadEmployees", "api.live", "api.ready", "shorturl.follow"]) {
			const found = actions.find(a => a.name === name);
			expect({ name, declared: Object.keys(found?.action.openapi?.responses ?? {}).length > 0 }).toEqual({ name, declared: true });
		}
	});

	it("declare params that reach a gateway on another node whole: patterns as text, never a RegExp (JSON turns it into {})", () => {
		const regExpsIn = (value: unknown, at: string): string[] => {
			if (value instanceof RegExp) return [at];
			if (typeof value !== "object" || value === null) return [];
			return Object.entries(value).flatMap(([key, inner]) => regExpsIn(inner, `${at}.${key}`));
		};
		expect(actions.flatMap(({ name, action }) => regExpsIn(action.params, name))).toEqual([]);
	});
});
