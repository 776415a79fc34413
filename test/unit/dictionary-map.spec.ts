/**
 * The transit's table of pending requests as lib/dictionary-map.ts keeps it: a Map to Moleculer,
 * and what Moleculer does with it still works on brokers joined by its in-memory Fake
 * transporter, with the middlewares of moleculer.config.ts.
 */
import { randomUUID } from "node:crypto";
import { Errors, ServiceBroker } from "moleculer";
import { DictionaryMap } from "../../lib/dictionary-map";
import { middlewares } from "../../middlewares";

describe("DictionaryMap", () => {
	it("sets, gets, counts and deletes by key as a Map does", () => {
		const map = new DictionaryMap<number>();
		expect(map.set("a", 1).set("b", 2).set("a", 3).size).toBe(2);
		expect([map.get("a"), map.get("b"), map.get("c")]).toEqual([3, 2, undefined]);
		expect([map.has("a"), map.has("c")]).toEqual([true, false]);
		expect([map.delete("a"), map.delete("a")]).toEqual([true, false]);
		expect(map.size).toBe(1);
		expect([...map]).toEqual([["b", 2]]);
		map.clear();
		expect([map.size, map.get("b")]).toEqual([0, undefined]);
	});

	it("takes keys that name Object's own properties as plain keys", () => {
		const map = new DictionaryMap<string>();
		expect([map.has("constructor"), map.get("toString")]).toEqual([false, undefined]);
		map.set("__proto__", "x");
		expect([map.get("__proto__"), map.size]).toEqual(["x", 1]);
	});

	it("lets forEach delete entries: those not visited yet are skipped, as a Map does", () => {
		const map = new DictionaryMap<number>();
		for (const key of ["a", "b", "c", "d"]) map.set(key, key.charCodeAt(0));
		const visited: string[] = [];
		map.forEach((_value, key) => {
			visited.push(key);
			if (key === "a") map.delete("c");
			map.delete(key);
		});
		expect(visited).toEqual(["a", "b", "d"]);
		expect(map.size).toBe(0);
	});

	it("lists keys and values in the order they were added", () => {
		const map = new DictionaryMap<number>();
		map.set("x", 1).set("y", 2).set("z", 3);
		map.delete("y");
		expect([...map.keys()]).toEqual(["x", "z"]);
		expect([...map.values()]).toEqual([1, 3]);
	});
});

describe("the transit's pending requests", () => {
	const namespace = `pending-${randomUUID()}`;
	const broker = (nodeID: string) =>
		new ServiceBroker({
			namespace,
			nodeID,
			transporter: "Fake",
			logger: false,
			middlewares: middlewares({ reads: { attemptTimeout: 1000, retries: 0 } })
		});
	const caller = broker("caller");
	const server = broker("server");
	// The server's handlers still waiting when it left: answered at the end, so no timer outlives the tests.
	const waiting: (() => void)[] = [];

	beforeAll(async () => {
		server.createService({
			name: "slow",
			actions: {
				// A write: never retried elsewhere, so the caller sees what became of its one request.
				wait: { readOnly: false, handler: () => new Promise<string>(resolve => waiting.push(() => resolve("done"))) },
				echo: { readOnly: false, handler: ctx => ctx.params }
			}
		});
		await Promise.all([caller.start(), server.start()]);
		await caller.waitForServices("slow");
	});

	afterAll(async () => {
		for (const answer of waiting) answer();
		await Promise.all([caller.stop(), server.stop().catch(() => undefined)]);
	});

	it("are kept in a DictionaryMap on every node with a transporter", () => {
		expect((caller.transit as unknown as { pendingRequests: unknown }).pendingRequests).toBeInstanceOf(DictionaryMap);
	});

	it("are answered and then forgotten", async () => {
		const pending = (caller.transit as unknown as { pendingRequests: DictionaryMap<unknown> }).pendingRequests;
		const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => caller.call("slow.echo", { i })));
		expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
		expect(pending.size).toBe(0);
	});

	it("are forgotten at once when the node they wait on leaves; the writes are answered at their deadline (call-deadline.middleware)", async () => {
		const pending = (caller.transit as unknown as { pendingRequests: DictionaryMap<unknown> }).pendingRequests;
		const calls = [caller.call("slow.wait", {}, { timeout: 1500 }), caller.call("slow.wait", {}, { timeout: 1500 })];
		await new Promise(resolve => setTimeout(resolve, 50));
		expect(pending.size).toBe(2);
		const started = Date.now();
		await server.stop();
		expect(pending.size).toBe(0);
		const outcomes = await Promise.allSettled(calls);
		expect(outcomes.map(o => (o.status === "rejected" ? (o.reason as Error).constructor : o.value))).toEqual([
			Errors.RequestTimeoutError,
			Errors.RequestTimeoutError
		]);
		expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
		expect(Date.now() - started).toBeLessThan(5000);
	});
});
