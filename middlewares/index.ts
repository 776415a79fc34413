/**
 * The broker's middlewares, in order: the last one wraps outermost. moleculer.config.ts and
 * the tests use this same list.
 */
import type { Middleware } from "moleculer";
import { ActionTimeouts } from "../lib/action-timeouts";
import { ActionTimeoutsMiddleware } from "./action-timeouts.middleware";
import { HealthPortMiddleware } from "./health-port.middleware";
import { HttpDrainMiddleware } from "./http-drain.middleware";
import { LogContextMiddleware } from "./log-context.middleware";
import { NodeStateMiddleware } from "./node-state.middleware";
import { type ReadRetryOptions, ReadRetryMiddleware } from "./read-retry.middleware";
import { RemoteTimeoutMiddleware } from "./remote-timeout.middleware";
import { RequestLogMiddleware } from "./request-log.middleware";
import { StoreMetricsMiddleware } from "./store-metrics.middleware";

export function middlewares(opts: { healthPort?: number; reads: ReadRetryOptions; requestLogContext?: boolean }): Middleware[] {
	return [
		// First: the innermost wrapper of remote calls, right around the transit request.
		RemoteTimeoutMiddleware(),
		RequestLogMiddleware(),
		ReadRetryMiddleware(opts.reads),
		// Wraps nothing: gives read-only actions their timeout as their services are created.
		ActionTimeoutsMiddleware(ActionTimeouts.read),
		HttpDrainMiddleware(),
		// Wraps nothing: registers the pool's gauges when metrics are on, and keeps them current.
		StoreMetricsMiddleware(),
		NodeStateMiddleware(),
		...(opts.healthPort === undefined ? [] : [HealthPortMiddleware(opts.healthPort)]),
		// Last: outermost of ours, so the lines of every middleware above carry the request too.
		...(opts.requestLogContext ? [LogContextMiddleware()] : [])
	];
}
