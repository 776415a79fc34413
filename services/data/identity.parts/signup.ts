/**
 * Opening a company, and following a link. Signing up only asks: the company, its owner and
 * the account exist once the mailbox owner follows the mailed link, so nobody can take an
 * address they do not read, and the answer is the same whether the address is known or not.
 * An invitation (POST /users, onboarding) is followed the same way; a person without a
 * password sets it there, so staff never know it.
 */
import type { ServiceSchema } from "moleculer";
import { actingAs, auditCreation, auditUpdate } from "../../../lib/audit/record";
import { insertWithEvents, pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { ActionTimeouts } from "../../../lib/action-timeouts";
import { hashPassword, verifyPassword } from "../../../lib/auth/passwords";
import { now } from "../../../lib/entity";
import { BusinessRuleError } from "../../../lib/errors";
import { type RosterContext, callDeadline } from "../../../lib/meta";
import { IdentityEvents } from "../../../lib/names";
import { email, text } from "../../../lib/params";
import { checkPassword, password } from "./credentials";
import {
	ACCOUNTS,
	type AccountDoc,
	type Activated,
	type IdentityThis,
	type LinkDoc,
	TENANTS,
	type TenantDoc,
	type UserDoc,
	linkToken,
	checkNewAddress,
	normalEmail
} from "./shared";
import { json } from "../../../lib/openapi/responses";
import * as Identity from "../../../lib/openapi/contexts/identity";

interface SignupParams {
	company: string;
	name: string;
	email: string;
	password: string;
}
interface ActivateParams {
	token: string;
	password?: string;
}

export interface SignupPending {
	status: "pending";
	message: string;
}

const PENDING: SignupPending = {
	status: "pending",
	message: "Check your mail: the link in it opens the company. It works once, for 7 days."
};

export const SignupPart: Partial<ServiceSchema> = {
	actions: {
		/** 202 whatever the address: a new one is asked to confirm, a known one is told it has an account. */
		signup: {
			rest: "POST /auth/signup",
			openapi: { responses: { 202: json(Identity.Pending, "Taken in: the link to follow is on its way by mail") } },
			timeout: ActionTimeouts.password,
			auth: false,
			noStore: true,
			params: { $$strict: true, company: text(), name: text(), email, password },
			async handler(this: IdentityThis, ctx: RosterContext<SignupParams>): Promise<SignupPending> {
				const { company, name, password: plain } = ctx.params;
				const address = normalEmail(ctx.params.email);
				checkNewAddress(address);
				checkPassword(plain, address, name);
				// Hashed either way, so a known address answers as slowly as a new one.
				const passwordHash = await hashPassword(plain, callDeadline(ctx));
				const account: AccountDoc | null = await this.store(ACCOUNTS).findOne({ email: address });
				// An account without a password (an invitation not yet accepted) is no account to sign in
				// with: the person is told as a new one, and the password they chose here becomes its own.
				const signsInAlready = !!account?.passwordHash;
				await this.sendLink(
					{ purpose: "signup", email: address, accountId: account?._id ?? null, userId: null, signup: { company, name, passwordHash } },
					url =>
						signsInAlready
							? {
									to: address,
									kind: "signupExisting",
									subject: `Open ${company} on Roster with your account`,
									link: url,
									text: `Someone asked to open the company "${company}" on Roster with this address, which already has a Roster account.\n\nTo open it with your account (and your current password), follow: ${url}\n\nIf it was not you, ignore this mail; nothing changes.`
								}
							: {
									to: address,
									kind: "signup",
									subject: `Confirm your address to open ${company} on Roster`,
									link: url,
									text: `Follow this link to confirm your address and open "${company}" on Roster: ${url}\n\nIf it was not you, ignore this mail; nothing is created.`
								}
				);
				ctx.meta.$statusCode = 202;
				return PENDING;
			}
		},

		/**
		 * Follows a signup or invitation link: the company or the membership becomes real and the
		 * person is signed in. A person without a password yet must set one here.
		 */
		activate: {
			rest: "POST /auth/activate",
			openapi: {
				responses: { 200: json(Identity.Activated, "Joined the company"), 201: json(Identity.Activated, "A new company, signed in") },
				errors: [401, 410]
			},
			timeout: ActionTimeouts.password,
			auth: false,
			noStore: true,
			params: { $$strict: true, token: linkToken, password: { ...password, optional: true } },
			async handler(this: IdentityThis, ctx: RosterContext<ActivateParams>): Promise<Activated> {
				// Checked before the link is used up, so a refused password leaves it usable.
				const peeked = await this.usableLink(ctx.params.token, ["signup", "invitation"]);
				const account: AccountDoc | null = await this.store(ACCOUNTS).findOne({ email: peeked.email });
				let passwordHash: string | null = null;
				if (peeked.purpose === "signup" && !account?.passwordHash) {
					// The link proves the address; the signup's password, asked again, proves that whoever follows it is
					// whoever signed up. Else anyone could sign up with someone else's address and a password of their
					// own, and the address's owner, following a real mail, would give their account that password.
					await this.checkSignupPassword(ctx, peeked);
				} else if (peeked.purpose === "invitation" && !account?.passwordHash) {
					if (ctx.params.password === undefined) {
						throw new BusinessRuleError("password", "Choose a 'password' for your new account.", "required");
					}
					const invited: UserDoc | null = await this.adapter.findById(peeked.userId!);
					checkPassword(ctx.params.password, peeked.email, invited?.name);
					passwordHash = await hashPassword(ctx.params.password, callDeadline(ctx));
				} else if (ctx.params.password !== undefined) {
					throw new BusinessRuleError("password", "Your account already has a password: leave 'password' out.", "notAllowed");
				}
				const link = await this.claimLink(peeked);
				try {
					return link.purpose === "signup" ? await this.openCompany(ctx, link) : await this.joinCompany(ctx, link, passwordHash);
				} catch (err) {
					await this.releaseLink(link);
					throw err;
				}
			}
		}
	},

	methods: {
		/** The password chosen at the link's signup, given again at its activation (422 otherwise: the link stays usable). */
		async checkSignupPassword(this: IdentityThis, ctx: RosterContext<ActivateParams>, link: LinkDoc): Promise<void> {
			if (ctx.params.password === undefined) {
				throw new BusinessRuleError("password", "Enter the 'password' you chose when you signed up.", "required");
			}
			if (!(await verifyPassword(link.signup?.passwordHash, ctx.params.password, callDeadline(ctx)))) {
				throw new BusinessRuleError("password", "The 'password' is not the one chosen when you signed up.", "mismatch");
			}
		},

		/** A confirmed signup: the account (unless the person has one), the company and its owner. */
		async openCompany(this: IdentityThis, ctx: RosterContext, link: LinkDoc): Promise<Activated> {
			const signup = link.signup!;
			const createdAt = now();
			// A person who has an account keeps it, password included; the signup's password is for a
			// new one, or for an account that has none yet (the mailed link proved the address).
			let account = await this.accountFor(link.email, signup.passwordHash);
			if (!account.passwordHash) {
				const accounts = this.store(ACCOUNTS);
				await accounts.updateMany({ _id: account._id, passwordHash: null }, { $set: { passwordHash: signup.passwordHash, updatedAt: createdAt } });
				account = await accounts.findById(account._id);
			}
			const tenant: TenantDoc = { _id: this.newId(), name: signup.company, ownerId: this.newId(), createdAt };
			const owner: UserDoc = {
				_id: tenant.ownerId,
				tenantId: tenant._id,
				accountId: account._id,
				email: link.email,
				name: signup.name,
				role: "owner",
				status: "active",
				disabledBecause: null,
				employeeId: null,
				linkedEmployeeIds: [],
				createdAt,
				updatedAt: createdAt
			};
			await this.store(TENANTS).insert(tenant);
			// The company exists once its owner does: the owner's insert carries the event, and the
			// audit records of both, by the owner (the company's first records).
			const byOwner = actingAs(ctx, owner);
			await this.adapter.insert(
				insertWithEvents(owner, [
					pendingEvent(IdentityEvents.tenantCreated, tenant._id, { ownerId: owner._id }),
					auditCreation(byOwner, "tenant", { ...tenant, tenantId: tenant._id }),
					auditCreation(byOwner, "user", owner)
				])
			);
			this.publishEvents(owner._id);
			ctx.meta.$statusCode = 201;
			ctx.meta.$location = "/api/v1/me";
			return { tenant: this.tenantJSON(tenant), user: this.userJSON(owner), ...(await this.signIn(ctx, account, owner)) };
		},

		/** An accepted invitation: the membership becomes active, with the password set if there was none. */
		async joinCompany(this: IdentityThis, ctx: RosterContext, link: LinkDoc, passwordHash: string | null): Promise<Activated> {
			const accounts = this.store(ACCOUNTS);
			// A membership no longer waiting (expired, disabled, removed) refuses before anything is written.
			const invited: UserDoc | null = await this.adapter.findById(link.userId!);
			if (!invited || (invited.status !== "invited" && invited.status !== "active")) {
				throw new BusinessRuleError("token", "The invitation was withdrawn.", "invalidLink");
			}
			if (passwordHash) await accounts.updateMany({ _id: link.accountId, passwordHash: null }, { $set: { passwordHash, updatedAt: now() } });
			const account: AccountDoc | null = await accounts.findById(link.accountId!);
			// The activation is on the trail by the person, with the password they chose (as "changed").
			const set = { status: "active", updatedAt: now() };
			const activated = auditUpdate(actingAs(ctx, invited), "user", invited, { ...set, ...(passwordHash && { password: passwordHash }) });
			const joined = await this.adapter.updateMany({ _id: link.userId, status: "invited" }, updateWithEvent({ $set: set }, activated));
			if (joined === 1) this.publishEvents(invited._id);
			const user: UserDoc | null = await this.adapter.findById(link.userId!);
			if (!account?.passwordHash || !user || (joined !== 1 && user.status !== "active")) {
				throw new BusinessRuleError("token", "The invitation was withdrawn.", "invalidLink");
			}
			await this.entityChanged("updated", this.userJSON(user), ctx);
			const tenant: TenantDoc = await this.store(TENANTS).findById(user.tenantId);
			return { tenant: this.tenantJSON(tenant), user: this.userJSON(user), ...(await this.signIn(ctx, account, user)) };
		}
	}
};
