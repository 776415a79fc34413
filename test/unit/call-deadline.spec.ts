/** A remote call's deadline: stamped where it is sent, and a call that arrives past it is never started. */
import { type ActionHandler, type Context, Errors, ServiceBroker } from "moleculer";
import { CLOCK_SKEW_MS, CallDeadlineMiddleware, CallExpiredError } from "../../middlewares/call-deadline.middleware";

describe("call deadlines", () => {
	const broker = new ServiceBroker({ nodeID: "here", logger: false });
	const middleware = (CallDeadlineMiddleware() as unknown as (b: ServiceBroker) => unknown)(broker) as {
		remoteAction(next: ActionHandler): ActionHandler;
		localAction(next: ActionHandler): ActionHandler;
	};
	const context = (nodeID: string, meta: Record<string, unknown>, timeout = 5000) =>
		({ nodeID, meta, options: { timeout }, action: { name: "employees.update" } }) as unknown as Context;

	it("stamps a remote call with the moment its caller stops waiting", async () => {
		const ctx = context("here", {}, 3000);
		const before = Date.now();
		await middleware.remoteAction(async () => "sent")(ctx);
		const deadline = (ctx.meta as { $deadline: number }).$deadline;
		expect(deadline).toBeGreaterThanOrEqual(before + 3000);
		expect(deadline).toBeLessThanOrEqual(Date.now() + 3000);
	});

	it("answers a write whose node was declared gone only at its deadline (504), a read at once", async () => {
		const rejected = async () => Promise.reject(new Errors.RequestRejectedError({ action: "employees.update", nodeID: "data-2" }));
		const write = context("here", {}, 300);
		const started = Date.now();
		await expect(middleware.remoteAction(rejected)(write)).rejects.toBeInstanceOf(Errors.RequestTimeoutError);
		expect(Date.now() - started).toBeGreaterThanOrEqual(300);
		const read = { ...context("here", {}, 300), action: { name: "employees.get", rest: "GET /employees/:id" } } as unknown as Context;
		const asked = Date.now();
		await expect(middleware.remoteAction(rejected)(read)).rejects.toBeInstanceOf(Errors.RequestRejectedError);
		expect(Date.now() - asked).toBeLessThan(100);
	});

	it("never starts a call that arrives from another node past its deadline", async () => {
		const handler = jest.fn(async () => "done");
		const late = context("gateway-1", { $deadline: Date.now() - CLOCK_SKEW_MS - 5000 });
		await expect(middleware.localAction(handler)(late)).rejects.toBeInstanceOf(CallExpiredError);
		await expect(middleware.localAction(handler)(late)).rejects.toMatchObject({ code: 504, type: "CALL_EXPIRED" });
		expect(handler).not.toHaveBeenCalled();
	});

	it("runs one still awaited, with its budget shrunk to the time left", async () => {
		const handler = jest.fn(async () => "done");
		const ctx = context("gateway-1", { $deadline: Date.now() + 1000 }, 5000);
		await expect(middleware.localAction(handler)(ctx)).resolves.toBe("done");
		expect(ctx.options.timeout).toBeLessThanOrEqual(1000 + CLOCK_SKEW_MS);
		expect(ctx.options.timeout).toBeGreaterThan(500);
		// A clock a little behind the caller's is allowed for.
		await expect(middleware.localAction(handler)(context("gateway-1", { $deadline: Date.now() - CLOCK_SKEW_MS / 2 }))).resolves.toBe("done");
	});

	it("leaves local calls and calls without a deadline alone", async () => {
		const handler = jest.fn(async () => "done");
		await expect(middleware.localAction(handler)(context("here", { $deadline: Date.now() - 60_000 }))).resolves.toBe("done");
		await expect(middleware.localAction(handler)(context("gateway-1", {}))).resolves.toBe("done");
		expect(handler).toHaveBeenCalledTimes(2);
	});

	it("refuses what queued up while the node stood still long enough to be declared gone, and runs calls again once it turns", async () => {
		const quick = new ServiceBroker({ nodeID: "frozen", logger: false, heartbeatTimeout: 1, heartbeatInterval: 0.7 });
		const frozen = (CallDeadlineMiddleware() as unknown as (b: ServiceBroker) => unknown)(quick) as {
			created(): void;
			stopped(): void;
			localAction(next: ActionHandler): ActionHandler;
		};
		frozen.created();
		try {
			const handler = jest.fn(async () => "done");
			const awaited = () => context("gateway-1", { $deadline: Date.now() + 60_000 }, 60_000);
			// The event loop held still, as under SIGSTOP: the call is handled before any timer runs again.
			const until = Date.now() + 600;
			while (Date.now() < until);
			await expect(frozen.localAction(handler)(awaited())).rejects.toMatchObject({ code: 504, type: "CALL_EXPIRED" });
			expect(handler).not.toHaveBeenCalled();
			await new Promise(resolve => setTimeout(resolve, 150));
			await expect(frozen.localAction(handler)(awaited())).resolves.toBe("done");
		} finally {
			frozen.stopped();
		}
	});
});
