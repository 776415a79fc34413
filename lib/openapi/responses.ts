/** Builders of the success answers actions declare (`openapi.responses`). */
import type { JsonSchema } from "./fastest-validator";
import type { ResponseSpec } from "./types";

export function json(schema: JsonSchema, description = "OK"): ResponseSpec {
	return { description, content: { "application/json": { schema } } };
}

export function csv(description = "A CSV file"): ResponseSpec {
	return { description, content: { "text/csv": { schema: { type: "string" } } } };
}

export function noContent(description = "Done; no body"): ResponseSpec {
	return { description };
}

/** A report: JSON, or with format=csv the same figures as a CSV file. */
export function jsonOrCsv(schema: JsonSchema, description = "The report; with format=csv, as a CSV file"): ResponseSpec {
	return { description, content: { "application/json": { schema }, "text/csv": { schema: { type: "string" } } } };
}
