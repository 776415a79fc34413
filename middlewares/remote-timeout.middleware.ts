/**
 * A remote call is settled where it was sent: at its timeout, or when its caller stops waiting
 * for it (a hedged read whose other attempt answered first, middlewares/hedged-read).
 *
 * Moleculer's Timeout middleware rejects the caller, and its ErrorHandler forgets the pending
 * request (transit.js removePendingRequest) without settling it, so the call underneath stays
 * pending for ever: the ContextTracker, which sits between the two, keeps its context. A gateway
 * that saw a node die or freeze holds one context for every call that timed out on it (memory
 * that is never given back), and when it stops, waits the whole shutdownTimeout for calls that
 * will never answer. A call given up on with no way to settle it would do the same.
 *
 * Registered innermost (user middlewares wrap before Moleculer's own), this wraps the transit
 * request itself: at the call's timeout, or when `cancelRemoteCall` is called, it forgets the
 * pending request and rejects, so every middleware above sees the call end. A late answer is
 * then an orphan, dropped by transit.
 */
import { type ActionHandler, type Context, Errors, type Middleware, type ServiceBroker } from "moleculer";

/**
 * A call its caller gave up on. 499 (a client that closed the request, in nginx's words): not a
 * failure of the node, so the circuit breaker (which counts 5xx) leaves it out. Only the caller
 * that cancelled sees it, and ignores it; Moleculer's metrics count it as an error of the action.
 */
export class CallCancelledError extends Errors.MoleculerError {
	constructor(action: string, nodeID: string) {
		super(`The call to ${action} on ${nodeID} was cancelled by its caller`, 499, "CALL_CANCELLED", { action, nodeID });
		this.name = "CallCancelledError";
	}
}

/** The way to settle each remote call still pending; a call that ended has none. */
const cancellers = new WeakMap<Context, () => void>();

/**
 * Settles a remote call that is still pending (the context its promise carries as `p.ctx`):
 * it rejects with CallCancelledError and its pending request is forgotten. False when there
 * was nothing to cancel: it had ended, or was local.
 */
export function cancelRemoteCall(ctx: Context | undefined): boolean {
	const cancel = ctx && cancellers.get(ctx);
	if (!cancel) return false;
	cancel();
	return true;
}

export function RemoteTimeoutMiddleware(): Middleware {
	return function remoteTimeout(broker: ServiceBroker) {
		return {
			name: "RemoteTimeout",

			remoteAction(next: ActionHandler): ActionHandler {
				return function settleRemoteCall(ctx: Context) {
					const call = next(ctx);
					// Moleculer's Timeout middleware (outside this one) has set the call's timeout by now.
					const timeout = ctx.options.timeout;
					const action = ctx.action?.name ?? "";
					const nodeID = ctx.nodeID ?? "";
					return new Promise((resolve, reject) => {
						let timer: NodeJS.Timeout | undefined;
						const ended = () => {
							clearTimeout(timer);
							cancellers.delete(ctx);
						};
						const abandon = (err: Error) => {
							ended();
							broker.transit?.removePendingRequest(ctx.id);
							reject(err);
						};
						if (timeout && timeout > 0) {
							timer = setTimeout(function remoteCallTimedOut() {
								abandon(new Errors.RequestTimeoutError({ action, nodeID }));
							}, timeout);
						}
						cancellers.set(ctx, function remoteCallCancelled() {
							abandon(new CallCancelledError(action, nodeID));
						});
						call.then(
							(value: unknown) => {
								ended();
								resolve(value);
							},
							(err: unknown) => {
								ended();
								reject(err);
							}
						);
					});
				} as ActionHandler;
			}
		};
	} as unknown as Middleware;
}
