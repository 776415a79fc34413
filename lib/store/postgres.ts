/**
 * A collection as a PostgreSQL table of JSONB documents: `id text PRIMARY KEY, data jsonb`, and
 * a generated column for each field an index names (postgres-schema.ts). Tables and columns are
 * created at start, indexes when the service asks; every update is one statement, so a
 * conditional update (`updateMany({ _id, status: "sent" }, …)`) is atomic. The node's pool is
 * shared (postgres-pool).
 */
import type { Pool } from "pg";
import { checkGroupFields, checkSumFields } from "./count-by";
import { type PoolLease, acquirePool, withDdlLock } from "./postgres-pool";
import { findAndCount } from "./page";
import { Params, type Shape, fieldExpression, hasPattern, orderBy, sortKeys, textColumn, updateExpression, where } from "./postgres-query";
import { type Catalog, type Table, addColumns, createIndex, hasColumns, hasIndex, qualifiedName, readCatalog, shapeOf } from "./postgres-schema";
import type { CollectionSpec, CountByRow, FindParams, IndexSpec, Page, Store, StoredDoc, SumByRow } from "./types";

interface Row {
	data: Record<string, unknown>;
}

/** A grouped field: a text column as it is (NULL for null and missing alike), else the jsonb with JSON null made NULL. */
function groupExpression(field: string, shape: Shape): string {
	if (field === "_id") return "to_jsonb(id)";
	return textColumn(field, shape) ?? `NULLIF(${fieldExpression(field, shape)}, 'null'::jsonb)`;
}

export class PostgresStore implements Store {
	readonly backend = "postgres";
	readonly shared = true;
	private lease?: PoolLease;
	private connecting?: Promise<void>;
	/** The table as the catalogs showed it at connect, when no DDL of ours has changed it since. */
	private catalog?: Catalog;

	private readonly collection: string;
	private readonly shape: Shape;

	constructor(
		private readonly url: string,
		private readonly poolSize: number,
		spec: CollectionSpec
	) {
		this.collection = spec.name;
		this.shape = shapeOf(spec);
	}

	/** Every statement goes through here: one made after disconnect fails saying so, not on an undefined lease. */
	private get leased(): PoolLease {
		if (!this.lease) throw new Error(`The '${this.collection}' collection is not connected`);
		return this.lease;
	}

	private get pool(): Pool {
		return this.leased.pool;
	}

	private get table(): string {
		return `"${this.leased.schema}"."${this.collection}"`;
	}

	private where(query: object | undefined, params: Params): string {
		return where(query, params, this.shape);
	}

	private async rows(text: string, values: unknown[]): Promise<Array<Record<string, unknown>>> {
		const result = await this.pool.query<Row>(text, values);
		return result.rows.map(row => row.data);
	}

	init(): void {
		// The collection name is given to the constructor; nothing to take from the service.
	}

	connect(): Promise<void> {
		this.connecting ??= this.open().catch(err => {
			this.connecting = undefined;
			throw err;
		});
		return this.connecting;
	}

	/**
	 * Reads what the table has first, and takes the DDL lock only for what is missing (checked
	 * again under it: another node may have made it meanwhile).
	 */
	private async open(): Promise<void> {
		const lease = await acquirePool({ url: this.url, max: this.poolSize });
		const table: Table = { schema: lease.schema, collection: this.collection, shape: this.shape };
		try {
			const catalog = await readCatalog(lease.pool, table);
			if (hasColumns(catalog, table)) {
				this.catalog = catalog;
			} else {
				await withDdlLock(lease.pool, async client => {
					await client.query(`CREATE TABLE IF NOT EXISTS ${qualifiedName(table)} (id text PRIMARY KEY, data jsonb NOT NULL)`);
					await addColumns(client, table);
				});
				// Replacing a column drops its indexes: what was read before no longer holds.
				this.catalog = undefined;
			}
		} catch (err) {
			await lease.release();
			throw err;
		}
		this.lease = lease;
	}

	async disconnect(): Promise<void> {
		const lease = this.lease;
		this.lease = undefined;
		this.connecting = undefined;
		this.catalog = undefined;
		await lease?.release();
	}

	async ensureIndex(index: IndexSpec): Promise<void> {
		await this.connect();
		const { pool, schema } = this.leased;
		const table: Table = { schema, collection: this.collection, shape: this.shape };
		if (this.catalog && hasIndex(this.catalog, table, index)) return;
		await withDdlLock(pool, client => createIndex(client, table, index));
	}

	/**
	 * A page past the first is found as ids first: skipping rows then reads only an index that
	 * holds the filter, the sort and the id, never the documents skipped.
	 */
	find(params: FindParams): Promise<StoredDoc[]> {
		const p = new Params();
		const order = orderBy(params.sort, this.shape);
		let page = `SELECT ${params.offset ? "id" : "data"} FROM ${this.table} WHERE ${this.where(params.query, p)} ORDER BY ${order}`;
		// As in MongoDB and NeDB, a limit of 0 means none.
		if (params.limit) page += ` LIMIT ${p.add(params.limit)}`;
		if (!params.offset) return this.rows(page, p.values);
		page += ` OFFSET ${p.add(params.offset)}`;
		return this.rows(`SELECT data FROM ${this.table} WHERE id = ANY(ARRAY(${page})) ORDER BY ${order}`, p.values);
	}

	/**
	 * A query without a pattern is served by the indexes (the page from one in sort order, the
	 * count from one alone), both at once. A pattern (a search) is answered by trigram indexes,
	 * which only propose rows: each is read and checked. Then the matches are found once, with
	 * their sort keys, and both the count and the page come from that one pass; apart, the page
	 * would take a second pass, or walk the sort index through every row before the matches
	 * (all of A to G for "garcia").
	 */
	async page(params: FindParams): Promise<Page> {
		if (!hasPattern(params.query)) return findAndCount(this, params);
		const p = new Params();
		const keys = sortKeys(params.sort, this.shape);
		const columns = ["id", ...keys.map((key, i) => `${key.expr} AS k${i}`)].join(", ");
		let page = `SELECT id FROM matches ORDER BY ${[...keys.map((key, i) => `k${i} ${key.direction}`), "id ASC"].join(", ")}`;
		if (params.limit) page += ` LIMIT ${p.add(params.limit)}`;
		if (params.offset) page += ` OFFSET ${p.add(params.offset)}`;
		const result = await this.pool.query<{ total: string; docs: StoredDoc[] | null }>(
			`WITH matches AS MATERIALIZED (SELECT ${columns} FROM ${this.table} WHERE ${this.where(params.query, p)})
			SELECT (SELECT count(*) FROM matches) AS total,
				(SELECT jsonb_agg(data ORDER BY ${orderBy(params.sort, this.shape)}) FROM ${this.table} WHERE id IN (${page})) AS docs`,
			p.values
		);
		return { docs: result.rows[0].docs ?? [], total: Number(result.rows[0].total) };
	}

	async findOne(query: object): Promise<StoredDoc> {
		const p = new Params();
		const [doc] = await this.rows(`SELECT data FROM ${this.table} WHERE ${this.where(query, p)} LIMIT 1`, p.values);
		return doc ?? null;
	}

	async findById(id: string): Promise<StoredDoc> {
		const [doc] = await this.rows(`SELECT data FROM ${this.table} WHERE id = $1`, [String(id)]);
		return doc ?? null;
	}

	findByIds(ids: string[]): Promise<StoredDoc[]> {
		return this.rows(`SELECT data FROM ${this.table} WHERE id = ANY($1::text[])`, [ids.map(String)]);
	}

	async count(params: { query?: object } = {}): Promise<number> {
		const p = new Params();
		const result = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE ${this.where(params.query, p)}`, p.values);
		return Number(result.rows[0].n);
	}

	/** GROUP BY in the database: from an index alone when one leads with the query's fields and holds the grouped ones. */
	async countBy(query: object, fields: string[]): Promise<CountByRow[]> {
		checkGroupFields(fields);
		const p = new Params();
		const keys = fields.map((field, i) => `${groupExpression(field, this.shape)} AS k${i}`);
		const groups = fields.map((_, i) => i + 1);
		// Asking for the groups in index order lets the planner count them along an index, without hashing every row.
		const result = await this.pool.query<Record<string, unknown>>(
			`SELECT ${keys.join(", ")}, count(*) AS n FROM ${this.table} WHERE ${this.where(query, p)} GROUP BY ${groups.join(", ")} ORDER BY ${groups.map(i => `${i} NULLS FIRST`).join(", ")}`,
			p.values
		);
		return result.rows.map(row => ({ ...Object.fromEntries(fields.map((field, i) => [field, row[`k${i}`] ?? null])), count: Number(row.n) }));
	}

	/**
	 * countBy's GROUP BY with a sum per summed path. The path is bound as a text[] for `#>`, which
	 * reads an array position from a part that is a number ("monthDays.0" → {monthDays,0}).
	 */
	async sumBy(query: object, fields: string[], sums: string[]): Promise<SumByRow[]> {
		checkSumFields(fields, sums);
		const p = new Params();
		const keys = fields.map((field, i) => `${groupExpression(field, this.shape)} AS k${i}`);
		const totals = sums.map((sum, i) => {
			const path = `${p.add(sum.split("."))}::text[]`;
			// Only numbers add up: anything else (a string, a missing value) adds nothing.
			return `COALESCE(sum(CASE WHEN jsonb_typeof(data #> ${path}) = 'number' THEN (data #>> ${path})::numeric END), 0) AS s${i}`;
		});
		const groups = fields.map((_, i) => i + 1);
		const result = await this.pool.query<Record<string, unknown>>(
			`SELECT ${[...keys, ...totals].join(", ")}, count(*) AS n FROM ${this.table} WHERE ${this.where(query, p)} GROUP BY ${groups.join(", ")}`,
			p.values
		);
		return result.rows.map(row => ({
			...Object.fromEntries(fields.map((field, i) => [field, row[`k${i}`] ?? null])),
			count: Number(row.n),
			sums: Object.fromEntries(sums.map((sum, i) => [sum, Number(row[`s${i}`])]))
		}));
	}

	async insert(doc: Record<string, unknown>): Promise<StoredDoc> {
		if (typeof doc._id !== "string" || doc._id === "") throw new Error("A document needs a string _id before it is stored");
		const [stored] = await this.rows(`INSERT INTO ${this.table} (id, data) VALUES ($1, $2::jsonb) RETURNING data`, [doc._id, JSON.stringify(doc)]);
		return stored;
	}

	async insertMany(docs: Array<Record<string, unknown>>, options: { handOver?: boolean } = {}): Promise<StoredDoc[]> {
		if (docs.length === 0) return [];
		const values: unknown[] = [];
		const rows = docs.map(doc => {
			if (typeof doc._id !== "string" || doc._id === "") throw new Error("A document needs a string _id before it is stored");
			values.push(doc._id, JSON.stringify(doc));
			return `($${values.length - 1}, $${values.length}::jsonb)`;
		});
		if (options.handOver) {
			// Nothing to send back and parse again.
			await this.pool.query(`INSERT INTO ${this.table} (id, data) VALUES ${rows.join(", ")}`, values);
			return [];
		}
		return this.rows(`INSERT INTO ${this.table} (id, data) VALUES ${rows.join(", ")} RETURNING data`, values);
	}

	async updateMany(query: object, update: object): Promise<number> {
		const p = new Params();
		const set = updateExpression(update, p);
		const result = await this.pool.query(`UPDATE ${this.table} SET data = ${set} WHERE ${this.where(query, p)}`, p.values);
		return result.rowCount ?? 0;
	}

	async updateById(id: string, update: object): Promise<StoredDoc> {
		const p = new Params();
		const set = updateExpression(update, p);
		const [doc] = await this.rows(`UPDATE ${this.table} SET data = ${set} WHERE id = ${p.add(String(id))} RETURNING data`, p.values);
		return doc ?? null;
	}

	async removeMany(query: object): Promise<number> {
		const p = new Params();
		const result = await this.pool.query(`DELETE FROM ${this.table} WHERE ${this.where(query, p)}`, p.values);
		return result.rowCount ?? 0;
	}

	async removeById(id: string): Promise<StoredDoc> {
		const [doc] = await this.rows(`DELETE FROM ${this.table} WHERE id = $1 RETURNING data`, [String(id)]);
		return doc ?? null;
	}

	entityToObject(doc: StoredDoc): StoredDoc {
		return doc;
	}
}
