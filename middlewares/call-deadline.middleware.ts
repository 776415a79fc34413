/**
 * A remote call is not started by a node that its caller has stopped waiting on.
 *
 * Moleculer sends a call's timeout as a duration, which the receiving node counts from when the
 * request reaches it (transit.js: `ctx.options.timeout = payload.timeout`). A node frozen (SIGSTOP,
 * a long GC, a VM paused) finds its queued requests on waking and runs each of them with a fresh
 * budget, seconds after their callers answered 504, or 503 once they declared the node gone. A
 * write then lands late, over the writes a client made since and was answered 200 for: a lost
 * update (a phone number, a role). So:
 * - a remote call carries the moment its caller stops waiting (`meta.$deadline`, wall-clock ms),
 *   and arriving past it (give or take CLOCK_SKEW_MS between the nodes' clocks) it is refused;
 * - a node that wakes from a stall long enough for its callers to have declared it gone (the
 *   heartbeat timeout less one heartbeat interval: its last heartbeat may have gone out that much
 *   before the stall) refuses the calls that queued up meanwhile, deadline or not: its callers
 *   rejected every call pending on it then (503), however much of their timeout was left.
 * - a write whose node is declared gone while it waits is answered (504) only at its deadline,
 *   as the node may run it until then: whatever it does comes before its caller's answer.
 * Refused, a call never starts; its caller gave up on it, and the answer is dropped (or, for a
 * caller still waiting, a 504 that changed nothing). On the node a call reaches, its own budget
 * shrinks to the time left, so what it calls in turn gives up with it (distributed timeouts).
 */
import { type ActionHandler, type Context, Errors, type Middleware, type ServiceBroker } from "moleculer";
import { isReadOnly } from "./read-retry.middleware";

/** How far the nodes' clocks may differ without refusing a call that is still awaited. */
export const CLOCK_SKEW_MS = 250;

/** How often the node notes that its event loop is turning: a longer gap is a stall. */
const TICK_MS = 100;

/** A call that reached its node after its caller stopped waiting: 504, as the caller saw it. */
export class CallExpiredError extends Errors.MoleculerError {
	constructor(action: string, callerNodeID: string, reason: string) {
		super(`The call to ${action} from ${callerNodeID} was not started: ${reason}`, 504, "CALL_EXPIRED", { action, callerNodeID });
		this.name = "CallExpiredError";
	}
}

type Meta = { $deadline?: unknown };

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * A write whose node was declared gone while it waited (RequestRejectedError) is answered at its
 * deadline, not at once: the node may still run it until then (a frozen one that thaws), and the
 * effect of a call must come before its answer, never after a write the client makes once told.
 * Past its deadline the node refuses it, so a 504 then says "may have happened, and is over".
 */
async function answerNoSooner(err: unknown, deadline: number, ctx: Context): Promise<never> {
	if (!(err instanceof Errors.RequestRejectedError)) throw err;
	await sleep(deadline + CLOCK_SKEW_MS - Date.now());
	throw new Errors.RequestTimeoutError({ action: ctx.action?.name ?? "", nodeID: ctx.nodeID ?? "" });
}

export function CallDeadlineMiddleware(): Middleware {
	return function callDeadline(broker: ServiceBroker) {
		/** When the event loop last turned (TICK_MS apart while it runs), and the stall that counts. */
		let lastTick = Date.now();
		let ticker: NodeJS.Timeout | undefined;
		// The earliest a caller may declare this node gone: its last heartbeat went out up to one interval
		// before the stall began, and it is gone a heartbeat timeout after that one.
		const { heartbeatTimeout = 15, heartbeatInterval = 5 } = broker.options;
		const stallMs = Math.max(TICK_MS * 5, (heartbeatTimeout - heartbeatInterval) * 1000 - CLOCK_SKEW_MS);
		return {
			name: "CallDeadline",

			created() {
				ticker = setInterval(() => (lastTick = Date.now()), TICK_MS);
				ticker.unref();
			},

			stopped() {
				clearInterval(ticker);
			},

			remoteAction(next: ActionHandler): ActionHandler {
				return function stampDeadline(ctx: Context) {
					// Moleculer's Timeout middleware (outside this one) has set the call's timeout by now.
					const timeout = ctx.options.timeout;
					if (!timeout || timeout <= 0) return next(ctx);
					const deadline = Date.now() + timeout;
					(ctx.meta as Meta).$deadline = deadline;
					if (ctx.action && isReadOnly(ctx.action)) return next(ctx);
					return (next(ctx) as Promise<unknown>).catch((err: unknown) => answerNoSooner(err, deadline, ctx));
				};
			},

			localAction(next: ActionHandler): ActionHandler {
				return function checkDeadline(ctx: Context) {
					// Only what came over the transporter: a local call shares its caller's clock and promise.
					if (!ctx.nodeID || ctx.nodeID === broker.nodeID) return next(ctx);
					const now = Date.now();
					const action = ctx.action?.name ?? "";
					// Handled in the burst of I/O that waking brings, before the ticker has turned again.
					if (now - lastTick > stallMs) {
						return Promise.reject(new CallExpiredError(action, ctx.nodeID, `it queued while this node stood still for ${now - lastTick} ms`));
					}
					const deadline = (ctx.meta as Meta | undefined)?.$deadline;
					if (typeof deadline !== "number") return next(ctx);
					const left = deadline - now;
					if (left < -CLOCK_SKEW_MS) {
						return Promise.reject(new CallExpiredError(action, ctx.nodeID, `it arrived ${-left} ms after its caller stopped waiting`));
					}
					const timeout = ctx.options.timeout;
					if (timeout && timeout > 0) ctx.options.timeout = Math.max(1, Math.min(timeout, left + CLOCK_SKEW_MS));
					return next(ctx);
				};
			}
		};
	} as unknown as Middleware;
}
