/**
 * Runs each local action and event handler inside lib/logging/request-context's store, so
 * every log line written while it runs (service code, mixins, other middlewares, libraries)
 * carries the request id, tenant and user without a change to any `this.logger` call.
 * Registered only with LOG_FORMAT=json: the text format does not print those fields, and an
 * AsyncLocalStorage that is never entered costs nothing.
 */
import type { ActionHandler, Context, Middleware } from "moleculer";
import { requestContext } from "../lib/logging/request-context";
import type { RequestMeta } from "../lib/meta";

type Handler = (ctx: Context<unknown, RequestMeta>) => unknown;

export function LogContextMiddleware(): Middleware {
	const wrap = (next: Handler): Handler =>
		function inRequestContext(ctx) {
			return requestContext.run(ctx, next, ctx);
		};
	return {
		name: "LogContext",
		localAction: (next: ActionHandler) => wrap(next as Handler),
		localEvent: (next: Handler) => wrap(next)
	} as unknown as Middleware;
}
