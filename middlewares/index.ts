/**
 * The broker's middlewares, in order: the last one wraps outermost. moleculer.config.ts and
 * the tests use this same list.
 */
import type { Middleware } from "moleculer";
import { ActionTimeouts } from "../lib/action-timeouts";
import { ActionTimeoutsMiddleware } from "./action-timeouts.middleware";
import { CallerRateLimitMiddleware } from "./caller-rate-limit.middleware";
import { HealthPortMiddleware } from "./health-port.middleware";
import { HedgedReadMiddleware } from "./hedged-read.middleware";
import { HttpDrainMiddleware } from "./http-drain.middleware";
import { LogContextMiddleware } from "./log-context.middleware";
import { NodeStateMiddleware } from "./node-state.middleware";
import { type ReadRetryOptions, ReadRetryMiddleware } from "./read-retry.middleware";
import { RemoteTimeoutMiddleware } from "./remote-timeout.middleware";
import { RequestLogMiddleware } from "./request-log.middleware";
import { StoreMetricsMiddleware } from "./store-metrics.middleware";

/** `hedgedReads`: backups for slow remote reads (HEDGED_READS), on unless false. */
export function middlewares(opts: { healthPort?: number; reads: ReadRetryOptions; hedgedReads?: boolean; requestLogContext?: boolean }): Middleware[] {
	return [
		// First: the innermost wrapper of remote calls, right around the transit request.
		RemoteTimeoutMiddleware(),
		RequestLogMiddleware(),
		// Inside ReadRetry: each of its attempts is one hedged call (a first try and maybe a backup).
		HedgedReadMiddleware({ enabled: opts.hedgedReads ?? true }),
		ReadRetryMiddleware(opts.reads),
		// Wraps nothing: gives read-only actions their timeout as their services are created.
		ActionTimeoutsMiddleware(ActionTimeouts.read),
		// Outside both: a retry or a backup is not another call of the caller.
		CallerRateLimitMiddleware(),
		HttpDrainMiddleware(),
		// Wraps nothing: registers the pool's gauges when metrics are on, and keeps them current.
		StoreMetricsMiddleware(),
		NodeStateMiddleware(),
		...(opts.healthPort === undefined ? [] : [HealthPortMiddleware(opts.healthPort)]),
		// Last: outermost of ours, so the lines of every middleware above carry the request too.
		...(opts.requestLogContext ? [LogContextMiddleware()] : [])
	];
}
