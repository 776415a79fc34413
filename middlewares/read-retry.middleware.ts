/**
 * Reads that survive a node which dies, freezes or stops. A call to a read-only action (a GET
 * route, or one that says `readOnly: true`) that a node does not answer within the attempt
 * timeout, turns away because it is stopping, or leaves pending when it is declared gone, goes
 * to another node that has not failed it yet.
 *
 * The short attempt timeout applies only while another node is left to turn to: the last node
 * that can serve the call gets whatever remains of the caller's time, so a read that is merely
 * slow still answers (once, not three times cut short), and a service with one node behaves as
 * if this middleware were not there.
 *
 * Moleculer's own Retry middleware cannot do this: it is off unless the broker's retryPolicy is
 * on (a per-call `retries` is ignored otherwise), and it asks the balancer again, which picks
 * the node that just failed as often as not. Writes are never retried here: a timeout does not
 * say whether the write happened.
 */
import { type ActionSchema, type CallingOptions, type Context, Errors, type Middleware, type ServiceBroker } from "moleculer";

export interface ReadRetryOptions {
	/** How long one attempt may take (ms) while another node is left, unless the action declares its own `attemptTimeout`. */
	attemptTimeout: number;
	/** Attempts after the first. */
	retries: number;
}

declare module "moleculer" {
	interface ActionSchema {
		/**
		 * The action changes nothing, so a caller may try it again on another node. A GET route
		 * is read-only unless it says `readOnly: false`; any other action only when it says true.
		 */
		readOnly?: boolean;
		/** How long one attempt may take (ms) while another node is left; READ_ATTEMPT_TIMEOUT unless set. */
		attemptTimeout?: number;
	}
}

export type Call = (action: unknown, params?: unknown, opts?: CallingOptions) => Promise<unknown> & { ctx?: Context };

export interface EndpointLike {
	id: string;
	local: boolean;
	isAvailable: boolean;
	action: ActionSchema;
}

/** Errors that say a node did not serve the call, not that the action failed: another node may. */
export const NODE_FAULTS = new Set(["RequestTimeoutError", "RequestRejectedError", "ServiceNotAvailableError"]);

/** With no other node to try after a node turned the call away, a short pause lets a restarting one come back. */
const NO_OTHER_NODE_DELAY_MS = 100;

function restMethod(rest: unknown): string | undefined {
	if (typeof rest === "string") return /^\s*([A-Za-z]+)\s+\S/.exec(rest)?.[1].toUpperCase();
	if (rest && typeof rest === "object" && "method" in rest) return String((rest as { method: unknown }).method).toUpperCase();
	return undefined;
}

export function isReadOnly(action: ActionSchema): boolean {
	return action.readOnly ?? restMethod(action.rest) === "GET";
}

export function endpointsOf(broker: ServiceBroker, name: string): EndpointLike[] {
	// Typed in moleculer's index.d.ts on the registry's catalog only; the registry has it (registry.js).
	const registry = broker.registry as unknown as { getActionEndpoints(name: string): { endpoints: EndpointLike[] } | undefined };
	return registry.getActionEndpoints(name)?.endpoints ?? [];
}

/** The action a call is for: moleculer-web calls with an endpoint, everyone else with a name. */
export function targetAction(broker: ServiceBroker, target: unknown): ActionSchema | undefined {
	if (typeof target === "string") return endpointsOf(broker, target)[0]?.action;
	return (target as Partial<EndpointLike> | null)?.action;
}

/** A call this node serves itself (the balancer prefers local endpoints) has no node to lose. */
function servedHere(broker: ServiceBroker, target: unknown): boolean {
	if (typeof target === "string") return endpointsOf(broker, target).some(ep => ep.local && ep.isAvailable);
	return !!(target as Partial<EndpointLike> | null)?.local;
}

/** This node if it is among them, any of the others otherwise. */
function pick(candidates: EndpointLike[]): EndpointLike | undefined {
	return candidates.find(ep => ep.local) ?? candidates[Math.floor(Math.random() * candidates.length)];
}

/**
 * ctx.call merges the callee's meta back through the call's `p.ctx` once it has settled: the
 * attempt that answered, set here as it settles. Moleculer's call interceptor sets the first
 * attempt's as the call returns, before any attempt can settle.
 *
 * A plain property, not an accessor defined on each call's promise (hedged-read.middleware.ts
 * uses this too): a getter per call gave each promise a hidden class of its own, which V8 keeps
 * in the old generation, and through the getter's closure the whole request stayed reachable
 * from it. Every scavenge then kept and promoted the requests in flight: some 18 % of all a
 * gateway allocated, scavenges of 15–20 ms (docs/benchmarks.md, "What kept requests alive").
 */
export function answeredBy(call: { promise?: { ctx?: Context } }, attempt: { ctx?: Context }): void {
	if (call.promise) call.promise.ctx = attempt.ctx;
}

export function ReadRetryMiddleware(opts: ReadRetryOptions): Middleware {
	// Moleculer calls a middleware that is a function with the broker (middleware.js, add()).
	return function readRetry(broker: ServiceBroker) {
		const logger = broker.getLogger("read-retry");

		async function attempts(
			first: unknown,
			action: ActionSchema,
			params: unknown,
			callOpts: CallingOptions,
			next: Call,
			call: { promise?: { ctx?: Context } }
		) {
			const name = action.name!;
			// The caller's time (ctx.call passes what is left of its own), else the action's, else the broker's.
			const budget = callOpts.timeout ?? action.timeout ?? broker.options.requestTimeout ?? 0;
			const perAttempt = action.attemptTimeout ?? opts.attemptTimeout;
			const started = Date.now();
			const failed = new Set<string>();
			let lastError: unknown;
			for (let attempt = 0; attempt <= opts.retries; attempt++) {
				const left = budget > 0 ? budget - (Date.now() - started) : Infinity;
				if (left <= 0) break;
				const untried = endpointsOf(broker, name).filter(ep => ep.isAvailable && !failed.has(ep.id));
				let target: unknown = first;
				if (attempt > 0) {
					const chosen = pick(untried);
					if (chosen) target = chosen;
					else if ((lastError as Error).name === "RequestTimeoutError") break;
					else {
						await new Promise(resolve => setTimeout(resolve, NO_OTHER_NODE_DELAY_MS * attempt));
						target = name;
					}
				}
				const targetNode = typeof target === "string" ? undefined : (target as EndpointLike).id;
				const anotherLeft = attempt < opts.retries && untried.some(ep => ep.id !== targetNode) && untried.length > (targetNode ? 0 : 1);
				const timeout = anotherLeft ? Math.min(perAttempt, left) : left;
				const p = next(target, params, { ...callOpts, timeout: Number.isFinite(timeout) ? timeout : 0 });
				try {
					return await p;
				} catch (err) {
					if (!NODE_FAULTS.has((err as Error).name)) throw err;
					lastError = err;
					const failedNode = p.ctx?.nodeID ?? targetNode ?? (err as Errors.MoleculerError).data?.nodeID;
					if (failedNode) failed.add(failedNode);
					if (attempt < opts.retries) {
						logger.warn(`${name} failed on ${failedNode ?? "no node"} (${(err as Error).name}): trying another node`, {
							requestID: p.ctx?.requestID
						});
					}
				} finally {
					answeredBy(call, p);
				}
			}
			throw lastError ?? new Errors.RequestTimeoutError({ action: name, nodeID: broker.nodeID });
		}

		return {
			name: "ReadRetry",

			call(next: Call): Call {
				return function readRetryCall(target, params, callOpts = {}) {
					// A direct call, a caller's own retry policy, or Moleculer's Retry calling again: leave it.
					if (callOpts.nodeID || callOpts.retries != null || (callOpts as { ctx?: unknown }).ctx) return next(target, params, callOpts);
					if (servedHere(broker, target)) return next(target, params, callOpts);
					const action = targetAction(broker, target);
					if (!action?.name || !isReadOnly(action)) return next(target, params, callOpts);
					const call: { promise?: { ctx?: Context } } = {};
					const result = attempts(target, action, params, callOpts, next, call) as ReturnType<Call>;
					call.promise = result;
					return result;
				};
			}
		};
	} as unknown as Middleware;
}
