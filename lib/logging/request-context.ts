/**
 * The request a log line is written for. Moleculer hands `ctx` to handlers, not to loggers, so
 * `this.logger.info(...)` in a service knows nothing of the request it serves: the LogContext
 * middleware runs every local action and event handler inside this store, and the JSON logger
 * reads it on each line (lib/logging/logger.ts).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Context } from "moleculer";
import type { RequestMeta } from "../meta";

/** What every line of a request carries; the gateway's access line uses the same names. */
export interface RequestLogFields {
	requestId?: string;
	tenant?: string;
	user?: string;
}

export const requestContext = new AsyncLocalStorage<Context<unknown, RequestMeta>>();

/**
 * Read when the line is written, not when the handler started: the gateway authenticates inside
 * its `rest` action, so `ctx.meta.user` appears halfway through the request.
 */
export function requestLogFields(ctx: Context<unknown, RequestMeta> | undefined): RequestLogFields {
	if (!ctx) return {};
	const user = ctx.meta?.user;
	return user ? { requestId: ctx.requestID ?? undefined, tenant: user.tenantId, user: user.id } : { requestId: ctx.requestID ?? undefined };
}

export function currentRequestLogFields(): RequestLogFields {
	return requestLogFields(requestContext.getStore());
}
