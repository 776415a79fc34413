/**
 * Mongo-style queries, sorts and updates as PostgreSQL over a `data jsonb` column, with every
 * value a bind parameter. It covers the operators Roster's services use and throws on any
 * other, so a new operator fails loudly in the storage contract suite rather than matching
 * wrongly. The `_id` field maps to the table's primary key column `id`.
 *
 * Written here rather than taken from mongo-query-to-postgres-jsonb: that library inlines
 * values as SQL literals, and its escaping breaks regular expressions (a search for "ann.lee"
 * turns `\.` into `\\.`) and text comparisons of strings holding quotes or backslashes.
 */

export interface Sql {
	text: string;
	values: unknown[];
}

/** Collects bind parameters and answers their placeholders. */
export class Params {
	readonly values: unknown[] = [];

	add(value: unknown): string {
		this.values.push(value);
		return `$${this.values.length}`;
	}

	json(value: unknown): string {
		return `${this.add(JSON.stringify(value ?? null))}::jsonb`;
	}
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COMPARISONS: Record<string, string> = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" };

function pathOf(field: string): string[] {
	const parts = field.split(".");
	for (const part of parts) {
		if (!NAME.test(part)) throw new Error(`Unsupported field name '${field}' in a query`);
	}
	return parts;
}

/**
 * The jsonb expression of a field. Names are checked, not bound, so that a query's expression
 * is the very text of the index created for it (see indexExpression).
 */
export function fieldExpression(field: string): string {
	return "data" + pathOf(field).map(part => `->'${part}'`).join("");
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
	if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof RegExp || value instanceof Date) return false;
	const keys = Object.keys(value);
	return keys.length > 0 && keys.every(key => key.startsWith("$"));
}

/** JSON's type name of a value, as jsonb_typeof says it. */
function jsonType(value: unknown): string {
	if (value instanceof Date) return "string";
	if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return typeof value;
	throw new Error(`Cannot compare with ${JSON.stringify(value)}`);
}

function isNull(expr: string): string {
	return `(${expr} IS NULL OR ${expr} = 'null'::jsonb)`;
}

function equals(expr: string, value: unknown, params: Params, array = false): string {
	if (value === undefined) return "TRUE";
	if (value === null) return isNull(expr);
	// A field declared as an array matches a value it holds, as in MongoDB.
	if (array && !Array.isArray(value)) return `${expr} @> ${params.json([value])}`;
	return `${expr} = ${params.json(value)}`;
}

function isIn(expr: string, values: unknown, params: Params): string {
	if (!Array.isArray(values)) throw new Error("$in and $nin take an array");
	const present = values.filter(v => v !== null && v !== undefined);
	const parts = present.length > 0 ? [`COALESCE(${expr} = ANY(${params.add(present.map(v => JSON.stringify(v)))}::jsonb[]), FALSE)`] : [];
	if (present.length < values.length) parts.push(isNull(expr));
	return parts.length > 0 ? `(${parts.join(" OR ")})` : "FALSE";
}

function matches(expr: string, pattern: RegExp | string, flags: string, params: Params): string {
	const source = pattern instanceof RegExp ? pattern.source : pattern;
	const operator = flags.includes("i") ? "~*" : "~";
	return `(jsonb_typeof(${expr}) = 'string' AND (${expr} #>> '{}') ${operator} ${params.add(source)})`;
}

function operator(expr: string, op: string, value: unknown, all: Record<string, unknown>, params: Params): string {
	switch (op) {
		case "$eq":
			return equals(expr, value, params);
		case "$ne":
			return value === null ? `NOT ${isNull(expr)}` : `${expr} IS DISTINCT FROM ${params.json(value)}`;
		case "$in":
			return isIn(expr, value, params);
		case "$nin":
			return `NOT ${isIn(expr, value, params)}`;
		case "$gt":
		case "$gte":
		case "$lt":
		case "$lte":
			// Like MongoDB, values of another type never compare (jsonb would order them by type).
			return `(jsonb_typeof(${expr}) = '${jsonType(value)}' AND ${expr} ${COMPARISONS[op]} ${params.json(value)})`;
		case "$exists":
			return value ? `${expr} IS NOT NULL` : `${expr} IS NULL`;
		case "$regex":
			return matches(expr, value as RegExp | string, String(all.$options ?? (value instanceof RegExp ? value.flags : "")), params);
		case "$options":
			return "TRUE";
		case "$not":
			return `NOT ${condition(expr, value, params)}`;
		default:
			throw new Error(`Unsupported query operator '${op}'`);
	}
}

function condition(expr: string, value: unknown, params: Params, array = false): string {
	if (value instanceof RegExp) return matches(expr, value, value.flags, params);
	if (isOperatorObject(value)) {
		if (array) throw new Error("Only plain values match an array field");
		const parts = Object.entries(value).map(([op, v]) => operator(expr, op, v, value, params));
		return parts.length === 1 ? parts[0] : `(${parts.join(" AND ")})`;
	}
	return equals(expr, value, params, array);
}

/** `_id` is the primary key: plain equality and lists use its index. */
function idCondition(value: unknown, params: Params): string | undefined {
	if (typeof value === "string") return `id = ${params.add(value)}`;
	if (!isOperatorObject(value) || Object.keys(value).length !== 1) return undefined;
	const [[op, v]] = Object.entries(value);
	if (op === "$ne" && typeof v === "string") return `id <> ${params.add(v)}`;
	if ((op === "$in" || op === "$nin") && Array.isArray(v) && v.every(x => typeof x === "string")) {
		return `${op === "$nin" ? "NOT " : ""}(id = ANY(${params.add(v)}::text[]))`;
	}
	return undefined;
}

/**
 * A WHERE condition for a Mongo-style query object. `arrays` names the fields that hold arrays:
 * a plain value matches them when the array holds it (jsonb cannot tell from the query alone).
 */
export function where(query: object | undefined, params: Params, arrays: readonly string[] = []): string {
	const parts: string[] = [];
	for (const [key, value] of Object.entries(query ?? {})) {
		if (key === "$and" || key === "$or") {
			if (!Array.isArray(value) || value.length === 0) throw new Error(`${key} takes a non-empty array`);
			parts.push(`(${value.map(sub => where(sub, params, arrays)).join(key === "$and" ? " AND " : " OR ")})`);
		} else if (key.startsWith("$")) {
			throw new Error(`Unsupported query operator '${key}'`);
		} else {
			parts.push((key === "_id" && idCondition(value, params)) || condition(fieldExpression(key), value, params, arrays.includes(key)));
		}
	}
	return parts.length === 0 ? "TRUE" : parts.join(" AND ");
}

/** ORDER BY for moleculer-db's sort list ("name", "-createdAt"); the id breaks ties, so pages never overlap. */
export function orderBy(sort: string[] | undefined): string {
	const keys = (sort ?? []).map(field => {
		const descending = field.startsWith("-");
		const expr = fieldExpression(descending ? field.slice(1) : field);
		// Missing and null sort first ascending and last descending, as in MongoDB.
		return `${expr} ${descending ? "DESC NULLS LAST" : "ASC NULLS FIRST"}`;
	});
	return [...keys, "id ASC"].join(", ");
}

/** The new value of `data` for a Mongo-style update ($set, $unset, $inc, $push) or a whole replacement. */
export function updateExpression(update: object, params: Params): string {
	const entries = Object.entries(update);
	if (!entries.some(([key]) => key.startsWith("$"))) {
		const { _id: _ignored, ...replacement } = update as Record<string, unknown>;
		return `jsonb_build_object('_id', id) || ${params.json(replacement)}`;
	}
	let expr = "data";
	for (const [op, fields] of entries) {
		for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
			if (field === "_id") throw new Error("The _id of a document cannot change");
			const path = `${params.add(pathOf(field))}::text[]`;
			switch (op) {
				case "$set":
					if (value !== undefined) expr = `jsonb_set(${expr}, ${path}, ${params.json(value)}, TRUE)`;
					break;
				case "$unset":
					expr = `(${expr} #- ${path})`;
					break;
				case "$inc":
					if (typeof value !== "number" || !Number.isFinite(value)) throw new Error("$inc takes a number");
					expr = `jsonb_set(${expr}, ${path}, to_jsonb(COALESCE((data #>> ${path})::numeric, 0) + ${params.add(value)}::numeric), TRUE)`;
					break;
				case "$push":
					expr = `jsonb_set(${expr}, ${path}, COALESCE(data #> ${path}, '[]'::jsonb) || jsonb_build_array(${params.json(value)}), TRUE)`;
					break;
				default:
					throw new Error(`Unsupported update operator '${op}'`);
			}
		}
	}
	return expr;
}
