/**
 * Hedged reads in one process: brokers joined by Moleculer's in-memory Fake transporter, with
 * the middlewares of moleculer.config.ts. A node that never answers stands for a frozen one; the
 * read attempt timeout is long here, so only a backup can answer a read that landed on it soon.
 * Its process still answers pings, as a node whose database hangs would, so it is not silent
 * (lib/hedging/silent-nodes.ts) until the last test stops its PONGs, as a frozen process's stop.
 */
import { randomUUID } from "node:crypto";
import { type Context, Errors, ServiceBroker, type ServiceSchema } from "moleculer";
import { type HedgedReadState, nodeState } from "../../lib/node-state";
import { NotFoundError } from "../../lib/errors";
import { middlewares } from "../../middlewares";
import { describeNodeStates } from "../../scripts/repl-commands";

const ATTEMPT_MS = 1500;

interface Behaviour {
	(name: string, ctx: Context): Promise<unknown>;
}

function broker(namespace: string, nodeID: string, hedgedReads = true): ServiceBroker {
	return new ServiceBroker({
		namespace,
		nodeID,
		transporter: "Fake",
		logger: false,
		requestTimeout: 5000,
		// No heartbeat within the suite: one a second after a node fell silent would end its silence.
		heartbeatInterval: 60,
		heartbeatTimeout: 180,
		tracking: { enabled: true, shutdownTimeout: 1000 },
		registry: { strategy: "RoundRobin", preferLocal: true },
		middlewares: middlewares({ reads: { attemptTimeout: ATTEMPT_MS, retries: 2 }, hedgedReads })
	});
}

/** The same service on each node; `behave` decides what each action does there. */
function records(node: string, served: string[], behave: Behaviour): ServiceSchema {
	const action = (name: string) => (ctx: Context) => {
		served.push(`${node}:${name}`);
		return behave(name, ctx);
	};
	return {
		name: "records",
		actions: {
			get: { rest: "GET /records/:id", handler: action("get") },
			missing: { rest: "GET /missing/:id", handler: action("missing") },
			flaky: { visibility: "public", readOnly: true, handler: action("flaky") },
			burst: { visibility: "public", readOnly: true, handler: action("burst") },
			stuck: { visibility: "public", readOnly: true, handler: action("stuck") },
			update: { rest: "PATCH /records/:id", handler: action("update") }
		}
	};
}

const never = () => new Promise(() => undefined);
const after = <T>(ms: number, value: () => T | Promise<T>) => new Promise<T>(resolve => setTimeout(() => resolve(value()), ms));

describe("hedged reads between nodes", () => {
	const namespace = `unit-${randomUUID().slice(0, 8)}`;
	const served: string[] = [];
	const caller = broker(namespace, "caller");
	const unhedged = broker(namespace, "unhedged", false);
	const frozen = broker(namespace, "frozen");
	const healthy = broker(namespace, "healthy");

	const hedging = (node: ServiceBroker, action: string): HedgedReadState | undefined => nodeState(node).hedgedReads.find(h => h.action === action);
	const timed = async <T>(call: () => Promise<T>) => {
		const started = Date.now();
		const value = await call();
		return { value, ms: Date.now() - started };
	};

	/** Until `callers` each see the service on both nodes: before that, a call could only ever land on one. */
	const seeBothNodes = (...callers: ServiceBroker[]) =>
		new Promise<void>(resolve => {
			const both = (b: ServiceBroker) => b.registry.getServiceList({ onlyAvailable: true }).filter(s => s.name === "records").length === 2;
			const check = () => (callers.every(both) ? resolve() : setTimeout(check, 10));
			check();
		});

	beforeAll(async () => {
		frozen.createService(
			records("frozen", served, (name, ctx) => {
				// Turned away (a node fault) after the backup went, before the other node answers.
				if (name === "flaky")
					return after(150, () => Promise.reject(new Errors.ServiceNotAvailableError({ action: "records.flaky", nodeID: "frozen" })));
				if (name === "missing") return never();
				(ctx.meta as { answeredBy?: string }).answeredBy = "frozen";
				return never();
			})
		);
		healthy.createService(
			records("healthy", served, (name, ctx) => {
				if (name === "missing") return Promise.reject(new NotFoundError("Record", "1"));
				if (name === "flaky") return after(250, () => ({ node: "healthy" }));
				(ctx.meta as { answeredBy?: string }).answeredBy = "healthy";
				return Promise.resolve({ node: "healthy" });
			})
		);
		await Promise.all([frozen.start(), healthy.start(), caller.start(), unhedged.start()]);
		await caller.waitForServices("records");
		await seeBothNodes(caller, unhedged);
	});

	afterAll(async () => {
		await Promise.all([caller.stop(), unhedged.stop(), healthy.stop(), frozen.stop()]);
	});

	it("a read whose first node does not answer is answered by the other soon after, not at the attempt timeout", async () => {
		for (let i = 0; i < 8; i++) {
			const { value, ms } = await timed(() => caller.call("records.get", { id: i }));
			expect(value).toEqual({ node: "healthy" });
			// Well before the attempt timeout: a machine loaded by the full suite (three projects at once) once took 619 ms.
			expect(ms).toBeLessThan((ATTEMPT_MS * 2) / 3);
		}
		// Round-robin sent about half of them to the frozen node first; each had a backup, which won.
		const state = hedging(caller, "records.get")!;
		expect(state.calls).toBe(8);
		expect(state.backups).toBeGreaterThanOrEqual(3);
		expect(state.won).toBe(state.backups);
		// The attempts the frozen node never answered were settled: nothing pending, no context kept.
		expect(caller.transit!.pendingRequests.size).toBe(0);
		expect((caller as unknown as { _trackedContexts: unknown[] })._trackedContexts).toHaveLength(0);
		// The REPL's `breakers` shows the same counts.
		expect(describeNodeStates([nodeState(caller)])).toContain(`hedged records.get: 8 calls, ${state.backups} backups (${state.won} won), 0 over budget`);
	});

	it("without hedging, the same read waits the attempt timeout on the frozen node", async () => {
		const times: number[] = [];
		for (let i = 0; i < 2; i++) times.push((await timed(() => unhedged.call("records.get", { id: i }))).ms);
		expect(Math.max(...times)).toBeGreaterThanOrEqual(ATTEMPT_MS);
		expect(nodeState(unhedged).hedgedReads).toEqual([]);
	});

	it("the answering node's meta reaches the calling context", async () => {
		const seen: string[] = [];
		caller.createService({
			name: "probe",
			actions: {
				async run(ctx: Context) {
					for (let i = 0; i < 4; i++) {
						await ctx.call("records.get", { id: i });
						seen.push((ctx.meta as { answeredBy?: string }).answeredBy ?? "none");
					}
				}
			}
		});
		await caller.waitForServices("probe");
		await caller.call("probe.run");
		expect(seen).toEqual(["healthy", "healthy", "healthy", "healthy"]);
	});

	it("an error the action answers is an answer: the caller gets it without waiting for the frozen node", async () => {
		for (let i = 0; i < 4; i++) {
			const started = Date.now();
			// Rebuilt from the wire: the same name and code, not the same class.
			await expect(caller.call("records.missing", { id: i })).rejects.toMatchObject({ name: "NotFoundError", code: 404 });
			expect(Date.now() - started).toBeLessThan(ATTEMPT_MS / 3);
		}
		expect(caller.transit!.pendingRequests.size).toBe(0);
	});

	it("a node fault of one attempt while the other is out waits for the other: no third call", async () => {
		served.length = 0;
		const reads = 4;
		for (let i = 0; i < reads; i++) await expect(caller.call("records.flaky", { i })).resolves.toEqual({ node: "healthy" });
		// Each read went to both nodes once (whichever first), and never a third time.
		expect(served.filter(s => s === "frozen:flaky")).toHaveLength(reads);
		expect(served.filter(s => s === "healthy:flaky")).toHaveLength(reads);
	});

	it("backups stay within a tenth of the calls plus the burst; the reads without one still answer, through ReadRetry", async () => {
		const calls = 40;
		const outcomes = await Promise.all(
			Array.from({ length: calls }, (_, i) =>
				caller.call("records.burst", { i }).then(
					() => "ok",
					(err: Error) => err.name
				)
			)
		);
		expect(outcomes.filter(o => o !== "ok")).toEqual([]);
		const state = hedging(caller, "records.burst")!;
		// ReadRetry's second attempts are calls too, each with its own chance of a backup.
		expect(state.calls).toBeGreaterThanOrEqual(calls);
		expect(state.backups).toBeLessThanOrEqual(Math.floor(0.1 * state.calls) + 10);
		// About half the first attempts hit the frozen node: more than the budget could cover.
		expect(state.overBudget).toBeGreaterThan(0);
		expect(state.backups).toBeGreaterThan(0);
		expect(caller.transit!.pendingRequests.size).toBe(0);
	});

	it("half the budget is kept for calls still unanswered at four times the wait: merely slow ones cannot spend it", async () => {
		// A fresh action: a full budget of 10, and the default wait of 50 ms (no answers yet).
		const times = await Promise.all(Array.from({ length: 12 }, (_, i) => timed(() => caller.call("records.stuck", { i })).then(t => t.ms)));
		const state = hedging(caller, "records.stuck")!;
		// Six first attempts met the frozen node: five backups at 50 ms (down to the reserve of
		// five), and the sixth from the reserve at 200 ms.
		expect(state.backups).toBe(6);
		expect(state.overBudget).toBe(0);
		const slowest = Math.max(...times);
		expect(slowest).toBeGreaterThanOrEqual(200);
		expect(slowest).toBeLessThan(ATTEMPT_MS / 3);
	});

	it("writes are never hedged", async () => {
		const outcomes = await Promise.all(
			Array.from({ length: 4 }, (_, i) =>
				caller.call("records.update", { i }, { timeout: 300 }).then(
					() => "ok",
					(err: Error) => err.name
				)
			)
		);
		expect(outcomes).toContain("RequestTimeoutError");
		expect(hedging(caller, "records.update")).toBeUndefined();
	});

	it("a node that serves the action itself keeps its calls local and sends no backup", async () => {
		const local = broker(namespace, "local");
		local.createService(records("local", served, () => Promise.resolve({ node: "local" })));
		await local.start();
		try {
			for (let i = 0; i < 4; i++) await expect(local.call("records.get", { i })).resolves.toEqual({ node: "local" });
			expect(nodeState(local).hedgedReads).toEqual([]);
		} finally {
			await local.stop();
		}
	});
	it("a node that stops answering pings too is silent: once found so, reads go to the other node first, and no backup goes to it", async () => {
		const silentCaller = broker(namespace, "caller-silent");
		await silentCaller.start();
		await seeBothNodes(silentCaller);
		// The frozen node's process stops answering pings, as a stopped process does.
		const transit = frozen.transit as unknown as { sendPong(payload: unknown): Promise<void> };
		const sendPong = transit.sendPong;
		transit.sendPong = () => Promise.resolve();
		try {
			// Reads until one finds it silent: one sent there unanswered for 250 ms, and an unanswered ping.
			const state = () => hedging(silentCaller, "records.get");
			for (let i = 0; i < 60 && !((state()?.rerouted ?? 0) > 0); i++) {
				await silentCaller.call("records.get", { id: i });
				await new Promise(resolve => setTimeout(resolve, 20));
			}
			const before = { ...state()! };
			expect(before.rerouted).toBeGreaterThan(0);
			served.length = 0;
			for (let i = 0; i < 10; i++) {
				await expect(silentCaller.call("records.get", { id: i })).resolves.toEqual({ node: "healthy" });
			}
			// Each went to the healthy node first, and it answered before any backup was due.
			expect(served).toEqual(Array(10).fill("healthy:get"));
			const after = state()!;
			expect(after.backups).toBe(before.backups);
			// Round-robin picked the frozen node for about half of them.
			expect(after.rerouted - before.rerouted).toBeGreaterThanOrEqual(3);
			expect(describeNodeStates([nodeState(silentCaller)])).toContain(`${after.rerouted} sent away from a silent node`);

			// The healthy node answers this one after 250 ms, past the 50 ms a backup waits for: the
			// only other node is silent, so none is sent, and the read waits for the healthy node.
			served.length = 0;
			await expect(silentCaller.call("records.flaky")).resolves.toEqual({ node: "healthy" });
			expect(served).toEqual(["healthy:flaky"]);
			expect(hedging(silentCaller, "records.flaky")).toMatchObject({ calls: 1, backups: 0 });
		} finally {
			transit.sendPong = sendPong;
			await silentCaller.stop();
		}
	});
});
