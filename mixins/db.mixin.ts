/**
 * Storage for a data service. The adapter comes from the environment (MongoDB when MONGO_URI
 * is set, NeDB otherwise: in memory, or in files under DATA_DIR), so service code never names
 * one. Ids are UUID strings on both, which makes them behave the same everywhere. Besides its
 * main collection (this.adapter), a service may own further collections, reached with
 * this.store(name). Indexes are created at start; failing to create one is logged, not fatal.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Service, ServiceSchema } from "moleculer";
import MoleculerDb from "moleculer-db";
import MongoDbAdapter from "moleculer-db-adapter-mongo";
import { bumpGeneration } from "../lib/cache-generation";
import { config } from "../lib/config";
import { ConflictError } from "../lib/errors";
import { CacheCleanerMixin } from "./cache-cleaner.mixin";

export interface IndexSpec {
	fields: Record<string, 1 | -1>;
	unique?: boolean;
}

export interface CollectionSpec {
	name: string;
	indexes?: IndexSpec[];
}

/** The part of a moleculer-db adapter that Roster uses; both adapters implement it. */
export interface Store {
	find(params: { query?: object; sort?: string[]; limit?: number; offset?: number }): Promise<any[]>;
	findOne(query: object): Promise<any>;
	findById(id: string): Promise<any>;
	findByIds(ids: string[]): Promise<any[]>;
	count(params?: { query?: object }): Promise<number>;
	insert(doc: object): Promise<any>;
	updateMany(query: object, update: object): Promise<number>;
	updateById(id: string, update: object): Promise<any>;
	removeMany(query: object): Promise<number>;
	removeById(id: string): Promise<any>;
	entityToObject(doc: any): any;
	init(broker: unknown, service: unknown): void;
	connect(): Promise<unknown>;
	disconnect(): Promise<unknown> | void;
}

export interface DbMethods {
	store(name: string): Store;
	newId(): string;
	/** Runs an insert/update, turning a unique-index violation into a 409 naming the field. */
	unique<T>(field: string, write: () => Promise<T>): Promise<T>;
	/** Answers when the storage is reachable; rejects otherwise. */
	pingStorage(): Promise<void>;
	/** Reports a write (caches, generations, entity hooks) and answers what was written. */
	saved<T>(ctx: unknown, type: "created" | "updated" | "removed", json: T): Promise<T>;
	/** Removes a document, reports it, and answers 204 No Content. */
	removed(ctx: { meta: { $statusCode?: number } }, store: Store, id: string, json: unknown): Promise<null>;
}

export type DbService = Service & DbMethods & { adapter: Store };

/** The mixin's own view of its service: the collections it opened besides the main one. */
type Owner = DbService & { stores: Map<string, Store> };

function createAdapter(collection: string): Store {
	const { mongoUri, dataDir } = config();
	if (mongoUri) return new MongoDbAdapter(mongoUri) as unknown as Store;
	if (dataDir) return new MoleculerDb.MemoryAdapter({ filename: path.join(dataDir, `${collection}.db`) }) as unknown as Store;
	return new MoleculerDb.MemoryAdapter() as unknown as Store;
}

function isUniqueViolation(err: unknown): boolean {
	const e = err as { code?: number; errorType?: string } | null;
	return e?.code === 11000 || e?.errorType === "uniqueViolated";
}

async function ensureIndexes(service: { logger: Service["logger"] }, adapter: Store, indexes: IndexSpec[] = []): Promise<void> {
	const raw = adapter as unknown as {
		collection?: { createIndex(fields: object, opts: object): Promise<unknown> };
		db?: { ensureIndex(opts: object): Promise<unknown> };
	};
	for (const index of indexes) {
		const fields = Object.keys(index.fields);
		try {
			if (raw.collection) {
				await raw.collection.createIndex(index.fields, { unique: !!index.unique });
			} else if (raw.db) {
				await raw.db.ensureIndex({ fieldName: fields.length === 1 ? fields[0] : fields, unique: !!index.unique });
			}
		} catch (err) {
			service.logger.warn(`Could not create index on ${fields.join("+")}:`, (err as Error).message);
		}
	}
}

/** The generic moleculer-db actions take client-built queries; none of them is published. */
const NO_GENERIC_ACTIONS = {
	list: false, find: false, count: false, get: false, create: false, insert: false, update: false, remove: false
} as const;

export function DbMixin(serviceName: string, main: CollectionSpec, extra: CollectionSpec[] = []): Partial<ServiceSchema> {
	return {
		mixins: [MoleculerDb, CacheCleanerMixin([serviceName])],
		collection: main.name,
		settings: { idField: "_id" },
		actions: {
			...(NO_GENERIC_ACTIONS as unknown as ServiceSchema["actions"]),
			/** Readiness: the gateway's /health/ready calls every service's storageReady. */
			storageReady: {
				visibility: "public",
				async handler(this: DbService): Promise<{ ok: true }> {
					await this.pingStorage();
					return { ok: true };
				}
			}
		},

		methods: {
			store(this: Owner, name: string): Store {
				const store = this.stores.get(name);
				if (!store) throw new Error(`${this.fullName} owns no collection '${name}'`);
				return store;
			},

			newId(): string {
				return randomUUID();
			},

			async unique<T>(field: string, write: () => Promise<T>): Promise<T> {
				try {
					return await write();
				} catch (err) {
					if (isUniqueViolation(err)) throw new ConflictError(`${field} is already taken`, { field });
					throw err;
				}
			},

			async pingStorage(this: DbService): Promise<void> {
				await this.adapter.count({ query: {} });
			},

			async saved<T>(this: DbService, ctx: unknown, type: "created" | "updated" | "removed", json: T): Promise<T> {
				await this.entityChanged(type, json, ctx);
				return json;
			},

			async removed(this: DbService, ctx: { meta: { $statusCode?: number } }, store: Store, id: string, json: unknown): Promise<null> {
				await store.removeById(id);
				await this.saved(ctx, "removed", json);
				ctx.meta.$statusCode = 204;
				return null;
			},

			/** Before the write returns, results derived from this service's data go stale. */
			async entityChanged(this: DbService, type: string, json: unknown, ctx?: { meta?: { user?: { tenantId?: string } | null } }) {
				await bumpGeneration(this.broker.cacher, this.fullName, ctx?.meta?.user?.tenantId);
				return (MoleculerDb as unknown as ServiceSchema).methods!.entityChanged.call(this, type, json, ctx);
			}
		},

		// A fresh adapter per service instance: a schema may be started by several brokers (tests).
		merged(schema: ServiceSchema & { adapter?: Store }) {
			schema.adapter = createAdapter(main.name);
		},

		created(this: Service) {
			const self = this as Owner;
			self.stores = new Map();
			for (const spec of extra) {
				const adapter = createAdapter(spec.name);
				// The mongo adapter reads its collection name from the owning schema.
				adapter.init(self.broker, { schema: { collection: spec.name }, logger: self.logger });
				self.stores.set(spec.name, adapter);
			}
		},

		async started(this: Service) {
			const self = this as Owner;
			await ensureIndexes(self, self.adapter, main.indexes);
			for (const spec of extra) {
				const store = self.stores.get(spec.name)!;
				await store.connect();
				await ensureIndexes(self, store, spec.indexes);
			}
		},

		async stopped(this: Service) {
			for (const store of (this as Owner).stores.values()) await store.disconnect();
		}
	};
}
