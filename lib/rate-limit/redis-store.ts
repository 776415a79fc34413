/**
 * Counters in Redis, so the gateway nodes sharing it enforce one limit together. Each is
 * insured by an in-process twin with the same points and window: when Redis fails, the
 * library answers from the twin, and the gateway keeps limiting (per node) rather than
 * failing every request or letting every request through.
 */
import Redis from "ioredis";
import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import { type CallOptions, StoreHealth } from "./store-health";
import type { Counter, CounterStore, LimiterLogger } from "./types";

/** A check runs on every request: a stalled Redis must not stall the API behind it. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
/** Reconnect forever, at most this far apart, so shared limits come back on their own. */
const MAX_RECONNECT_DELAY_MS = 2000;
/**
 * How long ioredis waits for a socket it ends to close (2 s by default). close() below ends
 * one only when the connection is not ready: one still connecting, or, while Redis is down,
 * one already closed that never reports closing, whose wait would hold the process open at
 * shutdown. ioredis itself ends one only to reconnect after a fatal error. Nothing to drain.
 */
const DISCONNECT_TIMEOUT_MS = 0;

type MemoryOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

/** The in-process twin; it tells the health tracker of every call it answers for Redis. */
class InsuranceLimiter extends RateLimiterMemory {
	constructor(
		opts: MemoryOptions,
		private readonly health: StoreHealth
	) {
		super(opts);
	}

	override consume(key: string | number, points?: number, options: CallOptions = {}) {
		this.health.insuring(options);
		return super.consume(key, points, options);
	}

	override penalty(key: string | number, points?: number, options: CallOptions = {}) {
		this.health.insuring(options);
		return super.penalty(key, points, options);
	}

	override reward(key: string | number, points?: number, options: CallOptions = {}) {
		this.health.insuring(options);
		return super.reward(key, points, options);
	}

	override get(key: string | number, options: CallOptions = {}) {
		this.health.insuring(options);
		return super.get(key, options);
	}

	override block(key: string | number, secDuration: number, options: CallOptions = {}) {
		this.health.insuring(options);
		return super.block(key, secDuration, options);
	}

	override delete(key: string | number, options: CallOptions = {}) {
		this.health.insuring(options);
		return super.delete(key, options);
	}
}

function connect(url: string, health: StoreHealth): Redis {
	const client = new Redis(url, {
		// Refuse commands at once while disconnected, so the insurance answers without delay.
		enableOfflineQueue: false,
		enableAutoPipelining: true,
		connectTimeout: CONNECT_TIMEOUT_MS,
		commandTimeout: COMMAND_TIMEOUT_MS,
		maxRetriesPerRequest: 1,
		retryStrategy: attempt => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
		disconnectTimeout: DISCONNECT_TIMEOUT_MS
	});
	// Without a listener ioredis prints every failed reconnect as an unhandled error, and an
	// 'error' event emitted with no listener would crash the process.
	client.on("error", (err: Error) => health.noteError(err));
	client.on("ready", () => health.noteReady());
	return client;
}

/**
 * The Redis limiter with each call watched, to tell Redis's answers from the insurance's; while
 * the insurance answers, calls go to it directly but for one a second (StoreHealth.skipRedis).
 */
function watched(limiter: RateLimiterRedis, insurance: InsuranceLimiter, health: StoreHealth): Counter {
	return {
		points: limiter.points,
		duration: limiter.duration,
		consume: (key, points, options) =>
			health.skipRedis() ? insurance.consume(key, points, { ...options }) : health.watch(own => limiter.consume(key, points, own), options),
		penalty: (key, points, options) =>
			health.skipRedis() ? insurance.penalty(key, points, { ...options }) : health.watch(own => limiter.penalty(key, points, own), options),
		reward: (key, points, options) =>
			health.skipRedis() ? insurance.reward(key, points, { ...options }) : health.watch(own => limiter.reward(key, points, own), options),
		get: (key, options) => (health.skipRedis() ? insurance.get(key, { ...options }) : health.watch(own => limiter.get(key, own), options)),
		block: (key, seconds, options) =>
			health.skipRedis() ? insurance.block(key, seconds, { ...options }) : health.watch(own => limiter.block(key, seconds, own), options),
		delete: (key, options) => (health.skipRedis() ? insurance.delete(key, { ...options }) : health.watch(own => limiter.delete(key, own), options))
	};
}

/** quit() is refused while disconnected (no offline queue), so then just stop reconnecting. */
async function disconnect(client: Redis): Promise<void> {
	if (client.status === "end") return;
	if (client.status === "ready") {
		try {
			await client.quit();
			return;
		} catch {
			// The connection dropped meanwhile: disconnect below stops the reconnecting.
		}
	}
	client.disconnect();
}

export function redisStore(url: string, keyPrefix: string, logger: LimiterLogger): CounterStore {
	const health = new StoreHealth(logger);
	const client = connect(url, health);
	return {
		counter(name, points, duration) {
			const opts = { keyPrefix: `${keyPrefix}:${name}`, points, duration };
			const insuranceLimiter = new InsuranceLimiter(opts, health);
			return watched(new RateLimiterRedis({ ...opts, storeClient: client, insuranceLimiter }), insuranceLimiter, health);
		},
		status: () => ({ store: "redis", degraded: health.degraded(client.status) }),
		close: () => disconnect(client)
	};
}
