/**
 * A collection's table as PostgreSQL keeps it: `id text PRIMARY KEY, data jsonb`, plus a stored
 * generated column, named as the field, for every top-level field an index names (text for the
 * fields the collection declares as strings, jsonb for the others), and the indexes over them.
 *
 * Why columns: PostgreSQL answers a query from an index alone (an index-only scan) only when
 * every column the query reads is in the index, and it never counts `data->'tenantId'` as such,
 * even with an index over that very expression. Counting a tenant's 100,000 employees, or
 * skipping 50,000 of them to reach a deep page, then reads every row from the heap. Over
 * columns the same work stays in the index (figures in docs/benchmarks.md).
 */
import { createHash } from "node:crypto";
import type { Pool, PoolClient } from "pg";
import { NO_SHAPE, type SearchColumn, type Shape, keyExpression, textExpression } from "./postgres-query";
import type { CollectionSpec, IndexSpec } from "./types";

/** A column is named as its field; the table's own columns' names are not free. */
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TAKEN = new Set(["id", "data", "_id"]);

/**
 * Which fields of the collection are columns (every top-level field an index names), and of
 * what kind: text for the fields the collection declares as strings, jsonb for the others.
 */
export function shapeOf(spec: CollectionSpec): Shape {
	const columns = new Map<string, "jsonb" | "text">();
	for (const index of spec.indexes ?? []) {
		for (const field of Object.keys(index.fields)) {
			if (COLUMN.test(field) && !TAKEN.has(field)) columns.set(field, spec.strings?.includes(field) ? "text" : "jsonb");
		}
	}
	const searches = (spec.indexes ?? []).filter(index => index.search);
	if (searches.length > 1) throw new Error(`The '${spec.name}' collection declares ${searches.length} search indexes; it may have one`);
	return { columns, arrays: spec.arrays ?? [], ...(searches.length === 1 && { search: searchColumn(Object.keys(searches[0].fields)) }) };
}

/** A search column is named after its fields ("$" is never a field's): a changed search index gets a new one. */
const SEARCH_PREFIX = "$search_";

function searchColumn(fields: string[]): SearchColumn {
	const digest = createHash("sha1").update(fields.join(",")).digest("hex").slice(0, 12);
	return { column: `${SEARCH_PREFIX}${digest}`, fields };
}

function columnDefinition(field: string, kind: "jsonb" | "text"): string {
	const value = kind === "text" ? `CASE WHEN jsonb_typeof(data->'${field}') = 'string' THEN data->>'${field}' END` : `data->'${field}'`;
	return `"${field}" ${kind} GENERATED ALWAYS AS (${value}) STORED`;
}

/**
 * Read from `data`: a generated column cannot read another. Each field's text (none for a
 * value that is no string) on a line of its own, so no word of a search spans two fields.
 */
function searchColumnDefinition(search: SearchColumn): string {
	const lines = search.fields.map(field => `coalesce(${textExpression(field, NO_SHAPE)}, '')`);
	return `"${search.column}" text GENERATED ALWAYS AS (lower(${lines.join(" || E'\\n' || ")})) STORED`;
}

/** Where an index lives: the table, its schema (for DROP INDEX) and the collection's name (for index names). */
export interface Table {
	schema: string;
	collection: string;
	shape: Shape;
}

export const qualifiedName = (table: Table) => `"${table.schema}"."${table.collection}"`;

/**
 * What the database already holds for one table, read from the catalogs in one statement and
 * without the DDL lock: a start against an up-to-date schema then takes no lock at all. Nodes
 * used to take the database-wide lock for every table and every index even when all existed,
 * one node at a time, which made a data node's start 10 s or more under load.
 */
export interface Catalog {
	/** The table's columns and their types (none when the table does not exist). */
	columns: Map<string, string>;
	/** The names of the table's indexes. */
	indexes: Set<string>;
	/** Where pg_trgm is installed, if it is. */
	trigrams?: string;
}

export async function readCatalog(pool: Pool, table: Table): Promise<Catalog> {
	const { rows } = await pool.query<{ columns: Array<[string, string]>; indexes: string[]; trigrams: string | null }>(
		`SELECT
			(SELECT coalesce(json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod))), '[]')
				FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
			(SELECT coalesce(json_agg(indexname), '[]') FROM pg_indexes WHERE schemaname = $2 AND tablename = $3) AS indexes,
			(SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm') AS trigrams`,
		[qualifiedName(table), table.schema, table.collection]
	);
	const row = rows[0];
	return { columns: new Map(row.columns), indexes: new Set(row.indexes), trigrams: row.trigrams ?? undefined };
}

/** The table exists with every column of its shape, of the right kind: nothing for openTable to do. */
export function hasColumns(catalog: Catalog, table: Table): boolean {
	const { columns, search } = table.shape;
	const searchColumns = [...catalog.columns.keys()].filter(name => name.startsWith(SEARCH_PREFIX));
	const searchAsSpecified = search ? searchColumns.length === 1 && catalog.columns.get(search.column) === "text" : searchColumns.length === 0;
	return catalog.columns.has("data") && searchAsSpecified && [...columns].every(([field, kind]) => catalog.columns.get(field) === kind);
}

/**
 * Adds the columns the table lacks (and replaces one whose kind changed, with its indexes, which
 * ensureIndex then makes again), all in one statement: adding a stored column rewrites the table
 * once, under an exclusive lock. A table that has them all is not locked at all.
 */
export async function addColumns(client: PoolClient, table: Table): Promise<void> {
	const { rows } = await client.query<{ column_name: string; data_type: string }>(
		"SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
		[table.schema, table.collection]
	);
	const present = new Map(rows.map(row => [row.column_name, row.data_type]));
	const clauses: string[] = [];
	for (const [field, kind] of table.shape.columns) {
		if (present.get(field) === kind) continue;
		if (present.has(field)) clauses.push(`DROP COLUMN "${field}"`);
		clauses.push(`ADD COLUMN ${columnDefinition(field, kind)}`);
	}
	const search = table.shape.search;
	// A search column of other fields goes, with its index.
	for (const name of present.keys()) if (name.startsWith(SEARCH_PREFIX) && name !== search?.column) clauses.push(`DROP COLUMN "${name}"`);
	if (search && !present.has(search.column)) clauses.push(`ADD COLUMN ${searchColumnDefinition(search)}`);
	if (clauses.length > 0) await client.query(`ALTER TABLE ${qualifiedName(table)} ${clauses.join(", ")}`);
}

/** Index names are at most 63 bytes: a digest of what is indexed keeps them unique and stable. */
function indexName(table: Table, kind: string, keys: string): string {
	return `${table.collection.slice(0, 40)}_${kind}_${createHash("sha1").update(`${table.collection}:${kind}:${keys}`).digest("hex").slice(0, 12)}`;
}

/** The name an earlier version gave the index of this spec (over expressions, without the id): it is replaced. */
function legacyName(table: Table, index: IndexSpec): string {
	const digest = createHash("sha1")
		.update(`${table.collection}:${Object.keys(index.fields).join(",")}:${!!index.unique}`)
		.digest("hex")
		.slice(0, 12);
	return `${table.collection.slice(0, 40)}_${index.unique ? "uq" : "ix"}_${digest}`;
}

/** An index spec's statements, and the index names they make and drop. */
interface IndexWork {
	made: string[];
	gone: string[];
	statements: string[];
}

/**
 * A B-tree whose keys sort as orderBy sorts (ascending NULLS FIRST, descending NULLS LAST), so
 * one ending with `_id` (the tie-break of every sort) serves `tenantId = … ORDER BY …` and its
 * LIMIT, and hands a deep page its ids from the index alone. One without it holds each distinct
 * key once (B-tree deduplication): counting or grouping a tenant's rows by it reads little.
 */
function btree(table: Table, index: IndexSpec): IndexWork {
	const keys = Object.entries(index.fields).map(([field, direction]) => {
		// The id is never NULL, but the planner matches NULLS FIRST/LAST all the same: as orderBy says it.
		if (field === "_id") return direction === -1 ? "id DESC" : "id ASC";
		const expr = table.shape.columns.has(field) ? keyExpression(field, table.shape) : `(${keyExpression(field, table.shape)})`;
		return `${expr} ${direction === -1 ? "DESC NULLS LAST" : "ASC NULLS FIRST"}`;
	});
	const columns = `(${keys.join(", ")})`;
	const kind = index.unique ? "uq" : "ix";
	const name = indexName(table, kind, columns);
	const legacy = legacyName(table, index);
	return {
		made: [name],
		gone: [legacy],
		statements: [
			`CREATE ${index.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS "${name}" ON ${qualifiedName(table)} ${columns}`,
			`DROP INDEX IF EXISTS "${table.schema}"."${legacy}"`
		]
	};
}

/** The schema holding pg_trgm, creating the extension unless it is there; a clear error where it cannot be. */
async function trigramSchema(client: PoolClient): Promise<string> {
	const find = () =>
		client.query<{ schema: string }>(
			"SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
		);
	let { rows } = await find();
	if (rows.length === 0) {
		try {
			await client.query("CREATE EXTENSION IF NOT EXISTS pg_trgm");
		} catch (err) {
			throw new Error(
				`search indexes need the pg_trgm extension, which this database cannot create (${(err as Error).message}); searches read the whole table instead`
			);
		}
		({ rows } = await find());
	}
	return rows[0].schema;
}

/**
 * One trigram index (GIN) over the search column, pg_trgm's operator class named with the
 * schema it is in: a case-insensitive "contains" pattern is then an index lookup. It replaces
 * the index per field that earlier versions made.
 */
function trigrams(table: Table, index: IndexSpec, schema: string): IndexWork {
	const search = table.shape.search;
	if (search?.column !== searchColumn(Object.keys(index.fields)).column) {
		throw new Error(`A search index of '${table.collection}' must be the one its collection declares (CollectionSpec.indexes)`);
	}
	const columns = `("${search.column}" "${schema}".gin_trgm_ops)`;
	const name = indexName(table, "tg", columns);
	const gone = search.fields.map(field => indexName(table, "tg", `(${textExpression(field, table.shape)} "${schema}".gin_trgm_ops)`));
	return {
		made: [name],
		gone,
		statements: [
			`CREATE INDEX IF NOT EXISTS "${name}" ON ${qualifiedName(table)} USING gin ${columns}`,
			...gone.map(legacy => `DROP INDEX IF EXISTS "${table.schema}"."${legacy}"`)
		]
	};
}

/** The catalog already has every index of the spec, and none it replaces: createIndex would change nothing. */
export function hasIndex(catalog: Catalog, table: Table, index: IndexSpec): boolean {
	if (index.search && !catalog.trigrams) return false;
	const work = index.search ? trigrams(table, index, catalog.trigrams!) : btree(table, index);
	return work.made.every(name => catalog.indexes.has(name)) && !work.gone.some(name => catalog.indexes.has(name));
}

/** Creates the index unless it exists, in the caller's transaction (postgres-pool's withDdlLock). */
export async function createIndex(client: PoolClient, table: Table, index: IndexSpec): Promise<void> {
	const work = index.search ? trigrams(table, index, await trigramSchema(client)) : btree(table, index);
	for (const statement of work.statements) await client.query(statement);
}
