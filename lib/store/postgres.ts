/**
 * A collection as a PostgreSQL table of JSONB documents: `id text PRIMARY KEY, data jsonb`.
 * Tables are created at start; indexes are expression indexes on the same jsonb paths the
 * queries use, unique ones included; every update is one statement, so a conditional update
 * (`updateMany({ _id, status: "sent" }, …)`) is atomic. The node's pool is shared (postgres-pool).
 */
import { createHash } from "node:crypto";
import type { Pool } from "pg";
import { type PoolLease, acquirePool, withDdlLock } from "./postgres-pool";
import { Params, fieldExpression, orderBy, updateExpression, where } from "./postgres-query";
import type { FindParams, IndexSpec, Store } from "./types";

interface Row {
	data: Record<string, unknown>;
}

export class PostgresStore implements Store {
	readonly backend = "postgres";
	readonly shared = true;
	private lease?: PoolLease;
	private connecting?: Promise<void>;

	constructor(
		private readonly url: string,
		private readonly poolSize: number,
		private readonly collection: string,
		private readonly arrays: readonly string[] = []
	) {}

	private get pool(): Pool {
		if (!this.lease) throw new Error(`The '${this.collection}' collection is not connected`);
		return this.lease.pool;
	}

	private get table(): string {
		return `"${this.lease!.schema}"."${this.collection}"`;
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

	private async open(): Promise<void> {
		const lease = await acquirePool({ url: this.url, max: this.poolSize });
		try {
			await withDdlLock(lease.pool, client =>
				client.query(`CREATE TABLE IF NOT EXISTS "${lease.schema}"."${this.collection}" (id text PRIMARY KEY, data jsonb NOT NULL)`)
			);
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
		await lease?.release();
	}

	async ensureIndex(index: IndexSpec): Promise<void> {
		await this.connect();
		const fields = Object.keys(index.fields);
		const expressions = fields.map(field => (field === "_id" ? "id" : `(${fieldExpression(field)})`));
		// Index names are at most 63 bytes: a hash of what is indexed keeps them unique and stable.
		const digest = createHash("sha1").update(`${this.collection}:${fields.join(",")}:${!!index.unique}`).digest("hex").slice(0, 12);
		const name = `${this.collection.slice(0, 40)}_${index.unique ? "uq" : "ix"}_${digest}`;
		await withDdlLock(this.pool, client =>
			client.query(`CREATE ${index.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS "${name}" ON ${this.table} (${expressions.join(", ")})`)
		);
	}

	find(params: FindParams): Promise<any[]> {
		const p = new Params();
		let text = `SELECT data FROM ${this.table} WHERE ${where(params.query, p, this.arrays)} ORDER BY ${orderBy(params.sort)}`;
		// As in MongoDB and NeDB, a limit of 0 means none.
		if (params.limit) text += ` LIMIT ${p.add(params.limit)}`;
		if (params.offset) text += ` OFFSET ${p.add(params.offset)}`;
		return this.rows(text, p.values);
	}

	async findOne(query: object): Promise<any> {
		const p = new Params();
		const [doc] = await this.rows(`SELECT data FROM ${this.table} WHERE ${where(query, p, this.arrays)} LIMIT 1`, p.values);
		return doc ?? null;
	}

	async findById(id: string): Promise<any> {
		const [doc] = await this.rows(`SELECT data FROM ${this.table} WHERE id = $1`, [String(id)]);
		return doc ?? null;
	}

	findByIds(ids: string[]): Promise<any[]> {
		return this.rows(`SELECT data FROM ${this.table} WHERE id = ANY($1::text[])`, [ids.map(String)]);
	}

	async count(params: { query?: object } = {}): Promise<number> {
		const p = new Params();
		const result = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE ${where(params.query, p, this.arrays)}`, p.values);
		return Number(result.rows[0].n);
	}

	async insert(doc: Record<string, unknown>): Promise<any> {
		if (typeof doc._id !== "string" || doc._id === "") throw new Error("A document needs a string _id before it is stored");
		const [stored] = await this.rows(`INSERT INTO ${this.table} (id, data) VALUES ($1, $2::jsonb) RETURNING data`, [doc._id, JSON.stringify(doc)]);
		return stored;
	}

	async updateMany(query: object, update: object): Promise<number> {
		const p = new Params();
		const set = updateExpression(update, p);
		const result = await this.pool.query(`UPDATE ${this.table} SET data = ${set} WHERE ${where(query, p, this.arrays)}`, p.values);
		return result.rowCount ?? 0;
	}

	async updateById(id: string, update: object): Promise<any> {
		const p = new Params();
		const set = updateExpression(update, p);
		const [doc] = await this.rows(`UPDATE ${this.table} SET data = ${set} WHERE id = ${p.add(String(id))} RETURNING data`, p.values);
		return doc ?? null;
	}

	async removeMany(query: object): Promise<number> {
		const p = new Params();
		const result = await this.pool.query(`DELETE FROM ${this.table} WHERE ${where(query, p, this.arrays)}`, p.values);
		return result.rowCount ?? 0;
	}

	async removeById(id: string): Promise<any> {
		const [doc] = await this.rows(`DELETE FROM ${this.table} WHERE id = $1 RETURNING data`, [String(id)]);
		return doc ?? null;
	}

	entityToObject(doc: any): any {
		return doc;
	}
}
