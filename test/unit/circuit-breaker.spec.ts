/**
 * The circuit breaker as moleculer.config.ts sets it (lib/circuit-breaker.ts), on three brokers
 * joined by Moleculer's in-memory Fake transporter with the middlewares of moleculer.config.ts:
 * a caller, a node that always answers, and one that is made to fail in each way a node can.
 * The cluster case, with real processes, is test/cluster/breaker.cluster.spec.ts.
 */
import { randomUUID } from "node:crypto";
import { Errors, ServiceBroker } from "moleculer";
import { CIRCUIT_BREAKER, isEndpointFailure } from "../../lib/circuit-breaker";
import { CallExpiredError } from "../../middlewares/call-deadline.middleware";
import { NotFoundError, ServiceBusyError } from "../../lib/errors";
import { type BreakerPosition, nodeState } from "../../lib/node-state";
import { middlewares } from "../../middlewares";

const ATTEMPT_MS = 150;

type Mode = "ok" | "4xx" | "busy" | "5xx" | "hang";

function broker(namespace: string, nodeID: string): ServiceBroker {
	return new ServiceBroker({
		namespace,
		nodeID,
		transporter: "Fake",
		logger: false,
		requestTimeout: 2000,
		// A node that never answers would hold its own stop for the whole shutdownTimeout.
		tracking: { enabled: nodeID === "caller", shutdownTimeout: 2000 },
		circuitBreaker: { ...CIRCUIT_BREAKER },
		middlewares: middlewares({ reads: { attemptTimeout: ATTEMPT_MS, retries: 2 } })
	});
}

describe("what counts as an endpoint's failure", () => {
	it.each([
		["a timeout (a frozen or overloaded node)", new Errors.RequestTimeoutError({ action: "a", nodeID: "n" })],
		["a call left pending on a node declared gone", new Errors.RequestRejectedError({ action: "a", nodeID: "n" })],
		["a 500", new Errors.MoleculerError("broken", 500, "BROKEN")],
		["a database driver's error, with a string code", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })],
		["a node turning the call away (stopping, or its own breaker open)", new Errors.ServiceNotAvailableError({ action: "a", nodeID: "n" })],
		[
			"a call refused as expired, seen by a caller still waiting (it came back from that node)",
			Object.assign(new CallExpiredError("a", "caller", "it arrived 6000 ms after its caller stopped waiting"), { nodeID: "n" })
		]
	])("%s counts", (_what, err) => {
		expect(isEndpointFailure(err)).toBe(true);
	});

	it.each([
		["a client's error (404)", new NotFoundError("Employee", "x")],
		["a validation error (422)", new Errors.ValidationError("bad", "VALIDATION_ERROR", [])],
		["a node shedding load (503 SERVICE_BUSY)", new ServiceBusyError(1)],
		["a bulkhead's full queue", new Errors.QueueIsFullError({ action: "a", nodeID: "n" })],
		["a call refused as expired, on the node that refused it", new CallExpiredError("a", "caller", "it queued while this node stood still for 10000 ms")]
	])("%s does not", (_what, err) => {
		expect(isEndpointFailure(err)).toBe(false);
	});
});

describe("the circuit breaker between nodes", () => {
	const namespace = `unit-${randomUUID().slice(0, 8)}`;
	const caller = broker(namespace, "caller");
	const good = broker(namespace, "good");
	const bad = broker(namespace, "bad");
	let mode: Mode = "ok";
	/** Calls each node received, by action. */
	const received = { good: 0, bad: 0 };

	function records(node: "good" | "bad") {
		const answer = () => {
			received[node]++;
			if (node === "good" || mode === "ok") return { node };
			if (mode === "4xx") throw new NotFoundError("Record", "x");
			if (mode === "busy") throw new ServiceBusyError(1);
			if (mode === "5xx") throw new Errors.MoleculerError("the database is gone", 500, "DB_DOWN");
			return new Promise(() => undefined);
		};
		return {
			name: "records",
			actions: {
				get: { rest: "GET /records/:id", handler: answer },
				update: { rest: "PATCH /records/:id", handler: answer }
			}
		};
	}

	/** The caller's breaker for the bad node's action; Moleculer forgets one that saw no call for a window, which is closed. */
	function breaker(action: string): BreakerPosition {
		return nodeState(caller).breakers.find(b => b.nodeID === "bad" && b.action === action)?.state ?? "close";
	}

	const outcome = (p: Promise<unknown>) =>
		p.then(
			() => "ok",
			(err: Error) => err.name
		);

	beforeAll(async () => {
		good.createService(records("good"));
		bad.createService(records("bad"));
		await Promise.all([caller.start(), good.start(), bad.start()]);
		await new Promise<void>(resolve => {
			const both = () => caller.registry.getServiceList({ onlyAvailable: true }).filter(s => s.name === "records").length === 2;
			const check = () => (both() ? resolve() : setTimeout(check, 10));
			check();
		});
	});

	afterAll(async () => {
		await Promise.all([caller.stop(), good.stop(), bad.stop()]);
	});

	it("a node answering one tenant's 4xx, or shedding load, keeps its breaker closed and its traffic", async () => {
		for (const m of ["4xx", "busy"] as Mode[]) {
			mode = m;
			received.bad = 0;
			// Round-robin: half of them, 30 calls, to the bad node, every one of them refused.
			const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => outcome(caller.call("records.update", { id: i }))));
			expect(outcomes.filter(o => o !== "ok")).toHaveLength(30);
			expect(received.bad).toBe(30);
			expect(breaker("records.update")).toBe("close");
		}
	});

	it("a node failing with 5xx has its breaker open within a few of its calls, then gets none; once it recovers, a trial call closes it", async () => {
		mode = "5xx";
		const failed: string[] = [];
		let calls = 0;
		while (breaker("records.update") !== "open" && calls < 100) {
			const o = await outcome(caller.call("records.update", { id: calls++ }));
			if (o !== "ok") failed.push(o);
		}
		expect(breaker("records.update")).toBe("open");
		// minRequestCount failures, or a few more when the window was zeroed meanwhile: never dozens.
		expect(failed.length).toBeGreaterThanOrEqual(CIRCUIT_BREAKER.minRequestCount!);
		expect(failed.length).toBeLessThanOrEqual(3 * CIRCUIT_BREAKER.minRequestCount!);

		received.bad = 0;
		const whileOpen = await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(caller.call("records.update", { id: i }))));
		expect(whileOpen).toEqual(Array(20).fill("ok"));
		expect(received.bad).toBe(0);

		mode = "ok";
		const recovered = Date.now();
		while (received.bad === 0 && Date.now() - recovered < CIRCUIT_BREAKER.halfOpenTime! + 3000) {
			await caller.call("records.update", { id: 0 });
			await new Promise(resolve => setTimeout(resolve, 50));
		}
		expect(received.bad).toBeGreaterThan(0);
		// Half-open: one trial call, answered, and the breaker is closed.
		await outcome(caller.call("records.update", { id: 0 }));
		expect(breaker("records.update")).toBe("close");
		received.bad = 0;
		await Promise.all(Array.from({ length: 10 }, (_, i) => caller.call("records.update", { id: i })));
		expect(received.bad).toBe(5);
	}, 20_000);

	it("a node refusing calls that arrive after their caller stopped waiting keeps serving the live calls after them", async () => {
		// A caller without our middlewares, so the deadline it sends is the one it chose: long past, as
		// for the calls a node finds queued on waking from a freeze.
		const late = new ServiceBroker({ namespace, nodeID: "late-caller", transporter: "Fake", logger: false });
		await late.start();
		try {
			await new Promise<void>(resolve => {
				const check = () => (late.registry.getServiceList({ onlyAvailable: true }).some(s => s.name === "records") ? resolve() : setTimeout(check, 10));
				check();
			});
			const stale = await Promise.all(
				Array.from({ length: 30 }, (_, i) =>
					late.call("records.update", { id: i }, { nodeID: "good", meta: { $deadline: Date.now() - 10_000 } }).then(
						() => "ok",
						(err: { type?: string }) => err.type
					)
				)
			);
			expect(stale).toEqual(Array(30).fill("CALL_EXPIRED"));
			const live = await Promise.all(Array.from({ length: 10 }, (_, i) => outcome(caller.call("records.update", { id: i }, { nodeID: "good" }))));
			expect(live).toEqual(Array(10).fill("ok"));
		} finally {
			await late.stop();
		}
	});

	it("a node that stops answering (frozen) opens it through timeouts, while every read is answered by the other node", async () => {
		mode = "hang";
		let reads = 0;
		while (breaker("records.get") !== "open" && reads < 100) {
			await expect(caller.call("records.get", { id: reads++ })).resolves.toEqual({ node: "good" });
		}
		expect(breaker("records.get")).toBe("open");
		received.bad = 0;
		const started = Date.now();
		for (let i = 0; i < 10; i++) await expect(caller.call("records.get", { id: i })).resolves.toEqual({ node: "good" });
		// No read waits out an attempt on the frozen node any more.
		expect(Date.now() - started).toBeLessThan(10 * ATTEMPT_MS);
		expect(received.bad).toBe(0);
		mode = "ok";
	}, 20_000);
});
