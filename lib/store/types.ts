/**
 * The storage contract every data service relies on: the part of a moleculer-db adapter that
 * Roster uses, plus index creation. One adapter per backend lives beside this file; the
 * factory in index.ts picks one from the configuration, so services never name a backend.
 */

export interface IndexSpec {
	fields: Record<string, 1 | -1>;
	unique?: boolean;
}

export interface CollectionSpec {
	name: string;
	indexes?: IndexSpec[];
	/** Fields holding arrays that queries match by element ({ interviewerIds: id }), as MongoDB does. */
	arrays?: string[];
}

export interface FindParams {
	query?: object;
	sort?: string[];
	limit?: number;
	offset?: number;
}

export interface Store {
	/** Which backend this is, for logs and readiness. */
	readonly backend: "nedb" | "mongodb" | "postgres";
	/** True when every node that opens this collection sees the same data (not NeDB). */
	readonly shared: boolean;
	find(params: FindParams): Promise<any[]>;
	findOne(query: object): Promise<any>;
	findById(id: string): Promise<any>;
	findByIds(ids: string[]): Promise<any[]>;
	count(params?: { query?: object }): Promise<number>;
	insert(doc: object): Promise<any>;
	/** Applies a Mongo-style update to every match in one atomic statement; answers how many changed. */
	updateMany(query: object, update: object): Promise<number>;
	/** Applies a Mongo-style update and answers the document as it is after it, or null. */
	updateById(id: string, update: object): Promise<any>;
	removeMany(query: object): Promise<number>;
	removeById(id: string): Promise<any>;
	entityToObject(doc: any): any;
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
