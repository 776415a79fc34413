/**
 * NeDB, the embedded default: moleculer-db's MemoryAdapter, in memory or in one file per
 * collection. Its data lives inside one process, so a store of this kind is never shared.
 */
import MoleculerDb from "moleculer-db";
import { checkGroupFields, checkSumFields, groupCounts, groupSums } from "./count-by";
import { type NedbDatastore, compareKeysFast, compoundInLookups, reindexOnlyChangedKeys } from "./nedb-indexes";
import { asStored, copyDocumentsFast } from "./nedb-copy";
import { model } from "./nedb-model";
import { type NedbCursorInternals, pageInOnePass, readMatching } from "./nedb-reads";
import type { CountByRow, FindParams, IndexSpec, Page, Store, SumByRow } from "./types";

type MemoryAdapter = Omit<Store, "backend" | "shared" | "ensureIndex" | "countBy" | "sumBy" | "page"> & {
	db: {
		ensureIndex(options: { fieldName: string | string[]; unique: boolean; sparse: boolean }): Promise<unknown>;
		indexes: Record<string, unknown>;
		findAsync(query: object): PromiseLike<unknown[]>;
		findOneAsync(query: object): PromiseLike<unknown>;
		countAsync(query: object): PromiseLike<number>;
	};
};

/** What NeDB's own find does with an index, for the compound lookups (@seald-io/nedb 4.1.2, pinned). */
interface NedbReadInternals {
	indexes: Record<string, { getMatching(key: unknown): object[] }>;
	ttlIndexes: Record<string, number>;
	executor: { pushAsync<T>(task: () => Promise<T>): Promise<T> };
}

/** What NeDB's own insert does (@seald-io/nedb 4.1.2, pinned), but for its copies. */
interface NedbInsertInternals {
	timestampData: boolean;
	executor: { pushAsync(task: () => Promise<void>): Promise<void> };
	_insertInCache(docs: object | object[]): void;
	persistence: { persistNewStateAsync(docs: object[]): Promise<void> };
}
type Doc = Record<string, unknown>;
copyDocumentsFast();
const { deepCopy, match } = model;

/**
 * NeDB applies an update to a deep copy of the whole document, and checks every field of the
 * copy: the outbox relay's clear of a hire copied the employee with both its events only to drop
 * them. Applied to the fields the update names, NeDB's own modify gives the same document
 * (its modifiers, checks and errors), and the others are the stored document's own values:
 * a stored document is never changed in place (every update goes through here, and reads and
 * handed-over inserts copy or are given up), so the old and new versions may share them. A field
 * that is only unset is not copied at all. A replacement (no `$` modifiers) is NeDB's as before.
 */
function modifyNamedFieldsOnly(): void {
	const modify = model.modify;
	model.modify = (doc, update) => {
		const modifiers = Object.keys(update);
		if (modifiers.length === 0 || !modifiers.every(m => m[0] === "$")) return modify(doc, update);
		const named = new Map<string, boolean>();
		for (const m of modifiers) {
			for (const path of Object.keys(update[m] as object)) {
				const field = path.split(".", 1)[0];
				// Its value is needed unless the update only removes the whole field.
				named.set(field, !!named.get(field) || m !== "$unset" || field !== path);
			}
		}
		const part: Doc = { _id: doc._id };
		for (const [field, valueNeeded] of named) if (Object.hasOwn(doc, field)) part[field] = valueNeeded ? doc[field] : true;
		const changed = modify(part, update);
		// Spreads, not a store per field, so the new version is a fast object as the old one was (nedb-copy.ts).
		const next: Doc = { ...doc, ...changed };
		const unset = [...named.keys()].filter(field => !Object.hasOwn(changed, field) && Object.hasOwn(doc, field));
		if (unset.length === 0) return next;
		// `delete` would make a dictionary of it: copy what is kept instead.
		const kept: Doc = {};
		for (const field in next) if (!unset.includes(field)) kept[field] = next[field];
		return asStored(kept);
	};
}
modifyNamedFieldsOnly();

/** NeDB's rule for a field name (its model.js checkKey, which it does not export). */
function checkKey(key: string, value: unknown): void {
	if (
		key[0] === "$" &&
		!(key === "$$date" && typeof value === "number") &&
		!(key === "$$deleted" && value === true) &&
		key !== "$$indexCreated" &&
		key !== "$$indexRemoved"
	)
		throw new Error("Field names cannot begin with the $ character");
	if (key.includes(".")) throw new Error("Field names cannot contain a .");
}

/**
 * NeDB's checkObject, in one pass: it checks each array twice (as an array, then as an object
 * of its positions), so an outbox of events with their changes was walked over and over.
 */
function checkKeys(value: unknown): void {
	if (typeof value !== "object" || value === null) return;
	if (Array.isArray(value)) {
		for (const item of value) checkKeys(item);
		return;
	}
	for (const key in value) {
		if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
		const v = (value as Record<string, unknown>)[key];
		checkKey(key, v);
		checkKeys(v);
	}
}

/**
 * NeDB's insert of documents handed over (types.ts), without its two deep copies: checked,
 * indexed (all or none) and persisted as NeDB does. False, having done nothing, where NeDB's own
 * insert must do it (a document without its _id, timestamps to add).
 */
async function insertHandedOver(db: NedbInsertInternals, docs: object | object[]): Promise<boolean> {
	const all = Array.isArray(docs) ? docs : [docs];
	if (db.timestampData || !all.every(doc => typeof (doc as { _id?: unknown })._id === "string")) return false;
	await db.executor.pushAsync(async () => {
		for (const doc of all) checkKeys(doc);
		const stored = all.map(asStored);
		db._insertInCache(stored);
		await db.persistence.persistNewStateAsync(stored);
	});
	return true;
}

const MemoryAdapterClass = (MoleculerDb as unknown as { MemoryAdapter: new (options?: { filename: string }) => MemoryAdapter }).MemoryAdapter;

export function createNedbStore(filename?: string): Store {
	const adapter = new MemoryAdapterClass(filename ? { filename } : undefined);
	const updateById = adapter.updateById.bind(adapter);
	const connect = adapter.connect.bind(adapter);
	const find = adapter.find.bind(adapter);
	const insert = adapter.insert.bind(adapter);
	const insertMany = adapter.insertMany.bind(adapter);
	return Object.assign(adapter, {
		backend: "nedb" as const,
		shared: false,
		async connect(this: MemoryAdapter): Promise<unknown> {
			const loaded = await connect();
			reindexOnlyChangedKeys(this.db as unknown as NedbDatastore);
			compareKeysFast(this.db as unknown as NedbDatastore);
			return loaded;
		},
		/** A `$in` within a compound index is asked of that index, a lookup per value (nedb-indexes.ts), where no order or page is asked. */
		async find(this: MemoryAdapter, params: FindParams): Promise<unknown[]> {
			const lookups = params.sort?.length || params.limit || params.offset ? null : compoundInLookups(Object.keys(this.db.indexes), params.query);
			if (!lookups) return find(params);
			const db = this.db as unknown as NedbReadInternals;
			const fields = Object.keys(lookups[0] ?? {});
			const index = db.indexes[[...fields].sort().join()];
			if (!index || Object.keys(db.ttlIndexes).length > 0) return (await Promise.all(lookups.map(query => this.db.findAsync(query)))).flat();
			// One task on NeDB's queue for all the values rather than a cursor each (an import asks hundreds per chunk).
			return db.executor.pushAsync(async () => {
				const found: unknown[] = [];
				for (const query of lookups) for (const doc of index.getMatching(query)) if (match(doc, query)) found.push(deepCopy(doc));
				return found;
			});
		},
		async insert(this: MemoryAdapter, doc: object, options: { handOver?: boolean } = {}): Promise<unknown> {
			if (!options.handOver || !(await insertHandedOver(this.db as unknown as NedbInsertInternals, doc))) return insert(doc);
			return doc;
		},
		async insertMany(this: MemoryAdapter, docs: object[], options: { handOver?: boolean } = {}): Promise<unknown[]> {
			if (!options.handOver || !(await insertHandedOver(this.db as unknown as NedbInsertInternals, docs))) return insertMany(docs);
			return [];
		},
		// NeDB 4's own promises: the adapter's promisified callbacks wrap NeDB's callbackified
		// promises, two layers of wrapping for each of the reads every request makes.
		async findOne(this: MemoryAdapter, query: object): Promise<unknown> {
			return this.db.findOneAsync(query);
		},
		async findById(this: MemoryAdapter, id: string): Promise<unknown> {
			return this.db.findOneAsync({ _id: id });
		},
		async count(this: MemoryAdapter, params: { query?: object } = {}): Promise<number> {
			return this.db.countAsync(params.query ?? {});
		},
		// NeDB answers undefined for a missing document; the contract says null, as the others do.
		async updateById(id: string, update: object): Promise<unknown> {
			return (await updateById(id, update)) ?? null;
		},
		page(this: MemoryAdapter, params: FindParams): Promise<Page> {
			return pageInOnePass(this.db as unknown as NedbCursorInternals, params);
		},
		/** The documents are in this process already: counting them here costs no more than NeDB would. */
		async countBy(this: MemoryAdapter, query: object, fields: string[]): Promise<CountByRow[]> {
			checkGroupFields(fields);
			return readMatching(this.db as unknown as NedbCursorInternals, query, docs => groupCounts(docs, fields));
		},
		async sumBy(this: MemoryAdapter, query: object, fields: string[], sums: string[]): Promise<SumByRow[]> {
			checkSumFields(fields, sums);
			return readMatching(this.db as unknown as NedbCursorInternals, query, docs => groupSums(docs, fields, sums));
		},
		async ensureIndex(this: MemoryAdapter, index: IndexSpec): Promise<void> {
			const fields = Object.keys(index.fields);
			// NeDB has no index for patterns (a search scans the collection in memory anyway), nor reads
			// a compound index for comparisons or sorts (types.ts).
			if (index.search || (index.ordered && fields.length > 1)) return;
			await this.db.ensureIndex({ fieldName: fields.length === 1 ? fields[0] : fields, unique: !!index.unique, sparse: !!index.sparse });
			compareKeysFast(this.db as unknown as NedbDatastore);
		}
	});
}
