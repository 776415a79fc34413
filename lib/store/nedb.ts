/**
 * NeDB, the embedded default: moleculer-db's MemoryAdapter, in memory or in one file per
 * collection. Its data lives inside one process, so a store of this kind is never shared.
 */
import MoleculerDb from "moleculer-db";
import { checkGroupFields, checkSumFields, groupCounts, groupSums } from "./count-by";
import { type NedbDatastore, compareCompoundKeysFast, compoundInLookups, reindexOnlyChangedKeys } from "./nedb-indexes";
import { findAndCount } from "./page";
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

/** What NeDB's own insert does (@seald-io/nedb 4.1.2, pinned), but for its copies. */
interface NedbInsertInternals {
	timestampData: boolean;
	executor: { pushAsync(task: () => Promise<void>): Promise<void> };
	_insertInCache(docs: object[]): void;
	persistence: { persistNewStateAsync(docs: object[]): Promise<void> };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkObject } = require("@seald-io/nedb/lib/model.js") as { checkObject(doc: object): void };

const MemoryAdapterClass = (MoleculerDb as unknown as { MemoryAdapter: new (options?: { filename: string }) => MemoryAdapter }).MemoryAdapter;

export function createNedbStore(filename?: string): Store {
	const adapter = new MemoryAdapterClass(filename ? { filename } : undefined);
	const updateById = adapter.updateById.bind(adapter);
	const connect = adapter.connect.bind(adapter);
	const find = adapter.find.bind(adapter);
	const insertMany = adapter.insertMany.bind(adapter);
	return Object.assign(adapter, {
		backend: "nedb" as const,
		shared: false,
		async connect(this: MemoryAdapter): Promise<unknown> {
			const loaded = await connect();
			reindexOnlyChangedKeys(this.db as unknown as NedbDatastore);
			return loaded;
		},
		/** A `$in` within a compound index is asked of that index, a lookup per value (nedb-indexes.ts), where no order or page is asked. */
		async find(this: MemoryAdapter, params: FindParams): Promise<unknown[]> {
			const lookups = params.sort?.length || params.limit || params.offset ? null : compoundInLookups(Object.keys(this.db.indexes), params.query);
			if (!lookups) return find(params);
			return (await Promise.all(lookups.map(query => this.db.findAsync(query)))).flat();
		},
		/** NeDB's insert without its two deep copies for documents handed over (types.ts): checked, indexed (all or none) and persisted as it does. */
		async insertMany(this: MemoryAdapter, docs: object[], options: { handOver?: boolean } = {}): Promise<unknown[]> {
			const db = this.db as unknown as NedbInsertInternals;
			if (!options.handOver || db.timestampData || !docs.every(doc => typeof (doc as { _id?: unknown })._id === "string")) return insertMany(docs);
			await db.executor.pushAsync(async () => {
				for (const doc of docs) checkObject(doc);
				db._insertInCache(docs);
				await db.persistence.persistNewStateAsync(docs);
			});
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
			return findAndCount(this, params);
		},
		/** The documents are in this process already: counting them here costs no more than NeDB would. */
		async countBy(this: MemoryAdapter, query: object, fields: string[]): Promise<CountByRow[]> {
			checkGroupFields(fields);
			return groupCounts(await this.find({ query }), fields);
		},
		async sumBy(this: MemoryAdapter, query: object, fields: string[], sums: string[]): Promise<SumByRow[]> {
			checkSumFields(fields, sums);
			return groupSums(await this.find({ query }), fields, sums);
		},
		async ensureIndex(this: MemoryAdapter, index: IndexSpec): Promise<void> {
			// NeDB has no index for patterns: a search scans the collection in memory anyway.
			if (index.search) return;
			const fields = Object.keys(index.fields);
			await this.db.ensureIndex({ fieldName: fields.length === 1 ? fields[0] : fields, unique: !!index.unique, sparse: !!index.sparse });
			compareCompoundKeysFast(this.db as unknown as NedbDatastore);
		}
	});
}
