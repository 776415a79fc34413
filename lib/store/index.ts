/**
 * The one place that picks a storage backend, from the configuration: PostgreSQL when
 * DATABASE_URL is set, MongoDB when MONGO_URI is, NeDB otherwise (in memory, or one file per
 * collection under DATA_DIR). Services and mixins import from here, never an adapter.
 */
import path from "node:path";
import { type Config, config } from "../config";
import { createNedbStore } from "./nedb";
import { PostgresStore } from "./postgres";
import type { CollectionSpec, Store } from "./types";

export * from "./types";
export { type PoolStats, poolStats } from "./postgres-pool";

/** Loaded only where MongoDB is configured: requiring its driver adds some 120 ms to every start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mongo = () => require("./mongo") as typeof import("./mongo");

const COLLECTION = /^[a-z][a-z0-9_]{0,62}$/i;

export function createStore(spec: CollectionSpec, cfg: Config = config()): Store {
	const collection = spec.name;
	if (!COLLECTION.test(collection)) throw new Error(`Invalid collection name '${collection}'`);
	if (cfg.databaseUrl) return new PostgresStore(cfg.databaseUrl, cfg.databasePoolSize, spec);
	if (cfg.mongoUri) return mongo().createMongoStore(cfg.mongoUri, cfg.databasePoolSize, collection);
	return createNedbStore(cfg.dataDir ? path.join(cfg.dataDir, `${collection}.db`) : undefined);
}

/** The backend the configuration chooses, for logs, readiness and tests. */
export function storeBackend(cfg: Config = config()): Store["backend"] {
	if (cfg.databaseUrl) return "postgres";
	if (cfg.mongoUri) return "mongodb";
	return "nedb";
}
