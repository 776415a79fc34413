/**
 * The action behind the REPL's `breakers` command, on two brokers joined by Moleculer's
 * in-memory Fake transporter with the middlewares of moleculer.config.ts: the caller's breaker
 * for a failing endpoint of the other node, and a call in flight on both sides.
 */
import { randomUUID } from "node:crypto";
import { Errors, ServiceBroker } from "moleculer";
import { middlewares } from "../../middlewares";
import { type NodeState, gatherNodeStates, nodeState } from "../../lib/node-state";
import { describeNodeStates } from "../../scripts/repl-commands";
import { eventually } from "../support/cluster-topology";

function broker(namespace: string, nodeID: string): ServiceBroker {
	return new ServiceBroker({
		namespace,
		nodeID,
		transporter: "Fake",
		logger: false,
		requestTimeout: 5000,
		tracking: { enabled: true, shutdownTimeout: 2000 },
		circuitBreaker: { enabled: true, threshold: 0.5, minRequestCount: 2, windowTime: 60, halfOpenTime: 60_000 },
		middlewares: middlewares({ reads: { attemptTimeout: 1000, retries: 0 } })
	});
}

describe("node state: breakers and in-flight calls of every node", () => {
	const namespace = `unit-${randomUUID().slice(0, 8)}`;
	const caller = broker(namespace, "caller");
	const worker = broker(namespace, "worker");
	let release: () => void = () => undefined;
	const slowDone = new Promise<void>(resolve => (release = resolve));

	beforeAll(async () => {
		worker.createService({
			name: "work",
			actions: {
				fail: { visibility: "public", handler: () => Promise.reject(new Errors.MoleculerError("broken", 500, "BROKEN")) },
				slow: { visibility: "public", handler: () => slowDone.then(() => "done") }
			}
		});
		await Promise.all([caller.start(), worker.start()]);
		await caller.waitForServices("work");
	});

	afterAll(async () => {
		release();
		await Promise.all([caller.stop(), worker.stop()]);
	});

	it("answers one state per node, this one included, with the open breaker and the calls in flight", async () => {
		for (let i = 0; i < 2; i++) await expect(caller.call("work.fail")).rejects.toThrow("broken");
		// Two failures of two calls: the caller's breaker for that endpoint is open.
		await expect(caller.call("work.fail")).rejects.toThrow(Errors.ServiceNotAvailableError);
		const slow = caller.call("work.slow", {}, { requestID: "slow-req-1" });
		await eventually(() => expect(nodeState(worker).inFlight.handling).toEqual({ work: 1 }));

		const answers = await gatherNodeStates(caller);
		expect(answers.map(a => a.nodeID)).toEqual(["caller", "worker"]);
		const [mine, theirs] = answers as NodeState[];

		expect(mine.breakers).toContainEqual({ nodeID: "worker", action: "work.fail", state: "open", count: 2, failures: 2 });
		expect(mine.inFlight).toMatchObject({ calling: 1, awaitingReply: 1, handling: {} });
		expect(mine.inFlight.oldest).toEqual([expect.objectContaining({ action: "work.slow", requestId: "slow-req-1" })]);

		// Moleculer's breaker wraps local actions too: the worker has seen its own endpoint fail.
		expect(theirs.breakers.filter(b => b.state !== "close")).toEqual([expect.objectContaining({ nodeID: "worker", action: "work.fail", state: "open" })]);
		// The state action itself is not counted as in flight.
		expect(theirs.inFlight).toMatchObject({ handling: { work: 1 }, calling: 0, awaitingReply: 0 });
		expect(theirs.inFlight.oldest).toEqual([expect.objectContaining({ action: "work.slow", requestId: "slow-req-1" })]);

		const printed = describeNodeStates(answers);
		expect(printed).toContain("breaker OPEN  work.fail on worker");
		expect(printed).toMatch(/worker: handling work 1/);

		release();
		await expect(slow).resolves.toBe("done");
		const after = (await gatherNodeStates(caller)) as NodeState[];
		expect(after.map(a => a.inFlight.oldest)).toEqual([[], []]);
	});
});
