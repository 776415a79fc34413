/**
 * The storage contract every data service relies on: the part of a moleculer-db adapter that
 * Roster uses, plus index creation. One adapter per backend lives beside this file; the
 * factory in index.ts picks one from the configuration, so services never name a backend.
 */

/**
 * An index over one or more fields, in order, each ascending (1) or descending (-1), as in
 * MongoDB. Lead with the fields a query matches exactly (the tenant first), then the ones it
 * sorts by, then `_id`, which breaks ties in every sort: such an index serves
 * `WHERE tenantId = … ORDER BY lastName, firstName` and its LIMIT without sorting the tenant.
 * `search` asks for an index that serves case-insensitive "contains" patterns (a RegExp) on
 * its fields, where the backend has one: on PostgreSQL, one column holding the fields'
 * lower-cased text under a pg_trgm index (postgres-query.ts, SearchColumn), so a collection has
 * at most one. Elsewhere it is skipped.
 */
/**
 * A stored document as a backend hands it back. Collections are schemaless to the store; each
 * service names the type of what it reads (`const doc: LeaveRequestDoc | null = await …`), so
 * the store answers a type that takes any such annotation.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: the caller's annotation is the type
export type StoredDoc = any;

export interface IndexSpec {
	fields: Record<string, 1 | -1>;
	unique?: boolean;
	search?: boolean;
	/**
	 * Documents without the (single) field stay out of the index where the backend can leave them
	 * out (NeDB, MongoDB): an index over a field most documents lack, such as the outbox's, then
	 * costs nothing to the documents that lack it (NeDB keeps every document of one key in one
	 * list, which each write of any of them scans).
	 */
	sparse?: boolean;
	/**
	 * A compound index whose fields after the exact ones (the tenant) are only ever compared or
	 * sorted by, never matched to one value: `at` of a time range, a directory's sort order.
	 * PostgreSQL and MongoDB use it for those; NeDB uses a compound index only for a query that
	 * gives every one of its fields one value, never for such a query, so it does not build one
	 * (each insert would add to a tree that no read ever consults).
	 */
	ordered?: boolean;
}

export interface CollectionSpec {
	name: string;
	indexes?: IndexSpec[];
	/** Fields holding arrays that queries match by element ({ interviewerIds: id }), as MongoDB does. */
	arrays?: string[];
	/**
	 * Fields that always hold a string, or null: ids, names, ISO dates. PostgreSQL keeps an
	 * indexed one as a text column, which compares, sorts and groups several times faster than jsonb.
	 */
	strings?: string[];
}

export interface FindParams {
	query?: object;
	sort?: string[];
	limit?: number;
	offset?: number;
}

/** One group of a countBy: the grouped fields' values (null for a missing one) and how many documents have them. */
export type CountByRow = Record<string, unknown> & { count: number };

/** One group of a sumBy: a countBy row, and the total of each summed field (0 where none of the group's documents holds a number). */
export type SumByRow = CountByRow & { sums: Record<string, number> };

/** A page of documents in order, and how many documents match in all. */
export interface Page {
	docs: StoredDoc[];
	total: number;
}

export interface Store {
	/** Which backend this is, for logs and readiness. */
	readonly backend: "nedb" | "mongodb" | "postgres";
	/** True when every node that opens this collection sees the same data (not NeDB). */
	readonly shared: boolean;
	find(params: FindParams): Promise<StoredDoc[]>;
	findOne(query: object): Promise<StoredDoc>;
	findById(id: string): Promise<StoredDoc>;
	findByIds(ids: string[]): Promise<StoredDoc[]>;
	count(params?: { query?: object }): Promise<number>;
	/** One page of the documents that match (find's parameters), and the exact number that match in all. */
	page(params: FindParams): Promise<Page>;
	/**
	 * How many documents match the query, per distinct combination of the fields' values (a
	 * missing value and null are one group, null), counted by the database where it can: the
	 * documents never leave it. Groups come in no particular order.
	 */
	countBy(query: object, fields: string[]): Promise<CountByRow[]>;
	/**
	 * countBy, and per group the total of each of `sums`: numeric fields, dotted paths whose parts
	 * may be array positions ("monthDays.0"). A value that is not a number adds nothing. Summed
	 * by the database where it can, as countBy counts.
	 */
	sumBy(query: object, fields: string[], sums: string[]): Promise<SumByRow[]>;
	/** With `handOver`, as insertMany's: the store may keep the very object, and answers it. */
	insert(doc: object, options?: { handOver?: boolean }): Promise<StoredDoc>;
	/**
	 * Inserts the documents in one statement, answering them as stored. All or none on NeDB and
	 * PostgreSQL; MongoDB inserts them in order up to the first it refuses. A unique violation is
	 * thrown as insert throws it.
	 *
	 * With `handOver`, the caller gives the documents up: it built them for this insert and
	 * neither changes them after nor wants them back, so the store may keep those very objects
	 * (NeDB copies a document on the way in and again on the way out) and answers [].
	 */
	insertMany(docs: object[], options?: { handOver?: boolean }): Promise<StoredDoc[]>;
	/** Applies a Mongo-style update to every match in one atomic statement; answers how many changed. */
	updateMany(query: object, update: object): Promise<number>;
	/** Applies a Mongo-style update and answers the document as it is after it, or null. */
	updateById(id: string, update: object): Promise<StoredDoc>;
	removeMany(query: object): Promise<number>;
	removeById(id: string): Promise<StoredDoc>;
	entityToObject(doc: StoredDoc): StoredDoc;
	/** Creates the index unless it exists; a unique one refuses a second document with the same values. */
	ensureIndex(index: IndexSpec): Promise<void>;
	init(broker: unknown, service: unknown): void;
	connect(): Promise<unknown>;
	disconnect(): Promise<unknown> | void;
}

/** A write refused because it would break a unique index, on any backend. */
export function isUniqueViolation(err: unknown): boolean {
	const e = err as { code?: number | string; errorType?: string } | null;
	return e?.code === 11000 || e?.code === "23505" || e?.errorType === "uniqueViolated";
}
