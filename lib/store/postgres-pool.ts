/**
 * One bounded pg pool per node and database URL, shared by every collection of every service
 * in the process: a node holds at most `max` connections whatever it runs. The pool closes
 * when the last collection lets go of it.
 */
import { Pool, type PoolClient } from "pg";
import { ServiceBusyError } from "../errors";

export interface PoolSpec {
	/** A postgres:// URL; its `schema` parameter (default public) is where the tables live. */
	url: string;
	max: number;
	/** How long a query waits for a free connection before its caller hears the database is busy. */
	connectTimeoutMs?: number;
}

const CONNECT_TIMEOUT_MS = 5_000;
/** pg's words when no connection came free within connectionTimeoutMillis. */
const NO_CONNECTION = "timeout exceeded when trying to connect";

/**
 * Every connection of the node's pool stayed busy through the connect timeout: a burst beyond
 * what the database takes (on a slow disk each commit waits for its WAL flush). The caller gets
 * a retryable 503 with Retry-After, as for any overload, rather than a 500 with pg's words.
 */
function answerBusyWhenExhausted(pool: Pool): void {
	const busy = (err: unknown): never => {
		throw (err as Error | undefined)?.message === NO_CONNECTION ? new ServiceBusyError(1, "The database is busy, try again shortly") : err;
	};
	const wrap = (method: (...args: unknown[]) => unknown) =>
		function (this: Pool, ...args: unknown[]) {
			const answer = method.apply(this, args) as Promise<unknown> | undefined;
			return typeof answer?.then === "function" ? answer.catch(busy) : answer;
		};
	const methods = pool as unknown as Record<"query" | "connect", (...args: unknown[]) => unknown>;
	methods.query = wrap(methods.query);
	methods.connect = wrap(methods.connect);
}

interface Shared {
	pool: Pool;
	/** The database's name, for metrics: never its URL, which may hold a password. */
	database: string;
	schema: string;
	users: number;
	ready: Promise<void>;
}

const pools = new Map<string, Shared>();

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** Splits our `schema` parameter off the URL: pg itself knows nothing of it. */
export function parseDatabaseUrl(url: string): { connectionString: string; schema: string } {
	const parsed = new URL(url);
	const schema = parsed.searchParams.get("schema") ?? "public";
	if (!SCHEMA.test(schema)) throw new Error(`Invalid schema name '${schema}' in DATABASE_URL`);
	parsed.searchParams.delete("schema");
	return { connectionString: parsed.toString(), schema };
}

export interface PoolLease {
	pool: Pool;
	schema: string;
	release(): Promise<void>;
}

/** Takes a share of the node's pool for this URL, creating it (and its schema) on first use. */
export async function acquirePool(spec: PoolSpec): Promise<PoolLease> {
	let shared = pools.get(spec.url);
	if (!shared) {
		const { connectionString, schema } = parseDatabaseUrl(spec.url);
		const pool = new Pool({
			connectionString,
			max: spec.max,
			// Connections are kept for the node's life (at most `max` of them). A new PostgreSQL backend
			// maps each shared buffer it reads for the first time: a search over a big tenant took 150 ms
			// on a new connection and 25 ms on one that had read the table before (docs/benchmarks.md).
			// Closing idle ones, as pg does after 10 s, would make most searches of a quiet hour cold.
			idleTimeoutMillis: 0,
			// What keeps a connection nobody uses from dying unnoticed behind a firewall or NAT.
			keepAlive: true,
			connectionTimeoutMillis: spec.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
		});
		answerBusyWhenExhausted(pool);
		// An idle client that loses its connection emits here; without a listener it would crash the node.
		pool.on("error", () => undefined);
		const database = decodeURIComponent(new URL(connectionString).pathname.slice(1));
		const created: Shared = { pool, database, schema, users: 0, ready: createSchema(pool, schema) };
		pools.set(spec.url, created);
		shared = created;
	}
	shared.users++;
	const lease = shared;
	try {
		await lease.ready;
	} catch (err) {
		await releaseShare(spec.url, lease);
		throw err;
	}
	let released = false;
	return {
		pool: lease.pool,
		schema: lease.schema,
		async release() {
			if (released) return;
			released = true;
			await releaseShare(spec.url, lease);
		}
	};
}

async function releaseShare(url: string, shared: Shared): Promise<void> {
	shared.users--;
	if (shared.users > 0) return;
	if (pools.get(url) === shared) pools.delete(url);
	await shared.pool.end().catch(() => undefined);
}

export interface PoolStats {
	database: string;
	schema: string;
	/** Connections open, in use or idle; at most `max`. */
	total: number;
	idle: number;
	/** Queries waiting for a connection: the pool is the bottleneck when this stays above zero. */
	waiting: number;
	max: number;
}

/** This node's pools as they stand now (middlewares/store-metrics.middleware.ts). */
export function poolStats(): PoolStats[] {
	return [...pools.values()].map(({ pool, database, schema }) => ({
		database,
		schema,
		total: pool.totalCount,
		idle: pool.idleCount,
		waiting: pool.waitingCount,
		max: pool.options.max
	}));
}

/** Runs DDL under a database-wide advisory lock: two nodes starting at once would race on CREATE … IF NOT EXISTS. */
export async function withDdlLock<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
	const client = await pool.connect();
	try {
		await client.query("BEGIN");
		await client.query("SELECT pg_advisory_xact_lock(hashtext('roster:ddl'))");
		const result = await work(client);
		await client.query("COMMIT");
		return result;
	} catch (err) {
		await client.query("ROLLBACK").catch(() => undefined);
		throw err;
	} finally {
		client.release();
	}
}

/** Only a schema that is missing takes the DDL lock: every node's start would otherwise queue for it. */
async function createSchema(pool: Pool, schema: string): Promise<void> {
	const { rowCount } = await pool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
	if (rowCount) return;
	await withDdlLock(pool, async client => {
		await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
	});
}
