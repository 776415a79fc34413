/**
 * Mongo-style queries, sorts and updates as PostgreSQL over a `data jsonb` column, with every
 * value a bind parameter. It covers the operators Roster's services use and throws on any
 * other, so a new operator fails loudly in the storage contract suite rather than matching
 * wrongly. The `_id` field maps to the table's primary key column `id`, and a field that the
 * table keeps as a column of its own (see Shape) to that column.
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

/**
 * What a query needs to know of its table. `columns` are the top-level fields the table also
 * keeps as generated columns (postgres-schema.ts): a query reads those instead of `data`, so an
 * index over them can answer it alone (an index-only scan, which PostgreSQL never does for an
 * index over expressions). A "text" column holds the text of a string, NULL for anything else,
 * for fields the collection declares as strings: text compares, sorts and groups several times
 * faster than jsonb. `arrays` are fields holding arrays that a plain value matches by element.
 */
export interface Shape {
	columns: ReadonlyMap<string, "jsonb" | "text">;
	arrays: readonly string[];
	search?: SearchColumn;
}

/**
 * The column that serves a collection's search index: the lower-cased text of the fields it
 * names, one per line, with one trigram index. A search for a word in any of those fields is
 * then one LIKE on one column: one index scan and one cheap check of each row it proposes,
 * where a regular expression per field took four index scans and up to four regular
 * expressions a row (the page of a term one employee in nine has, of 100,000: 26-31 ms of
 * database time before, 23-24 ms after; most of what is left is reading the matching rows).
 */
export interface SearchColumn {
	column: string;
	fields: readonly string[];
}

export const NO_SHAPE: Shape = { columns: new Map(), arrays: [] };

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
 * The jsonb expression of a field: its column when the table keeps it as jsonb, else its path
 * in `data`. Names are checked, not bound, so that a query's expression is the very text of the
 * index created for it (postgres-schema.ts).
 */
export function fieldExpression(field: string, shape: Shape): string {
	if (shape.columns.get(field) === "jsonb") return `"${field}"`;
	return (
		"data" +
		pathOf(field)
			.map(part => `->'${part}'`)
			.join("")
	);
}

/** The text column of a field declared as a string, if the table has one. */
export function textColumn(field: string, shape: Shape): string | undefined {
	return shape.columns.get(field) === "text" ? `"${field}"` : undefined;
}

/** The text of a field holding a string, NULL otherwise: what patterns match, and what a search index holds. */
export function textExpression(field: string, shape: Shape): string {
	const expr = fieldExpression(field, shape);
	return textColumn(field, shape) ?? jsonText(expr);
}

/** A field's expression in ORDER BY, GROUP BY and indexes: the text column of a string field, else the jsonb. */
export function keyExpression(field: string, shape: Shape): string {
	return textColumn(field, shape) ?? fieldExpression(field, shape);
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

/** One comparison of the text with the pattern, so that a trigram index on the text serves it (a NULL, no string, never matches). */
/** The text of a jsonb expression holding a string, NULL otherwise. */
const jsonText = (expr: string) => `(CASE WHEN jsonb_typeof(${expr}) = 'string' THEN ${expr} #>> '{}' END)`;

function matches(text: string, pattern: RegExp | string, flags: string, params: Params): string {
	const source = pattern instanceof RegExp ? pattern.source : pattern;
	const operator = flags.includes("i") ? "~*" : "~";
	return `${text} ${operator} ${params.add(source)}`;
}

/**
 * The text a regular expression matches literally, as services escape a user's word
 * ("ann\\.lee" → "ann.lee"); undefined for a real pattern, an empty one, or one spanning lines
 * (the search column's separator).
 */
function literalOf(pattern: RegExp): string | undefined {
	if (!/^i?$/.test(pattern.flags)) return undefined;
	const source = pattern.source;
	let text = "";
	for (let i = 0; i < source.length; i++) {
		let char = source[i];
		if (char === "\\") {
			char = source[++i];
			// \d, \b, \1 and the like are classes, anchors and references, not characters.
			if (char === undefined || /[A-Za-z0-9]/.test(char)) return undefined;
		} else if (".*+?^${}()|[]".includes(char)) {
			return undefined;
		}
		text += char;
	}
	return text === "" || text.includes("\n") ? undefined : text;
}

/** The search column contains the text, in any case: what an index on it answers. */
function searchContains(search: SearchColumn, text: string, params: Params): string {
	const escaped = text.replace(/[\\%_]/g, "\\$&");
	return `"${search.column}" LIKE ('%' || lower(${params.add(escaped)}) || '%')`;
}

/**
 * `$or` of one case-insensitive word over exactly the search column's fields: the column alone
 * decides it (no word can span two fields: it holds no line break).
 */
function searchCondition(branches: unknown[], search: SearchColumn, params: Params): string | undefined {
	let text: string | undefined;
	const fields = new Set<string>();
	for (const branch of branches) {
		if (branch === null || typeof branch !== "object") return undefined;
		const entries = Object.entries(branch);
		if (entries.length !== 1) return undefined;
		const [[field, value]] = entries;
		if (!(value instanceof RegExp) || value.flags !== "i" || !search.fields.includes(field) || fields.has(field)) return undefined;
		const literal = literalOf(value);
		if (literal === undefined || (text !== undefined && literal !== text)) return undefined;
		text = literal;
		fields.add(field);
	}
	return text !== undefined && fields.size === search.fields.length ? searchContains(search, text, params) : undefined;
}

/**
 * A word in one of the search column's fields is also in the column: the condition gains a
 * check the column's index answers (alone when the column holds that field only).
 */
function withSearchColumn(key: string, value: unknown, decided: string, shape: Shape, params: Params): string {
	const search = shape.search;
	if (!search?.fields.includes(key) || !(value instanceof RegExp)) return decided;
	if (search.fields.length === 1) return searchCondition([{ [key]: value }], search, params) ?? decided;
	const literal = literalOf(value);
	return literal === undefined ? decided : `(${decided} AND ${searchContains(search, literal, params)})`;
}

const flagsOf = (value: unknown, all: Record<string, unknown>) => String(all.$options ?? (value instanceof RegExp ? value.flags : ""));

const isStrings = (values: unknown): values is string[] => Array.isArray(values) && values.every(v => typeof v === "string");

/**
 * A condition on the text column of a string field, for the values a text comparison decides
 * exactly (strings, patterns); undefined for any other, which then reads the jsonb instead.
 */
function textCondition(column: string, value: unknown, params: Params): string | undefined {
	if (typeof value === "string") return `${column} = ${params.add(value)}`;
	if (value instanceof RegExp) return matches(column, value, value.flags, params);
	if (!isOperatorObject(value)) return undefined;
	const parts: string[] = [];
	for (const [op, v] of Object.entries(value)) {
		if (op === "$options") continue;
		if (op === "$regex" && (typeof v === "string" || v instanceof RegExp)) parts.push(matches(column, v, flagsOf(v, value), params));
		else if (op === "$eq" && typeof v === "string") parts.push(`${column} = ${params.add(v)}`);
		else if (op === "$ne" && typeof v === "string") parts.push(`${column} IS DISTINCT FROM ${params.add(v)}`);
		else if (op in COMPARISONS && typeof v === "string") parts.push(`${column} ${COMPARISONS[op]} ${params.add(v)}`);
		else if ((op === "$in" || op === "$nin") && isStrings(v)) {
			const found = `COALESCE(${column} = ANY(${params.add(v)}::text[]), FALSE)`;
			parts.push(op === "$in" ? found : `NOT ${found}`);
		} else return undefined;
	}
	return parts.length === 1 ? parts[0] : `(${parts.join(" AND ")})`;
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
			return matches(jsonText(expr), value as RegExp | string, flagsOf(value, all), params);
		case "$options":
			return "TRUE";
		case "$not":
			// A condition that is NULL (a missing field, no string for a pattern) is false, so its negation holds, as in MongoDB.
			return `NOT COALESCE(${condition(expr, value, params)}, FALSE)`;
		default:
			throw new Error(`Unsupported query operator '${op}'`);
	}
}

function condition(expr: string, value: unknown, params: Params, array = false): string {
	if (value instanceof RegExp) return matches(jsonText(expr), value, value.flags, params);
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
 * A WHERE condition for a Mongo-style query object. A plain value matches a field the shape
 * names as an array when the array holds it (jsonb cannot tell from the query alone).
 */
export function where(query: object | undefined, params: Params, shape: Shape = NO_SHAPE): string {
	const parts: string[] = [];
	for (const [key, value] of Object.entries(query ?? {})) {
		if (key === "$and" || key === "$or") {
			if (!Array.isArray(value) || value.length === 0) throw new Error(`${key} takes a non-empty array`);
			const searched = key === "$or" && shape.search ? searchCondition(value, shape.search, params) : undefined;
			parts.push(searched ?? `(${value.map(sub => where(sub, params, shape)).join(key === "$and" ? " AND " : " OR ")})`);
		} else if (key.startsWith("$")) {
			throw new Error(`Unsupported query operator '${key}'`);
		} else {
			const text = textColumn(key, shape);
			const decided =
				(key === "_id" && idCondition(value, params)) ||
				(text && textCondition(text, value, params)) ||
				condition(fieldExpression(key, shape), value, params, shape.arrays.includes(key));
			parts.push(withSearchColumn(key, value, decided, shape, params));
		}
	}
	return parts.length === 0 ? "TRUE" : parts.join(" AND ");
}

export interface SortKey {
	expr: string;
	/** Missing and null sort first ascending and last descending, as in MongoDB. */
	direction: "ASC NULLS FIRST" | "DESC NULLS LAST";
}

/** The keys of moleculer-db's sort list ("name", "-createdAt"), without the tie-break. */
export function sortKeys(sort: string[] | undefined, shape: Shape = NO_SHAPE): SortKey[] {
	return (sort ?? []).map(field => {
		const descending = field.startsWith("-");
		return { expr: keyExpression(descending ? field.slice(1) : field, shape), direction: descending ? "DESC NULLS LAST" : "ASC NULLS FIRST" };
	});
}

/**
 * ORDER BY for a sort list; the id breaks ties, so pages never overlap. An index over the same
 * fields, ascending ones NULLS FIRST, gives this order without sorting (postgres-schema.ts).
 */
export function orderBy(sort: string[] | undefined, shape: Shape = NO_SHAPE): string {
	return [...sortKeys(sort, shape).map(key => `${key.expr} ${key.direction}`), "id ASC"].join(", ");
}

/** Does the query match a pattern anywhere (a RegExp or $regex, as searches do)? */
export function hasPattern(query: unknown): boolean {
	if (query instanceof RegExp) return true;
	if (query === null || typeof query !== "object") return false;
	return Object.entries(query).some(([key, value]) => key === "$regex" || hasPattern(value));
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
				case "$push": {
					// { $each: [...] } appends several values, as on MongoDB and NeDB.
					const each = value !== null && typeof value === "object" && "$each" in value ? (value as { $each: unknown[] }).$each : undefined;
					const added = each ? params.json(each) : `jsonb_build_array(${params.json(value)})`;
					expr = `jsonb_set(${expr}, ${path}, COALESCE(data #> ${path}, '[]'::jsonb) || ${added}, TRUE)`;
					break;
				}
				default:
					throw new Error(`Unsupported update operator '${op}'`);
			}
		}
	}
	return expr;
}
