/**
 * Logs each local action call with its request id, so one client request can be followed
 * through every node's log. Debug level: at a higher level the handlers are left unwrapped.
 */
import type { ActionHandler, ActionSchema, Context, LoggerInstance, Middleware, ServiceBroker } from "moleculer";
import type { RequestMeta } from "../lib/meta";

function debugEnabled(broker: ServiceBroker): boolean {
	const level = broker.options.logLevel;
	// A per-module level map may switch debug on anywhere: wrap, and let the logger filter.
	return typeof level !== "string" || level === "debug" || level === "trace";
}

function ms(started: bigint): string {
	return (Number(process.hrtime.bigint() - started) / 1e6).toFixed(1);
}

export function RequestLogMiddleware(): Middleware {
	let logger: LoggerInstance | undefined;
	return {
		name: "RequestLog",

		localAction(this: ServiceBroker, next: ActionHandler, action: ActionSchema): ActionHandler {
			if (!debugEnabled(this)) return next;
			const log = (logger ??= this.getLogger("request"));
			return async function logRequest(ctx: Context<unknown, RequestMeta>) {
				const started = process.hrtime.bigint();
				const who = ctx.meta.user ? `user=${ctx.meta.user.id} tenant=${ctx.meta.user.tenantId}` : "anonymous";
				try {
					const result = await next(ctx);
					log.debug(`req=${ctx.requestID} ${action.name} ${who} ok ${ms(started)}ms`);
					return result;
				} catch (err) {
					log.debug(`req=${ctx.requestID} ${action.name} ${who} ${(err as Error).name} ${ms(started)}ms`);
					throw err;
				}
			} as ActionHandler;
		}
	} as unknown as Middleware;
}
