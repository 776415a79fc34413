/**
 * What every report does when its inputs cannot be read at all (no node, a timeout, a breaker
 * open, a data node failing): it answers the last value computed for the same tenant and
 * parameters, marked stale (`stale: true`, `computedAt`, and `Warning: 110`), rather than a 5xx.
 * Moleculer calls an action's `fallback` on any error of the action, its own timeout included;
 * a client's error (a bad parameter, a role without access) stays the client's.
 */
import { performance } from "node:perf_hooks";
import type { CallingOptions } from "moleculer";
import { isServerFailure } from "../../../lib/circuit-breaker";
import { type AuthUser, type RosterContext, callDeadline, hasRole, isStaff } from "../../../lib/meta";
import type { DerivedCacheMethods, LastDerived } from "../../../mixins/derived-cache.mixin";

/** What a report answers when its inputs could not be read: the last value, marked. */
export type StaleReport<T> = T & { stale: true; computedAt: string };

/** The `Warning` an answer from the last value carries (RFC 7234 section 5.5.1). */
export const STALE_WARNING = '110 - "Response is Stale"';

/** Kept back from the inputs' time, so a report whose inputs hang still answers its last value before its caller gives up. */
const FALLBACK_RESERVE_MS = 500;

/** Calls to a report's inputs end before the report's own time does, leaving the fallback time to answer. */
export function inputOptions(ctx: RosterContext): CallingOptions {
	const deadline = callDeadline(ctx);
	return deadline === undefined ? {} : { timeout: Math.max(1, deadline - performance.now() - FALLBACK_RESERVE_MS) };
}

/**
 * A failure to read the inputs, or the report's own timeout: 5xx, or no node for an input
 * (Moleculer's ServiceNotAvailableError is a 404). A client's error (a bad parameter) stays one.
 */
function inputsUnreadable(err: unknown): boolean {
	const name = (err as Error | null)?.name;
	return name === "ServiceNotAvailableError" || name === "ServiceNotFoundError" || isServerFailure(err);
}

/**
 * Whose figures a report holds, as its cache key names them, known from the caller alone: the
 * company for staff, a manager's team by their employee id. It is the key the handler reaches
 * by asking the employees service (which may be what failed); for anyone else, none.
 */
export function audienceKeyOf(user: AuthUser | null | undefined): string | null {
	if (!user) return null;
	if (isStaff(user)) return "company";
	return hasRole(user, "manager") && user.employeeId ? `team:${user.employeeId}` : null;
}

/**
 * The action's `fallback`: the last value of report `name` for the parameters the handler would
 * use (null: there are none without the inputs, so the error stands), or the error. `render`
 * turns the stale value into what the caller asked for (a CSV download).
 */
export function lastReport<T extends object>(
	name: string,
	paramsOf: (ctx: RosterContext) => object | null,
	render: (ctx: RosterContext, report: StaleReport<T>) => StaleReport<T> | string = (_ctx, report) => report
) {
	return async function answerLastReport(this: DerivedCacheMethods, ctx: RosterContext, err: unknown): Promise<StaleReport<T> | string> {
		const tenantId = ctx.meta.user?.tenantId;
		if (!tenantId || !inputsUnreadable(err)) throw err;
		const params = paramsOf(ctx);
		if (!params) throw err;
		const last: LastDerived<T> | null = await this.lastDerived<T>(tenantId, name, params);
		if (!last) throw err;
		ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, Warning: STALE_WARNING };
		return render(ctx, { ...last.value, stale: true, computedAt: last.computedAt });
	};
}
