/**
 * The broker's middlewares, in order: the last one wraps outermost. moleculer.config.ts and
 * the tests use this same list.
 */
import { Middleware as ChannelsMiddleware } from "@moleculer/channels";
import type { Middleware } from "moleculer";
import { ActionTimeouts } from "../lib/action-timeouts";
import { type ChannelAdapterDefinition } from "../lib/channels/adapter";
import { ChannelReplaysMiddleware } from "./channel-replays.middleware";
import { type ChannelRetryOptions, ChannelRetriesMiddleware } from "./channel-retries.middleware";
import { ActionTimeoutsMiddleware } from "./action-timeouts.middleware";
import { CallDeadlineMiddleware } from "./call-deadline.middleware";
import { CallerRateLimitMiddleware } from "./caller-rate-limit.middleware";
import { HealthPortMiddleware } from "./health-port.middleware";
import { HedgedReadMiddleware } from "./hedged-read.middleware";
import { HttpDrainMiddleware } from "./http-drain.middleware";
import { LogContextMiddleware } from "./log-context.middleware";
import { NodeStateMiddleware } from "./node-state.middleware";
import { PendingRequestsMiddleware } from "./pending-requests.middleware";
import { type ReadRetryOptions, ReadRetryMiddleware } from "./read-retry.middleware";
import { RemoteTimeoutMiddleware } from "./remote-timeout.middleware";
import { RequestLogMiddleware } from "./request-log.middleware";
import { StoreMetricsMiddleware } from "./store-metrics.middleware";
import { UnsharedSchemasMiddleware } from "./unshared-schemas.middleware";

export interface MiddlewareOptions {
	healthPort?: number;
	reads: ReadRetryOptions;
	/** Backups for slow remote reads (HEDGED_READS), on unless false. */
	hedgedReads?: boolean;
	requestLogContext?: boolean;
	/** Durable domain events: the adapter (lib/channels/adapter.ts) and how failed deliveries are retried; none without. */
	channels?: { adapter: ChannelAdapterDefinition } & ChannelRetryOptions;
}

export function middlewares(opts: MiddlewareOptions): Middleware[] {
	return [
		// Adds broker.sendToChannel and subscribes the `channels` of every service; the next two
		// wrap each of those handlers: the waits between retries, then (outside them) a replay
		// skipped by every group but the one it is for.
		...(opts.channels
			? [
					ChannelsMiddleware({ adapter: opts.channels.adapter } as never) as unknown as Middleware,
					ChannelRetriesMiddleware(opts.channels),
					ChannelReplaysMiddleware()
				]
			: []),
		// First: the innermost wrapper of remote calls, right around the transit request.
		RemoteTimeoutMiddleware(),
		// Stamps each remote call (each retry and backup too) with its deadline; refuses an incoming one past it.
		CallDeadlineMiddleware(),
		RequestLogMiddleware(),
		// Inside ReadRetry: each of its attempts is one hedged call (a first try and maybe a backup).
		HedgedReadMiddleware({ enabled: opts.hedgedReads ?? true }),
		ReadRetryMiddleware(opts.reads),
		// Wraps nothing: gives read-only actions their timeout as their services are created.
		ActionTimeoutsMiddleware(ActionTimeouts.read),
		// Wraps nothing: copies what actions' schemas share, so that other nodes get all of it.
		UnsharedSchemasMiddleware(),
		// Outside both: a retry or a backup is not another call of the caller.
		CallerRateLimitMiddleware(),
		HttpDrainMiddleware(),
		// Wraps nothing: registers the pool's gauges when metrics are on, and keeps them current.
		StoreMetricsMiddleware(),
		NodeStateMiddleware(),
		PendingRequestsMiddleware(),
		...(opts.healthPort === undefined ? [] : [HealthPortMiddleware(opts.healthPort)]),
		// Last: outermost of ours, so the lines of every middleware above carry the request too.
		...(opts.requestLogContext ? [LogContextMiddleware()] : [])
	];
}
