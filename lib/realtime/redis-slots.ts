/**
 * Connection slots in Redis (see slots.ts): one sorted set per user, its members the connection
 * ids, scored by expiry. Taking a slot first drops the lapsed ones, then counts, in one script,
 * so two nodes admitting the same user at once cannot both take the last slot.
 *
 * When Redis cannot answer, the node falls back to counting its own sockets (MemorySlots): a
 * user may then hold the cap on each node, which is better than refusing everyone or admitting
 * without limit. The switch is logged once each way.
 */
import Redis from "ioredis";
import { type ConnectionSlots, MemorySlots, type SlotOwner } from "./slots";

const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;
/** Users refreshed per pipeline. */
const REFRESH_BATCH = 500;

/** KEYS[1] the user's set; ARGV: now, expiry, cap, connection id, key ttl (ms). 1 when taken. */
const ACQUIRE = `
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call("ZADD", KEYS[1], ARGV[2], ARGV[4])
redis.call("PEXPIRE", KEYS[1], ARGV[5])
return 1`;

interface SlotsLogger {
	warn(...args: unknown[]): void;
	info(...args: unknown[]): void;
}

type ScriptedRedis = Redis & { acquireSlot(key: string, now: number, expiry: number, cap: number, id: string, ttl: number): Promise<number> };

export class RedisSlots implements ConnectionSlots {
	private readonly client: ScriptedRedis;
	private readonly fallback: MemorySlots;
	private degraded = false;
	private closing = false;

	constructor(
		url: string,
		private readonly prefix: string,
		private readonly ttlMs: number,
		private readonly logger: SlotsLogger
	) {
		this.fallback = new MemorySlots(ttlMs);
		const client = new Redis(url, {
			// Queued while (re)connecting, up to the command timeout: a connect at start-up waits for Redis
			// instead of being counted by this node alone; during an outage it waits COMMAND_TIMEOUT_MS at most.
			enableOfflineQueue: true,
			enableAutoPipelining: true,
			connectTimeout: CONNECT_TIMEOUT_MS,
			commandTimeout: COMMAND_TIMEOUT_MS,
			maxRetriesPerRequest: 1,
			retryStrategy: attempt => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
			disconnectTimeout: 0
		});
		// Without a listener an 'error' would crash the process; the fallback's log says enough.
		client.on("error", () => undefined);
		client.defineCommand("acquireSlot", { numberOfKeys: 1, lua: ACQUIRE });
		this.client = client as ScriptedRedis;
	}

	private redisKey(key: string): string {
		return `${this.prefix}:${key}`;
	}

	private note(ok: boolean, err?: unknown): void {
		// Sockets closing while the node stops give back slots after quit(): they lapse on their own.
		if (this.closing) return;
		if (ok && this.degraded) this.logger.info("Redis connection slots reachable again: the per-user cap holds across realtime nodes");
		if (!ok && !this.degraded) this.logger.warn("Redis connection slots unreachable, counting this node's sockets only:", (err as Error)?.message);
		this.degraded = !ok;
	}

	async acquire(owner: SlotOwner, cap: number): Promise<boolean> {
		const now = Date.now();
		try {
			const taken = await this.client.acquireSlot(this.redisKey(owner.key), now, now + this.ttlMs, cap, owner.connectionId, this.ttlMs * 2);
			this.note(true);
			// The fallback mirrors this node's sockets, so it counts them all should Redis go away.
			if (taken === 1) await this.fallback.acquire(owner, Number.POSITIVE_INFINITY);
			return taken === 1;
		} catch (err) {
			this.note(false, err);
			return this.fallback.acquire(owner, cap);
		}
	}

	async refresh(owners: SlotOwner[]): Promise<void> {
		await this.fallback.refresh(owners);
		if (owners.length === 0) return;
		const expiry = Date.now() + this.ttlMs;
		// One ZADD per user with every slot of theirs, in pipelines of bounded size: a node with ten
		// thousand sockets must not send one pipeline that outlasts the command timeout.
		const byKey = new Map<string, string[]>();
		for (const { key, connectionId } of owners) {
			const ids = byKey.get(key) ?? [];
			ids.push(connectionId);
			byKey.set(key, ids);
		}
		const keys = [...byKey.keys()];
		try {
			for (let i = 0; i < keys.length; i += REFRESH_BATCH) {
				const pipeline = this.client.pipeline();
				for (const key of keys.slice(i, i + REFRESH_BATCH)) {
					// GT adds a slot that is missing (Redis restarted empty, or was away past the ttl): the socket is open, so it counts.
					pipeline.zadd(this.redisKey(key), "GT", ...byKey.get(key)!.flatMap(id => [expiry, id]));
					pipeline.pexpire(this.redisKey(key), this.ttlMs * 2);
				}
				await pipeline.exec();
			}
			this.note(true);
		} catch (err) {
			this.note(false, err);
		}
	}

	async release(owner: SlotOwner): Promise<void> {
		await this.fallback.release(owner);
		try {
			await this.client.zrem(this.redisKey(owner.key), owner.connectionId);
		} catch (err) {
			// It lapses on its own within the ttl.
			this.note(false, err);
		}
	}

	async close(): Promise<void> {
		this.closing = true;
		if (this.client.status === "ready") {
			try {
				await this.client.quit();
				return;
			} catch {
				// dropped meanwhile
			}
		}
		this.client.disconnect();
	}
}
