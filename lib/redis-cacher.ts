/**
 * The cluster's Redis cacher, for a Redis that dies or stalls. Moleculer's own (cachers/redis.js)
 * hands ioredis the URL alone, so a command waits in ioredis's offline queue through 20
 * reconnection attempts (about 10 s) before failing; its middleware then fails the action on a
 * failed get, and never catches the set it fires and forgets (an unhandled rejection, which ends
 * a Node process). Here:
 *
 * - a command fails at once while Redis is not connected, and after 500 ms when it does not
 *   answer (a stalled Redis), instead of queueing;
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
		if (this.failing) return;
		this.failing = true;
		this.log?.warn(`Redis cache unreachable (${(err as Error).message}): actions answer uncached.`);
	}

	override get(key: string): Promise<Record<string, unknown> | null> {
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
		return super.set(key, data, ttl).then(
			result => {
				this.recovered();
				return result;
			},
			(err: unknown) => this.failed(err)
		);
	}

	override clean(match?: string | string[]): Promise<unknown> {
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
