/**
 * Client-side rate limits. An action declares how fast each caller may call it
 * (`callerRateLimit: { ratePerSecond, burst }`), and every calling node keeps a token bucket
 * per calling service and action: a call beyond it is refused here, before it is sent, with a
 * retryable CallerRateLimitedError (429, Retry-After at the gateway). One runaway caller (a loop,
 * a report rebuilt for every tenant at once) then cannot flood the action's nodes, and the
 * other callers of the action are not slowed by it: their buckets are their own.
 *
 * The buckets live in the calling node's memory, so the limit is per calling node: n nodes of
 * a calling service may together call n times the rate. That is what a client-side limit can
 * promise without a round trip; the action's nodes stay protected from any one of them.
 *
 * The caller is the service whose handler made the call (`api` for the gateway's); a call made
 * outside any service (the REPL, a script, a test) counts under one key of its own. Registered
 * outside ReadRetry and HedgedRead: a retry or a backup is not another call of the caller.
 */
import type { ActionSchema, CallingOptions, Context, Middleware, ServiceBroker } from "moleculer";
import { CallerRateLimitedError } from "../lib/errors";
import { TokenBucket } from "../lib/rate-limit/token-bucket";
import { type Call, targetAction } from "./read-retry.middleware";

export interface CallerRateLimit {
	/** Calls a second each caller (a service, on one node) may make, on average. */
	ratePerSecond: number;
	/** Calls it may make at once after a quiet spell. */
	burst: number;
}

declare module "moleculer" {
	interface ActionSchema {
		/** How fast each calling service may call this action, enforced by every calling node for its own callers. */
		callerRateLimit?: CallerRateLimit;
	}
}

/** The key of calls made outside any service's handler. */
export const NO_SERVICE_CALLER = "(no service)";

function callerOf(callOpts: CallingOptions): string {
	const parent = (callOpts as { parentCtx?: Context }).parentCtx;
	return parent?.service?.fullName ?? NO_SERVICE_CALLER;
}

function validLimit(limit: CallerRateLimit | undefined): limit is CallerRateLimit {
	return !!limit && limit.ratePerSecond > 0 && limit.burst >= 1;
}

export function CallerRateLimitMiddleware(): Middleware {
	return function callerRateLimit(broker: ServiceBroker) {
		const buckets = new Map<string, TokenBucket>();

		function bucketFor(caller: string, action: ActionSchema, limit: CallerRateLimit): TokenBucket {
			const key = `${caller}\u0000${action.name}`;
			let bucket = buckets.get(key);
			// A new version of the action may declare another limit: the bucket follows it.
			if (!bucket || bucket.limit.ratePerSecond !== limit.ratePerSecond || bucket.limit.burst !== limit.burst) {
				buckets.set(key, (bucket = new TokenBucket({ ratePerSecond: limit.ratePerSecond, burst: limit.burst }, Date.now())));
			}
			return bucket;
		}

		return {
			name: "CallerRateLimit",

			call(next: Call): Call {
				return function callerRateLimitedCall(target, params, callOpts = {}) {
					// Moleculer's Retry calling again with the same context: counted the first time.
					if ((callOpts as { ctx?: unknown }).ctx) return next(target, params, callOpts);
					const action = targetAction(broker, target);
					const limit = action?.callerRateLimit;
					if (!action?.name || !validLimit(limit)) return next(target, params, callOpts);
					const caller = callerOf(callOpts);
					const waitMs = bucketFor(caller, action, limit).take(Date.now());
					if (waitMs > 0) return Promise.reject(new CallerRateLimitedError(caller, action.name, waitMs / 1000)) as ReturnType<Call>;
					return next(target, params, callOpts);
				};
			}
		};
	} as unknown as Middleware;
}
