/**
 * A remote call that times out is settled where it was sent. Moleculer's Timeout middleware
 * rejects the caller, and its ErrorHandler forgets the pending request (transit.js
 * removePendingRequest) without settling it, so the call underneath stays pending for ever: the
 * ContextTracker, which sits between the two, keeps its context. A gateway that saw a node die
 * or freeze holds one context for every call that timed out on it (memory that is never given
 * back), and when it stops, waits the whole shutdownTimeout for calls that will never answer.
 *
 * Registered innermost (user middlewares wrap before Moleculer's own), this wraps the transit
 * request itself: at the call's timeout it forgets the pending request and rejects, so every
 * middleware above sees the call end. A late answer is then an orphan, dropped by transit.
 */
import { type ActionHandler, type Context, Errors, type Middleware, type ServiceBroker } from "moleculer";

export function RemoteTimeoutMiddleware(): Middleware {
	return function remoteTimeout(broker: ServiceBroker) {
		return {
			name: "RemoteTimeout",

			remoteAction(next: ActionHandler): ActionHandler {
				return function settleOnTimeout(ctx: Context) {
					const call = next(ctx);
					// Moleculer's Timeout middleware (outside this one) has set the call's timeout by now.
					const timeout = ctx.options.timeout;
					if (!timeout || timeout <= 0) return call;
					return new Promise((resolve, reject) => {
						const timer = setTimeout(function remoteCallTimedOut() {
							broker.transit?.removePendingRequest(ctx.id);
							reject(new Errors.RequestTimeoutError({ action: ctx.action?.name ?? "", nodeID: ctx.nodeID ?? "" }));
						}, timeout);
						call.then(
							(value: unknown) => {
								clearTimeout(timer);
								resolve(value);
							},
							(err: unknown) => {
								clearTimeout(timer);
								reject(err);
							}
						);
					});
				} as ActionHandler;
			}
		};
	} as unknown as Middleware;
}
