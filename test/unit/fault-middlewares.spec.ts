/**
 * The broker's fault handling in one process: brokers joined by Moleculer's in-memory Fake
 * transporter, with the middlewares of moleculer.config.ts. A node that never answers stands
 * for one that froze or died before anyone noticed.
 */
import { randomUUID } from "node:crypto";
import { type Context, Errors, ServiceBroker, type ServiceSchema } from "moleculer";
import { RESILIENT_REDIS_CACHER } from "../../lib/redis-cacher";
import { middlewares } from "../../middlewares";
import { freePort } from "../support/ports";

const ATTEMPT_MS = 150;

function broker(namespace: string, nodeID: string, extra: Record<string, unknown> = {}): ServiceBroker {
	return new ServiceBroker({
		namespace,
		nodeID,
		transporter: "Fake",
		logger: false,
		requestTimeout: 3000,
		// A node that never answers would hold its own stop for the whole shutdownTimeout.
		tracking: { enabled: nodeID === "caller", shutdownTimeout: 2000 },
		middlewares: middlewares({ reads: { attemptTimeout: ATTEMPT_MS, retries: 2 } }),
		...extra
	});
}

/** The same service on two nodes: "frozen" never answers, "healthy" counts what it serves. */
function records(frozen: boolean, served: string[]): ServiceSchema {
	const answer = (name: string) => (ctx: Context) => {
		if (frozen) return new Promise(() => undefined);
		served.push(name);
		(ctx.meta as { $statusCode?: number }).$statusCode = 203;
		return { node: "healthy" };
	};
	return {
		name: "records",
		actions: {
			get: { rest: "GET /records/:id", handler: answer("get") },
			lookup: { visibility: "public", readOnly: true, handler: answer("lookup") },
			update: { rest: "PATCH /records/:id", handler: answer("update") },
			risky: { rest: "GET /risky", readOnly: false, handler: answer("risky") }
		}
	};
}

describe("faults between nodes", () => {
	const namespace = `unit-${randomUUID().slice(0, 8)}`;
	const served: string[] = [];
	const caller = broker(namespace, "caller");
	const healthy = broker(namespace, "healthy");
	const frozen = broker(namespace, "frozen");

	beforeAll(async () => {
		healthy.createService(records(false, served));
		frozen.createService(records(true, served));
		await Promise.all([healthy.start(), frozen.start(), caller.start()]);
		await caller.waitForServices("records");
		// Both nodes of it, or a call could only ever land on one.
		await new Promise<void>(resolve => {
			const both = () => caller.registry.getServiceList({ onlyAvailable: true }).filter(s => s.name === "records").length === 2;
			const check = () => (both() ? resolve() : setTimeout(check, 10));
			check();
		});
	});

	afterAll(async () => {
		await Promise.all([caller.stop(), healthy.stop(), frozen.stop()]);
	});

	it("a GET action's call that lands on a node that never answers is answered by the other, within one attempt timeout more", async () => {
		for (let i = 0; i < 6; i++) {
			const started = Date.now();
			await expect(caller.call("records.get", { id: i })).resolves.toEqual({ node: "healthy" });
			expect(Date.now() - started).toBeLessThan(ATTEMPT_MS + 500);
		}
	});

	it("so does an action that says readOnly, and the answer's meta reaches the caller's context", async () => {
		const seen: number[] = [];
		caller.createService({
			name: "probe",
			actions: {
				async run(ctx: Context) {
					for (let i = 0; i < 4; i++) {
						await ctx.call("records.lookup", {});
						seen.push((ctx.meta as { $statusCode?: number }).$statusCode ?? 0);
						(ctx.meta as { $statusCode?: number }).$statusCode = 0;
					}
				}
			}
		});
		await caller.waitForServices("probe");
		await caller.call("probe.run");
		expect(seen).toEqual([203, 203, 203, 203]);
	});

	it("a read that is slow where no other node serves it is not cut short: the last node gets the caller's time", async () => {
		healthy.createService({
			name: "reports",
			actions: { slow: { rest: "GET /slow", handler: () => new Promise(r => setTimeout(() => r("done"), ATTEMPT_MS * 3)) } }
		});
		await caller.waitForServices("reports");
		await expect(caller.call("reports.slow")).resolves.toBe("done");
	});

	it("a write is never tried twice: on the frozen node it times out, on the healthy one it runs once", async () => {
		served.length = 0;
		const outcomes = await Promise.all(
			Array.from({ length: 8 }, () =>
				caller.call("records.update", {}, { timeout: ATTEMPT_MS * 2 }).then(
					() => "ok",
					(err: Error) => err.name
				)
			)
		);
		const timedOut = outcomes.filter(o => o === "RequestTimeoutError").length;
		expect(timedOut).toBeGreaterThan(0);
		expect(outcomes.filter(o => o !== "ok" && o !== "RequestTimeoutError")).toEqual([]);
		expect(served.filter(s => s === "update")).toHaveLength(8 - timedOut);
	});

	it("a GET route that says readOnly: false is not retried either", async () => {
		const outcomes = await Promise.all(
			Array.from({ length: 8 }, () =>
				caller.call("records.risky", {}, { timeout: ATTEMPT_MS * 2 }).then(
					() => "ok",
					(err: unknown) => err
				)
			)
		);
		expect(outcomes.some(o => o instanceof Errors.RequestTimeoutError)).toBe(true);
	});

	it("calls that timed out leave nothing pending behind, so the node stops at once", async () => {
		await Promise.all(Array.from({ length: 4 }, () => caller.call("records.update", {}, { timeout: 50 }).catch(() => undefined)));
		expect((caller as unknown as { _trackedContexts: unknown[] })._trackedContexts).toHaveLength(0);
		expect(caller.transit!.pendingRequests.size).toBe(0);
	});
});

describe("the Redis cache, with Redis gone", () => {
	it("answers from the action, uncached, at once", async () => {
		const dead = `redis://127.0.0.1:${await freePort()}`;
		const node = new ServiceBroker({
			logger: false,
			cacher: { type: RESILIENT_REDIS_CACHER, options: { prefix: "unit", ttl: 60, redis: dead } },
			middlewares: middlewares({ reads: { attemptTimeout: ATTEMPT_MS, retries: 2 } })
		});
		let calls = 0;
		node.createService({ name: "cached", actions: { get: { cache: true, handler: () => ++calls } } });
		await node.start();
		try {
			const started = Date.now();
			expect(await node.call("cached.get")).toBe(1);
			expect(await node.call("cached.get")).toBe(2);
			expect(await node.cacher!.get("any")).toBeNull();
			expect(Date.now() - started).toBeLessThan(1000);
		} finally {
			await node.stop();
		}
	});
});
