/**
 * Schema pieces shared by the response declarations: scalars, the list envelope and the error
 * body. A context's own entities live beside its model (lib/<context>/openapi.ts).
 */
import type { JsonSchema } from "./fastest-validator";

export const str: JsonSchema = { type: "string" };
export const nullableStr: JsonSchema = { type: ["string", "null"] };
export const int: JsonSchema = { type: "integer" };
export const num: JsonSchema = { type: "number" };
export const bool: JsonSchema = { type: "boolean" };
/** An ISO 8601 timestamp as the stores write it. */
export const timestamp: JsonSchema = { type: "string", format: "date-time" };
export const nullableTimestamp: JsonSchema = { type: ["string", "null"], format: "date-time" };
/** A calendar date, YYYY-MM-DD. */
export const day: JsonSchema = { type: "string", format: "date" };
export const nullableDay: JsonSchema = { type: ["string", "null"], format: "date" };
export const enumeration = (values: readonly string[]): JsonSchema => ({ type: "string", enum: [...values] });
export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: "array", items });

/**
 * A closed object: every field named, `optional` ones may be absent, the rest are always sent.
 * An answer with a field the schema does not name fails the contract test.
 */
export function closed(properties: Record<string, JsonSchema>, optional: readonly string[] = []): JsonSchema {
	return {
		type: "object",
		properties,
		required: Object.keys(properties).filter(key => !optional.includes(key)),
		additionalProperties: false
	};
}

/** moleculer-db's list shape (lib/pagination.ts). */
export function page(row: JsonSchema): JsonSchema {
	return closed({ rows: arrayOf(row), total: int, page: int, pageSize: int, totalPages: int });
}

/**
 * Every error body (services/gateway/http-errors.ts). `type` stays an open string: new kinds
 * of error may appear without breaking a client that switches on the known ones.
 */
export const ErrorBody: JsonSchema = closed(
	{
		name: str,
		message: str,
		code: int,
		type: str,
		data: {}
	},
	["data"]
);
