/**
 * Gives every action a schema in which no object appears twice, before the service is created.
 * An action's schema travels to every other node in the INFO packet, made JSON by Moleculer's
 * utils.safetyObject, which drops any object it meets a second time as if it were a cycle; and
 * Moleculer copies each action with lodash's cloneDeep, which keeps an object used twice within
 * one action one object. So a rule shared by two params (`from: instant, to: instant`) reached
 * the other nodes as one param: the OpenAPI document of a gateway on a cluster lacked `to`,
 * `lastName`, `endDate` and more. Each use gets a copy of its own here. The same holds for
 * answers declared with lib/openapi/responses.ts, which copies them itself.
 */
import type { Middleware, ServiceSchema } from "moleculer";

function isPlainObject(value: object): value is Record<string, unknown> {
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

/** A copy in which each plain object, array and RegExp is a new one; anything else (functions, instances) as it was. */
function unshared(value: unknown, ancestors: Set<object> = new Set()): unknown {
	if (value === null || typeof value !== "object" || ancestors.has(value)) return value;
	if (value instanceof RegExp) return new RegExp(value.source, value.flags);
	if (!Array.isArray(value) && !isPlainObject(value)) return value;
	ancestors.add(value);
	const copy = Array.isArray(value)
		? value.map(item => unshared(item, ancestors))
		: Object.fromEntries(Object.entries(value).map(([key, item]) => [key, unshared(item, ancestors)]));
	ancestors.delete(value);
	return copy;
}

export function UnsharedSchemasMiddleware(): Middleware {
	return {
		name: "UnsharedSchemas",

		serviceCreating(_service: unknown, schema: ServiceSchema) {
			for (const action of Object.values(schema.actions ?? {})) {
				if (!action || typeof action !== "object") continue;
				const def = action as Record<string, unknown>;
				for (const key of Object.keys(def)) def[key] = unshared(def[key]);
			}
		}
	} as unknown as Middleware;
}
