/**
 * The cluster's Redis cacher, for a Redis that dies or stalls. Moleculer's own (cachers/redis.js)
 * hands ioredis the URL alone, so a command waits in ioredis's offline queue through 20
 * reconnection attempts (about 10 s) before failing; its middleware then fails the action on a
 * failed get, and never catches the set it fires and forgets (an unhandled rejection, which ends
 * a Node process). Here:
 *
 * - a command fails at once while Redis is not connected, and after 500 ms when it does not
 *   answer (a stalled Redis), instead of queueing;
 * - once a command failed, the next ones fail at once too, except one a second that goes to
 *   Redis to find out whether it answers again: a stalled Redis keeps its connection open, so
 *   without this every command would wait its 500 ms, and an action that reads and writes the
 *   cache several times in turn (a session check) would outlast its caller's 1 s attempt;
 * - a get that fails is a miss: the action runs against its store, uncached, and still answers;
 * - a set or clean that fails is logged, never its caller's failure: a write that was stored
 *   answers as stored (a 500 would have the client retry it into a duplicate), and a set that
 *   nobody awaits can no longer end the process;
 * - the first command that succeeds after an outage empties the cache: entries made before the
 *   outage may predate writes whose cleaning or generation bump failed meanwhile;
 * - closing while Redis is gone drops the connection rather than waiting on it.
 *
 * The outage is logged once when it starts and once when Redis answers again.
 */
import { Cachers, type RedisCacherOptions, type ServiceBroker } from "moleculer";

/** A cache answer that takes longer than this is worth less than asking the store. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
/** Reconnect forever, at most this far apart, so the cache comes back on its own. */
const MAX_RECONNECT_DELAY_MS = 2000;
/** While Redis fails, one command this often is sent to it to see whether it answers again; the others fail at once. */
const PROBE_INTERVAL_MS = 1000;
/**
 * How long ioredis waits for a socket it ends to close (2 s by default): close() below ends one
 * only when it is not connected, where there is nothing to drain, and the wait would only hold
 * a stopping process open (as in lib/rate-limit/redis-store.ts).
 */
const DISCONNECT_TIMEOUT_MS = 0;

/** ioredis's connection options from a redis:// or rediss:// URL (the cacher passes only an object on). */
export function redisConnectionOptions(url: string): Record<string, unknown> {
	const u = new URL(url);
	return {
		host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
		port: Number(u.port || 6379),
		...(u.username && { username: decodeURIComponent(u.username) }),
		...(u.password && { password: decodeURIComponent(u.password) }),
		...(u.pathname.length > 1 && { db: Number(u.pathname.slice(1)) }),
		...(u.protocol === "rediss:" && { tls: {} })
	};
}

/** The name moleculer.config.ts gives as the cacher's `type` (registered below). */
export const RESILIENT_REDIS_CACHER = "ResilientRedis";

export class ResilientRedisCacher extends Cachers.Redis {
	private failing = false;
	/** While failing: when the next command may go to Redis. */
	private nextProbeAt = 0;
	private log?: ServiceBroker["logger"];

	/** Moleculer's Redis cacher options; `redis` may be a redis:// URL. */
	constructor(opts: Omit<RedisCacherOptions, "redis"> & { redis: string | Record<string, unknown> }) {
		const connection = typeof opts.redis === "string" ? redisConnectionOptions(opts.redis) : opts.redis;
		super({
			...opts,
			redlock: false,
			redis: {
				enableOfflineQueue: false,
				enableAutoPipelining: true,
				commandTimeout: COMMAND_TIMEOUT_MS,
				connectTimeout: CONNECT_TIMEOUT_MS,
				disconnectTimeout: DISCONNECT_TIMEOUT_MS,
				retryStrategy: (times: number) => Math.min(times * 200, MAX_RECONNECT_DELAY_MS),
				...connection
			}
		});
	}

	override init(broker: ServiceBroker): void {
		super.init(broker);
		this.log = broker.getLogger("cacher");
		(this.client as { on(event: string, fn: () => void): void }).on("ready", () => this.recovered());
	}

	/** Redis answers again: drop what was cached before the outage, then cache as usual. */
	private recovered(): void {
		if (!this.failing) return;
		this.failing = false;
		this.log?.info("Redis cache answers again: emptied it of entries from before the outage; results are cached again.");
		super.clean().catch((err: unknown) => this.failed(err));
	}

	private failed(err: unknown): void {
		this.nextProbeAt = Date.now() + PROBE_INTERVAL_MS;
		if (this.failing) return;
		this.failing = true;
		this.log?.warn(`Redis cache unreachable (${(err as Error).message}): actions answer uncached.`);
	}

	/** Whether a command goes to Redis now: always while it answers; while it fails, one a second. */
	private mayTry(): boolean {
		if (!this.failing) return true;
		if (Date.now() < this.nextProbeAt) return false;
		this.nextProbeAt = Date.now() + PROBE_INTERVAL_MS;
		return true;
	}

	override get(key: string): Promise<Record<string, unknown> | null> {
		if (!this.mayTry()) return Promise.resolve(null);
		return super.get(key).then(
			value => {
				this.recovered();
				return value;
			},
			(err: unknown) => {
				this.failed(err);
				return null;
			}
		);
	}

	override set(key: string, data: unknown, ttl?: number): Promise<unknown> {
		if (!this.mayTry()) return Promise.resolve();
		return super.set(key, data, ttl).then(
			result => {
				this.recovered();
				return result;
			},
			(err: unknown) => this.failed(err)
		);
	}

	override clean(match?: string | string[]): Promise<unknown> {
		// Skipped, it is made up for as a failed one is: recovered() empties the whole cache.
		if (!this.mayTry()) return Promise.resolve();
		return super.clean(match).catch((err: unknown) => this.failed(err));
	}

	override close(): Promise<unknown> {
		const client = this.client as { status?: string; disconnect(): void };
		if (client.status !== "ready") {
			client.disconnect();
			return Promise.resolve();
		}
		return super.close();
	}
}

// Options name a cacher by `type`, so moleculer-runner's MOL_CACHER__OPTIONS__* still apply to it.
// (cachers/index.js has register(); moleculer's index.d.ts does not declare it.)
(Cachers as unknown as { register(name: string, cacher: unknown): void }).register(RESILIENT_REDIS_CACHER, ResilientRedisCacher);
