/**
 * The per-user connection cap's slot stores, one contract for both: in memory (one process) and
 * in Redis (shared by the realtime nodes). Two RedisSlots on one prefix stand for two nodes.
 */
import { randomUUID } from "node:crypto";
import { RedisSlots } from "../../lib/realtime/redis-slots";
import { type ConnectionSlots, MemorySlots } from "../../lib/realtime/slots";
import { REDIS_URL, describeWith } from "../support/external";

const TTL_MS = 300;
const quiet = { warn: () => undefined, info: () => undefined };
const owner = (key: string, connectionId = randomUUID()) => ({ key, connectionId });
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function contract(make: () => { a: ConnectionSlots; b: ConnectionSlots; close(): Promise<void> }) {
	let stores: ReturnType<typeof make>;
	beforeEach(() => {
		stores = make();
	});
	afterEach(async () => {
		await stores.close();
	});

	it("admits up to the cap per user, over both nodes, and not one more", async () => {
		const key = `t:${randomUUID()}`;
		expect(await stores.a.acquire(owner(key), 2)).toBe(true);
		expect(await stores.b.acquire(owner(key), 2)).toBe(true);
		expect(await stores.a.acquire(owner(key), 2)).toBe(false);
		expect(await stores.b.acquire(owner(key), 2)).toBe(false);
		// Another user has slots of their own.
		expect(await stores.b.acquire(owner(`t:${randomUUID()}`), 2)).toBe(true);
	});

	it("gives a released slot back at once", async () => {
		const key = `t:${randomUUID()}`;
		const first = owner(key);
		expect(await stores.a.acquire(first, 1)).toBe(true);
		expect(await stores.b.acquire(owner(key), 1)).toBe(false);
		await stores.a.release(first);
		expect(await stores.b.acquire(owner(key), 1)).toBe(true);
	});

	it("lets slots that are not refreshed lapse (a crashed node), and keeps refreshed ones", async () => {
		const key = `t:${randomUUID()}`;
		const kept = owner(key);
		expect(await stores.a.acquire(kept, 2)).toBe(true);
		expect(await stores.b.acquire(owner(key), 2)).toBe(true);
		for (let i = 0; i < 3; i++) {
			await sleep(TTL_MS / 2);
			await stores.a.refresh([kept]);
		}
		// b's slot lapsed, a's did not: one free slot, not two.
		expect(await stores.a.acquire(owner(key), 2)).toBe(true);
		expect(await stores.a.acquire(owner(key), 2)).toBe(false);
	});
}

describe("MemorySlots", () => {
	contract(() => {
		const shared = new MemorySlots(TTL_MS);
		return { a: shared, b: shared, close: () => shared.close() };
	});
});

describeWith(["redis"], "RedisSlots", () => {
	contract(() => {
		const prefix = `test-${randomUUID()}:rt:slots`;
		const a = new RedisSlots(REDIS_URL, prefix, TTL_MS, quiet);
		const b = new RedisSlots(REDIS_URL, prefix, TTL_MS, quiet);
		return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
	});

	it("falls back to counting this node's sockets when Redis cannot be reached", async () => {
		const slots = new RedisSlots("redis://127.0.0.1:1", "unreachable", 10_000, quiet);
		try {
			expect(await slots.acquire(owner("t:u"), 1)).toBe(true);
			expect(await slots.acquire(owner("t:u"), 1)).toBe(false);
		} finally {
			await slots.close();
		}
	});
});
