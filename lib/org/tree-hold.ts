/**
 * Writes in other services that name a department or a position (an employee's, an opening's,
 * an offer's) are checked and made while they share org's lease on the tenant's department tree,
 * which org's own deletes of departments and positions own while they count their uses. So a
 * delete either counts the write or the write's reference check finds the department gone (422).
 * Without it, a hire checked before a delete and written after it kept an id that points at
 * nothing. Such writes share the lease, so a company's hires do not wait for one another
 * (lib/store/shared-lease.ts). The hold covers the write's cache cleaning too: the delete's
 * counts may be cached.
 */
import type { Context } from "moleculer";
import type { RequestMeta } from "../meta";
import { OrgActions } from "../names/org";

/** A release is one conditional update: given its own time, whatever time its write had left. */
const RELEASE_TIMEOUT_MS = 2000;

/** Whether these fields name a place in the org that a delete could take away meanwhile. */
export const namesOrgPlace = (fields: { departmentId?: string | null; positionId?: string | null }): boolean => !!(fields.departmentId || fields.positionId);

/** Runs the task (its reference checks and its write) with the tenant's tree held; only when `needed`. */
export async function whileOrgHeld<T>(ctx: Context, needed: boolean, task: () => Promise<T>): Promise<T> {
	if (!needed) return task();
	const { holder } = await ctx.call<{ holder: string }, Record<string, never>>(OrgActions.holdTree, {});
	try {
		return await task();
	} finally {
		// Not through ctx: a call made after its caller's time is up is skipped, and a hold left to run out (15 s)
		// makes every other write of the company's org wait for it. The write has landed or failed; its answer stands.
		await ctx.broker
			.call(
				OrgActions.releaseTree,
				{ holder },
				{ meta: { user: (ctx.meta as RequestMeta).user }, requestID: ctx.requestID ?? undefined, timeout: RELEASE_TIMEOUT_MS }
			)
			.catch((err: Error) => ctx.broker.logger.warn("Org tree hold not released:", err.message));
	}
}
