/**
 * A person's password: changed with the current one, or reset through a mailed link. Either
 * ends the person's other sessions in every company, since whoever knew the old password may
 * hold them.
 */
import type { ServiceSchema } from "moleculer";
import { ActionTimeouts } from "../../../lib/action-timeouts";
import { hashPassword, verifyPassword } from "../../../lib/auth/passwords";
import { now } from "../../../lib/entity";
import { UnprocessableError } from "../../../lib/errors";
import { type RosterContext, callDeadline, requireUser } from "../../../lib/meta";
import { email } from "../../../lib/params";
import { checkPassword, password } from "./credentials";
import { ACCOUNTS, type AccountDoc, type IdentityThis, linkToken, normalEmail } from "./shared";
import { json, noContent } from "../../../lib/openapi/responses";
import * as Identity from "../../../lib/openapi/contexts/identity";

interface ChangeParams { currentPassword: string; newPassword: string }
interface ForgotParams { email: string }
interface ResetParams { token: string; password: string }

const RESET_REQUESTED = {
	status: "pending",
	message: "If the address has an account, a link to choose a new password is on its way. It works once, for an hour."
} as const;

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
					throw new UnprocessableError("currentPassword", "The 'currentPassword' is not your current password.", "wrongPassword");
				}
				const passwordHash = await hashPassword(ctx.params.newPassword, callDeadline(ctx));
				await this.store(ACCOUNTS).updateMany({ _id: account._id }, { $set: { passwordHash, updatedAt: now() } });
				await this.revokeSessions({ accountId: account._id, _id: { $ne: caller.sessionId } }, "password changed");
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
				try {
					await this.store(ACCOUNTS).updateMany({ _id: link.accountId }, { $set: { passwordHash, updatedAt: now() } });
				} catch (err) {
					await this.releaseLink(link);
					throw err;
				}
				await this.revokeSessions({ accountId: link.accountId }, "password reset");
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
				to: address, kind: "passwordReset", subject: "Choose a new Roster password", link: url,
				text: `Follow this link within an hour to choose a new password: ${url}\n\nIf you did not ask for it, ignore this mail; your password stays as it is.`
			}));
		}
	}
};
