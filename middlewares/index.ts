/**
 * The broker's middlewares, in order: the last one wraps outermost. moleculer.config.ts and
 * the tests use this same list.
 */
import type { Middleware } from "moleculer";
import { HealthPortMiddleware } from "./health-port.middleware";
import { RequestLogMiddleware } from "./request-log.middleware";

export function middlewares(opts: { healthPort?: number } = {}): Middleware[] {
	return [RequestLogMiddleware(), ...(opts.healthPort === undefined ? [] : [HealthPortMiddleware(opts.healthPort)])];
}
