/**
 * A person's password: changed with the current one, or reset through a mailed link. Either
 * ends the person's other sessions in every company, since whoever knew the old password may
 * hold them.
 */
import type { ServiceSchema } from "moleculer";
import { ActionTimeouts } from "../../../lib/action-timeouts";
import { type AuditContext, actingAs, auditUpdate } from "../../../lib/audit/record";
import { type MongoUpdate, updateWithEvent } from "../../../lib/channels/outbox";
import { hashPassword, verifyPassword } from "../../../lib/auth/passwords";
import { now } from "../../../lib/entity";
import { BusinessRuleError } from "../../../lib/errors";
import { type RosterContext, callDeadline, requireUser } from "../../../lib/meta";
import { email } from "../../../lib/params";
import { checkPassword, password } from "./credentials";
import { ACCOUNTS, type AccountDoc, type IdentityThis, LINKS, type SessionDoc, type UserDoc, linkToken, normalEmail } from "./shared";
import { json, noContent } from "../../../lib/openapi/responses";
import * as Identity from "../../../lib/openapi/contexts/identity";

interface ChangeParams {
	currentPassword: string;
	newPassword: string;
}
interface ForgotParams {
	email: string;
}
interface ResetParams {
	token: string;
	password: string;
}

/**
 * A new password for `account`, on the audit trail of every company the person belongs to (a
 * password opens them all), each record by the person's membership there, the hash as "changed".
 */
function setPassword(account: AccountDoc, passwordHash: string, memberships: UserDoc[], ctx: AuditContext): MongoUpdate {
	const before = { password: account.passwordHash };
	return memberships.reduce<MongoUpdate>(
		(update, user) =>
			updateWithEvent(
				update,
				auditUpdate(actingAs(ctx, user), "user", { ...before, _id: user._id, tenantId: user.tenantId }, { password: passwordHash })
			),
		{ $set: { passwordHash, updatedAt: now() } }
	);
}

/** Who ended a session when a password changed: the person, as their membership in the session's company. */
const asMemberOf =
	(ctx: AuditContext, memberships: UserDoc[]) =>
	(session: SessionDoc): AuditContext => {
		const user = memberships.find(u => u._id === session.userId);
		return user ? actingAs(ctx, user) : ctx;
	};

const RESET_REQUESTED = {
	status: "pending",
	message: "If the address has an account, a link to choose a new password is on its way. It works once, for an hour."
} as const;

/**
 * Every reset link of the account not used yet stops working once its password is set anew: an
 * older mail (one a thief read, say) must not undo the reset or the change.
 */
async function endResetLinks(identity: IdentityThis, accountId: string): Promise<void> {
	await identity.store(LINKS).updateMany({ accountId, purpose: "passwordReset", usedAt: null }, { $set: { usedAt: now() } });
}

export const PasswordsPart: Partial<ServiceSchema> = {
	actions: {
		/** 204; the caller's current session stays, every other session of the person ends. */
		changePassword: {
			rest: "POST /auth/password",
			openapi: { responses: { 204: noContent() } },
			timeout: ActionTimeouts.password,
			auth: {},
			params: { $$strict: true, currentPassword: password, newPassword: password },
			async handler(this: IdentityThis, ctx: RosterContext<ChangeParams>): Promise<null> {
				const caller = requireUser(ctx);
				const user = await this.findUser(ctx, caller.id);
				const account: AccountDoc = await this.store(ACCOUNTS).findById(user.accountId);
				checkPassword(ctx.params.newPassword, account.email, user.name, "newPassword");
				if (!(await verifyPassword(account.passwordHash ?? undefined, ctx.params.currentPassword, callDeadline(ctx)))) {
					throw new BusinessRuleError("currentPassword", "The 'currentPassword' is not your current password.", "wrongPassword");
				}
				const passwordHash = await hashPassword(ctx.params.newPassword, callDeadline(ctx));
				const memberships: UserDoc[] = await this.adapter.find({ query: { accountId: account._id } });
				await this.store(ACCOUNTS).updateMany({ _id: account._id }, setPassword(account, passwordHash, memberships, ctx));
				this.publishEvents(account._id, ACCOUNTS);
				await endResetLinks(this, account._id);
				await this.revokeSessions({ accountId: account._id, _id: { $ne: caller.sessionId } }, "password changed", asMemberOf(ctx, memberships));
				ctx.meta.$statusCode = 204;
				return null;
			}
		},

		/**
		 * 202 whatever the address. The link is made after the answer, so a known address takes
		 * no longer to answer than an unknown one.
		 */
		forgotPassword: {
			rest: "POST /auth/password/forgot",
			openapi: { responses: { 202: json(Identity.Pending) } },
			auth: false,
			params: { $$strict: true, email },
			async handler(this: IdentityThis, ctx: RosterContext<ForgotParams>): Promise<typeof RESET_REQUESTED> {
				const address = normalEmail(ctx.params.email);
				setImmediate(() => {
					this.mailReset(address).catch((err: Error) => this.logger.error("Could not send a password reset link:", err.message));
				});
				ctx.meta.$statusCode = 202;
				return RESET_REQUESTED;
			}
		},

		/** 204; the new password works at once and every session of the person ends. */
		resetPassword: {
			rest: "POST /auth/password/reset",
			openapi: { responses: { 204: noContent() }, errors: [410] },
			timeout: ActionTimeouts.password,
			auth: false,
			params: { $$strict: true, token: linkToken, password },
			async handler(this: IdentityThis, ctx: RosterContext<ResetParams>): Promise<null> {
				const peeked = await this.usableLink(ctx.params.token, ["passwordReset"]);
				checkPassword(ctx.params.password, peeked.email);
				const passwordHash = await hashPassword(ctx.params.password, callDeadline(ctx));
				const link = await this.claimLink(peeked);
				const memberships: UserDoc[] = await this.adapter.find({ query: { accountId: link.accountId } });
				try {
					const account: AccountDoc = await this.store(ACCOUNTS).findById(link.accountId!);
					await this.store(ACCOUNTS).updateMany({ _id: link.accountId }, setPassword(account, passwordHash, memberships, ctx));
					this.publishEvents(account._id, ACCOUNTS);
				} catch (err) {
					await this.releaseLink(link);
					throw err;
				}
				await endResetLinks(this, link.accountId!);
				await this.revokeSessions({ accountId: link.accountId }, "password reset", asMemberOf(ctx, memberships));
				ctx.meta.$statusCode = 204;
				return null;
			}
		}
	},

	methods: {
		async mailReset(this: IdentityThis, address: string): Promise<void> {
			const account: AccountDoc | null = await this.store(ACCOUNTS).findOne({ email: address });
			if (!account) return;
			await this.sendLink({ purpose: "passwordReset", email: address, accountId: account._id, userId: null, signup: null }, url => ({
				to: address,
				kind: "passwordReset",
				subject: "Choose a new Roster password",
				link: url,
				text: `Follow this link within an hour to choose a new password: ${url}\n\nIf you did not ask for it, ignore this mail; your password stays as it is.`
			}));
		}
	}
};
