/**
 * Invitations that were never followed. A link already refuses itself once expired (410
 * LINK_EXPIRED), so what the expireInvitations job (mixins/scheduled-jobs.mixin.ts) adds is
 * what HR needs to act: a membership whose every invitation expired becomes `expired`
 * (GET /users?status=expired lists them), and POST /users/:id/invitation invites the person
 * again with a new link. Links a month past their expiry (any kind, used or not) are removed:
 * until then a late click still hears "expired" rather than "not a valid link".
 *
 * Idempotent: a membership becomes expired by a conditional update (`invited` → `expired`,
 * only while no live invitation link exists), each link is noted once (`expiryHandled`), and
 * removing what is gone removes nothing.
 */
import type { ServiceSchema } from "moleculer";
import { auditUpdate, jobAudit } from "../../../lib/audit/record";
import { Jobs } from "../../../lib/names/jobs";
import { updateWithEvent } from "../../../lib/channels/outbox";
import { now } from "../../../lib/entity";
import { ConflictError, ForbiddenError } from "../../../lib/errors";
import type { Mail } from "../../../lib/mail/sink";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { id } from "../../../lib/params";
import { STAFF_ROLES, canGrant } from "../../../lib/roles";
import type { JobDefinition } from "../../../mixins/scheduled-jobs.mixin";
import { type IdentityThis, LINKS, type LinkDoc, type UserDoc, type UserJSON } from "./shared";
import { json } from "../../../lib/openapi/responses";
import * as Identity from "../../../lib/openapi/contexts/identity";

const PAGE = 200;
const DAY_MS = 24 * 3600_000;
/** How long an expired link stays, so that following it late still says "expired". */
export const EXPIRED_LINKS_KEPT_MS = 30 * DAY_MS;

/** The invitation mail (POST /users, onboarding, and a new invitation). */
export function invitationMail(tenantName: string, address: string, url: string): Mail {
	return {
		to: address,
		kind: "invitation",
		subject: `You are invited to ${tenantName} on Roster`,
		link: url,
		text: `${tenantName} invites you to Roster. Follow this link to join (you choose your password there, unless you already have a Roster account): ${url}\n\nThe link works once, for 7 days.`
	};
}

export const expireInvitations: JobDefinition<IdentityThis> = {
	schedule: "30 * * * *",
	async handler(this: IdentityThis, slot: Date): Promise<Record<string, unknown>> {
		const at = slot.toISOString();
		const links = this.store(LINKS);
		const tenants = new Set<string>();
		let expired = 0;
		let noted = 0;
		// Each noted link leaves the query's set, so the next page starts at the front again.
		for (;;) {
			const page: LinkDoc[] = await links.find({
				query: { purpose: "invitation", usedAt: null, expiresAt: { $lte: at }, expiryHandled: { $ne: true } },
				sort: ["expiresAt"],
				limit: PAGE
			});
			if (page.length === 0) break;
			for (const link of page) {
				const tenantId = link.userId ? await expireMembership(this, link.userId, at) : null;
				if (tenantId) {
					expired++;
					tenants.add(tenantId);
				}
				noted += await links.updateMany({ _id: link._id, expiryHandled: { $ne: true } }, { $set: { expiryHandled: true } });
			}
		}
		const removed = await links.removeMany({ expiresAt: { $lte: new Date(slot.getTime() - EXPIRED_LINKS_KEPT_MS).toISOString() } });
		// Lists of users (and session checks) cached for these tenants go stale.
		if (tenants.size > 0) await this.usersChanged(...tenants);
		for (const tenantId of tenants) await this.entityChanged("updated", [], { meta: { user: { tenantId } } });
		return { expired, linksNoted: noted, linksRemoved: removed };
	}
};

/** invited → expired, unless the person still has an invitation link they can follow; answers the tenant when it changed. */
async function expireMembership(service: IdentityThis, userId: string, at: string): Promise<string | null> {
	const user: UserDoc | null = await service.adapter.findById(userId);
	if (user?.status !== "invited") return null;
	const live = await service.store(LINKS).count({ query: { userId, purpose: "invitation", usedAt: null, expiresAt: { $gt: at } } });
	if (live > 0) return null;
	const set = { status: "expired", updatedAt: now() };
	const changed = await service.adapter.updateMany(
		{ _id: userId, status: "invited" },
		updateWithEvent({ $set: set }, auditUpdate(jobAudit(Jobs.expireInvitations), "user", user, set))
	);
	if (changed !== 1) return null;
	service.publishEvents(userId);
	return user.tenantId;
}

interface UserIdParams {
	id: string;
}

export const InvitationsPart: Partial<ServiceSchema> = {
	actions: {
		/**
		 * A new invitation for a membership that was never followed (invited or expired): a new
		 * link is mailed, the old ones stop working, and the membership is invited again. 409 for
		 * one that is active or disabled.
		 */
		reinviteUser: {
			rest: "POST /users/:id/invitation",
			openapi: { responses: { 201: json(Identity.User, "Invited again: a fresh link is on its way") } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: IdentityThis, ctx: RosterContext<UserIdParams>): Promise<UserJSON> {
				const actor = requireUser(ctx);
				const user = await this.findUser(ctx, ctx.params.id);
				if (!canGrant(actor.roles[0], user.role)) throw new ForbiddenError(`You cannot invite a user with the role '${user.role}'`);
				if (user.status !== "invited" && user.status !== "expired") {
					throw new ConflictError(`The user is ${user.status}: only an invitation nobody followed can be sent again`, {
						field: "id",
						status: user.status
					});
				}
				// On the trail as the membership invited again (from expired, or invited anew) with a new link.
				const set = { status: "invited", updatedAt: now() };
				const before = { ...user, invitationLink: "old" };
				const audit = auditUpdate(ctx, "user", before, { ...set, invitationLink: "new" });
				const invited = await this.adapter.updateMany({ _id: user._id, status: user.status }, updateWithEvent({ $set: set }, audit));
				if (invited !== 1) throw new ConflictError("The user changed meanwhile; try again", { field: "id" });
				this.publishEvents(user._id);
				// Only the newest link works: an older one forwarded somewhere must not.
				await this.store(LINKS).removeMany({ userId: user._id, purpose: "invitation", usedAt: null });
				await this.sendInvitation(user, actor.id);
				const updated: UserDoc = await this.adapter.findById(user._id);
				const json = this.userJSON(updated);
				await this.usersChanged(user.tenantId);
				await this.entityChanged("updated", json, ctx);
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/users/${user._id}`;
				return json;
			}
		}
	}
};
