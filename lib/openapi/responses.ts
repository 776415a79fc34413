/**
 * Builders of the success answers actions declare (`openapi.responses`). Each returns a fresh
 * copy of the schema with no object shared: Moleculer drops any object it meets twice when it
 * sends a node's services to the others (utils.safetyObject), so a shared piece (`str`, a
 * reused entity) would vanish from the declaration a gateway on another node reads.
 */
import type { JsonSchema } from "./fastest-validator";
import type { ResponseSpec } from "./types";

const unshared = (schema: JsonSchema): JsonSchema => JSON.parse(JSON.stringify(schema));

export function json(schema: JsonSchema, description = "OK"): ResponseSpec {
	return { description, content: { "application/json": { schema: unshared(schema) } } };
}

export function csv(description = "A CSV file"): ResponseSpec {
	return { description, content: { "text/csv": { schema: { type: "string" } } } };
}

export function noContent(description = "Done; no body"): ResponseSpec {
	return { description };
}

/** A report: JSON, or with format=csv the same figures as a CSV file. */
export function jsonOrCsv(schema: JsonSchema, description = "The report; with format=csv, as a CSV file"): ResponseSpec {
	return { description, content: { "application/json": { schema: unshared(schema) }, "text/csv": { schema: { type: "string" } } } };
}
