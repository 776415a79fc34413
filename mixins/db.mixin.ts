/**
 * Storage for a data service. The store comes from the environment through lib/store
 * (PostgreSQL for DATABASE_URL, MongoDB for MONGO_URI, NeDB otherwise), so service code never
 * names one. Ids are UUID strings everywhere, which makes them behave the same on every store.
 * Besides its main collection (this.adapter), a service may own further collections, reached
 * with this.store(name). Indexes are created at start; failing to create one is logged, not fatal.
 */
import { randomUUID } from "node:crypto";
import type { Service, ServiceSchema } from "moleculer";
import MoleculerDb from "moleculer-db";
import { bumpGeneration } from "../lib/cache-generation";
import type { Config } from "../lib/config";
import { ConflictError, NodeNotReadyError } from "../lib/errors";
import { type CollectionSpec, type IndexSpec, type Store, createStore, isUniqueViolation } from "../lib/store";
import { CacheCleanerMixin } from "./cache-cleaner.mixin";

export type { CollectionSpec, IndexSpec, Store };

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

async function ensureIndexes(service: { logger: Service["logger"] }, store: Store, indexes: IndexSpec[] = []): Promise<void> {
	for (const index of indexes) {
		try {
			await store.ensureIndex(index);
		} catch (err) {
			service.logger.warn(`Could not create index on ${Object.keys(index.fields).join("+")}:`, (err as Error).message);
		}
	}
}

/** Like moleculer-db with the main collection: a database that is not up yet is waited for, not fatal. */
async function connectPatiently(service: { logger: Service["logger"] }, store: Store, name: string): Promise<void> {
	for (;;) {
		try {
			await store.connect();
			return;
		} catch (err) {
			service.logger.error(`Could not connect the '${name}' collection, retrying in 1 s:`, (err as Error).message);
			await new Promise(resolve => setTimeout(resolve, 1000));
		}
	}
}

/**
 * Another node running this service while our data lives in this process only: the two would
 * answer from different data. Names that node, or answers undefined.
 */
function splitBrainPeer(service: DbService): string | undefined {
	if (service.adapter.shared || !service.broker.transit) return undefined;
	const peers = service.broker.registry.getServiceList({ onlyLocal: false, onlyAvailable: true, skipInternal: true, withActions: false }) as Array<{
		name: string;
		nodeID: string;
	}>;
	return peers.find(peer => peer.name === service.name && peer.nodeID !== service.broker.nodeID)?.nodeID;
}

/** The generic moleculer-db actions take client-built queries; none of them is published. */
const NO_GENERIC_ACTIONS = {
	list: false,
	find: false,
	count: false,
	get: false,
	create: false,
	insert: false,
	update: false,
	remove: false
} as const;

export interface DbMixinOptions {
	/** The configuration that picks the backend; the process's own by default (tests pass others). */
	config?: Config;
}

export function DbMixin(serviceName: string, main: CollectionSpec, extra: CollectionSpec[] = [], options: DbMixinOptions = {}): Partial<ServiceSchema> {
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
					const peer = splitBrainPeer(this);
					if (peer) {
						throw new NodeNotReadyError(
							`${this.name} keeps its data in this node's ${this.adapter.backend}, and node ${peer} runs ${this.name} too: set DATABASE_URL so they share one store`
						);
					}
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
			schema.adapter = createStore(main, options.config);
		},

		created(this: Service) {
			const self = this as Owner;
			self.stores = new Map();
			for (const spec of extra) {
				const store = createStore(spec, options.config);
				store.init(self.broker, self);
				self.stores.set(spec.name, store);
			}
		},

		async started(this: Service) {
			const self = this as Owner;
			await ensureIndexes(self, self.adapter, main.indexes);
			for (const spec of extra) {
				const store = self.stores.get(spec.name)!;
				await connectPatiently(self, store, spec.name);
				await ensureIndexes(self, store, spec.indexes);
			}
		},

		async stopped(this: Service) {
			for (const store of (this as Owner).stores.values()) await store.disconnect();
		}
	};
}
