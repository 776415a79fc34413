/**
 * A company's users (memberships). Staff invite people by email: the person gets a one-time
 * link and chooses their own password, or joins with the account they have. The answer is the
 * same either way, so nobody learns whether an address is known at another company.
 */
import type { ServiceSchema } from "moleculer";
import { auditCreation, auditUpdate, onBehalfOf } from "../../../lib/audit/record";
import { recordRemovals } from "../../../lib/audit/removal";
import { insertWithEvent, pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { ActionTimeouts } from "../../../lib/action-timeouts";
import { hashPassword } from "../../../lib/auth/passwords";
import type { DisplayNames } from "../../../lib/display-names";
import { containsPattern, findManyInTenant, now } from "../../../lib/entity";
import { ConflictError, ForbiddenError } from "../../../lib/errors";
import { type RosterContext, callDeadline, requireUser } from "../../../lib/meta";
import { EmployeeActions, type EmployeeSummary, IdentityEvents, type InvitationSentEvent, type UserContact } from "../../../lib/names";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { email, enumOf, id, nullableId, text } from "../../../lib/params";
import { ROLES, type Role, STAFF_ROLES, canGrant } from "../../../lib/roles";
import { withLease } from "../../../lib/store/lease";
import { checkPassword, password } from "./credentials";
import {
	ACCOUNTS,
	type AccountDoc,
	type IdentityThis,
	type InviteParams,
	LINKS,
	LOCKS,
	TENANTS,
	type TenantDoc,
	type UserDoc,
	USER_STATUSES,
	type UserJSON,
	type UserStatus,
	checkNewAddress,
	normalEmail
} from "./shared";
import { invitationMail } from "./invitations";
import { json, noContent } from "../../../lib/openapi/responses";
import * as Identity from "../../../lib/openapi/contexts/identity";
import { page } from "../../../lib/openapi/schemas";

interface ListUsersParams extends ListParams {
	role?: Role;
	status?: UserStatus;
	search?: string;
}
interface UserIdParams {
	id: string;
}
interface UpdateUserParams {
	id: string;
	name?: string;
	role?: Role;
}
interface ProvisionParams {
	company?: string;
	email: string;
	name: string;
	role: Role;
	password: string;
}

const role = enumOf(ROLES);

/**
 * Runs a change of another user's role or status one at a time per company, and only while the
 * caller's own membership still is what their token says: two owners disabling (or demoting)
 * each other at once would otherwise both pass the gateway's session check and both succeed,
 * leaving the company without an owner. The second now finds its caller disabled (403).
 */
function asStaffStill<T>(service: IdentityThis, ctx: RosterContext, change: () => Promise<T>): Promise<T> {
	const caller = requireUser(ctx);
	return withLease(service.store(LOCKS), `users:${caller.tenantId}`, async () => {
		const own: UserDoc | null = await service.adapter.findById(caller.id);
		if (!own || own.tenantId !== caller.tenantId || own.status !== "active" || own.role !== caller.roles[0]) {
			throw new ForbiddenError("Your account was disabled or its role changed meanwhile");
		}
		return change();
	});
}

export const UsersPart: Partial<ServiceSchema> = {
	actions: {
		/** 201 with the user, status "invited" until the person follows the mailed link. */
		createUser: {
			rest: "POST /users",
			openapi: { responses: { 201: json(Identity.User) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, email, name: text(), role, employeeId: nullableId },
			async handler(this: IdentityThis, ctx: RosterContext<InviteParams>): Promise<UserJSON> {
				const actor = requireUser(ctx);
				if (!canGrant(actor.roles[0], ctx.params.role)) throw new ForbiddenError(`You cannot grant the role '${ctx.params.role}'`);
				const user = await this.invite(ctx, ctx.params);
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/users/${user._id}`;
				return this.userJSON(user);
			}
		},

		/**
		 * Onboarding's invitation, under the id its saga chose before it ran: again with that id it
		 * finishes what a crashed run left (the link, the mail) and answers the same user, so the
		 * saga can tell whether the account exists. Internal only: a client never chooses an id.
		 */
		createUserWithId: {
			visibility: "public",
			params: { $$strict: true, id, email, name: text(), role, employeeId: nullableId },
			async handler(this: IdentityThis, ctx: RosterContext<InviteParams & UserIdParams>): Promise<UserJSON> {
				const actor = requireUser(ctx);
				const { id: chosen, ...params } = ctx.params;
				if (!canGrant(actor.roles[0], params.role)) throw new ForbiddenError(`You cannot grant the role '${params.role}'`);
				const made = async (): Promise<UserDoc | null> => this.adapter.findOne({ _id: chosen, tenantId: actor.tenantId });
				const existing = await made();
				if (existing) return this.userJSON(await this.finishInvite(ctx, existing, params.employeeId ?? null));
				try {
					return this.userJSON(await this.invite(ctx, params, chosen));
				} catch (err) {
					// A run that raced this one made it meanwhile: finish it rather than fail.
					const raced = await made();
					if (raced) return this.userJSON(await this.finishInvite(ctx, raced, params.employeeId ?? null));
					throw err;
				}
			}
		},

		/** Onboarding's compensation when a later step of a hire fails: the membership never happened. */
		undoCreateUser: {
			visibility: "public",
			params: { id },
			async handler(this: IdentityThis, ctx: RosterContext<UserIdParams>): Promise<{ removed: boolean }> {
				const user: UserDoc | null = await this.adapter.findOne({ _id: ctx.params.id, tenantId: requireUser(ctx).tenantId });
				if (!user) return { removed: false };
				// The saga undoes it for the staff member whose onboarding failed (lib/audit/record.ts onBehalfOf).
				const audit = onBehalfOf(ctx, "onboarding.undoInvite");
				await this.revokeSessions({ userId: user._id }, "user removed", () => audit);
				await this.store(LINKS).removeMany({ userId: user._id });
				await recordRemovals(this, audit, "user", [user]);
				await this.adapter.removeById(user._id);
				await this.dropAccountIfUnused(user.accountId);
				await this.entityChanged("removed", this.userJSON(user), ctx);
				return { removed: true };
			}
		},

		/** Notifications tell the tenant's staff of tenant-wide events: its active owners, admins and hr. */
		staffUserIds: {
			visibility: "public",
			readOnly: true,
			params: {},
			async handler(this: IdentityThis, ctx: RosterContext): Promise<string[]> {
				const staff: UserDoc[] = await this.adapter.find({
					query: { tenantId: requireUser(ctx).tenantId, role: { $in: STAFF_ROLES }, status: "active" }
				});
				return staff.map(user => user._id);
			}
		},

		/** How to reach the active users among `ids` (of the caller's tenant), in one query. */
		contacts: {
			visibility: "public",
			readOnly: true,
			params: { ids: { type: "array", items: id, max: 1000 } },
			async handler(this: IdentityThis, ctx: RosterContext<{ ids: string[] }>): Promise<UserContact[]> {
				const { tenantId } = requireUser(ctx);
				const [users, tenant] = await Promise.all([
					findManyInTenant<UserDoc>(this.adapter, tenantId, ctx.params.ids),
					this.store(TENANTS).findOne({ _id: tenantId }) as Promise<TenantDoc | null>
				]);
				const companyName = tenant?.name ?? "";
				return users
					.filter(u => u.status === "active")
					.map(u => ({ id: u._id, email: u.email, name: u.name, role: u.role, employeeId: u.employeeId, companyName }));
			}
		},

		/** Names for a page of rows that point at users (who requested, who decided): disabled users keep theirs. */
		userNames: {
			visibility: "public",
			readOnly: true,
			params: { ids: { type: "array", items: id, max: 1000 } },
			async handler(this: IdentityThis, ctx: RosterContext<{ ids: string[] }>): Promise<DisplayNames> {
				const users = await findManyInTenant<UserDoc>(this.adapter, requireUser(ctx).tenantId, ctx.params.ids);
				return Object.fromEntries(users.map(u => [u._id, u.name]));
			}
		},

		listUsers: {
			rest: "GET /users",
			openapi: { responses: { 200: json(page(Identity.User)) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				...listParams,
				role: { ...role, optional: true },
				status: { type: "enum", values: [...USER_STATUSES], optional: true },
				search: { type: "string", trim: true, min: 1, max: 100, optional: true }
			},
			async handler(this: IdentityThis, ctx: RosterContext<ListUsersParams>): Promise<ListResult<UserJSON>> {
				const { role: wanted, status, search } = ctx.params;
				const sort = parseSort(ctx.params.sort, ["name", "email", "role", "createdAt"], "name");
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (wanted) query.role = wanted;
				if (status) query.status = status;
				if (search) {
					const pattern = containsPattern(search);
					query.$or = [{ name: pattern }, { email: pattern }];
				}
				return paginate(this.adapter, query, ctx.params, sort, (doc: UserDoc) => this.userJSON(doc));
			}
		},

		getUser: {
			rest: "GET /users/:id",
			openapi: { responses: { 200: json(Identity.User) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: IdentityThis, ctx: RosterContext<UserIdParams>): Promise<UserJSON> {
				const actor = requireUser(ctx);
				const user = await this.findUser(ctx, ctx.params.id);
				if (user._id !== actor.id && !STAFF_ROLES.includes(actor.roles[0])) throw new ForbiddenError();
				return this.userJSON(user);
			}
		},

		/** Name and role; the employee link has its own route (employee-links.ts). */
		updateUser: {
			rest: "PATCH /users/:id",
			openapi: { responses: { 200: json(Identity.User) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, name: { ...text(), optional: true }, role: { ...role, optional: true } },
			handler(this: IdentityThis, ctx: RosterContext<UpdateUserParams>): Promise<UserJSON> {
				return asStaffStill(this, ctx, async () => {
					const actor = requireUser(ctx);
					const user = await this.findUser(ctx, ctx.params.id);
					const { name, role: granted } = ctx.params;
					if (!canGrant(actor.roles[0], user.role)) throw new ForbiddenError(`You cannot change a user with the role '${user.role}'`);
					if (granted !== undefined && granted !== user.role) {
						if (user._id === actor.id) throw new ConflictError("You cannot change your own role", { field: "role" });
						if (!canGrant(actor.roles[0], granted)) throw new ForbiddenError(`You cannot grant the role '${granted}'`);
					}
					const changes: Partial<UserDoc> = {};
					if (name !== undefined && name !== user.name) changes.name = name;
					if (granted !== undefined && granted !== user.role) changes.role = granted;
					// Nothing to change is not a change: no write, and updatedAt stays as it was.
					if (Object.keys(changes).length === 0) return this.userJSON(user);
					changes.updatedAt = now();
					const updated: UserDoc = await this.adapter.updateById(
						user._id,
						updateWithEvent({ $set: changes }, auditUpdate(ctx, "user", user, changes))
					);
					this.publishEvents(user._id);
					const json = this.userJSON(updated);
					// A role is in every token of the user: the session check must see the new one at once.
					await this.usersChanged(user.tenantId);
					await this.entityChanged("updated", json, ctx);
					return json;
				});
			}
		},

		/** Ends the membership's sessions and sign-ins; the person's other companies are untouched. */
		disableUser: {
			rest: "DELETE /users/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			handler(this: IdentityThis, ctx: RosterContext<UserIdParams>): Promise<null> {
				return asStaffStill(this, ctx, async () => {
					const actor = requireUser(ctx);
					const user = await this.findUser(ctx, ctx.params.id);
					if (user._id === actor.id) throw new ConflictError("You cannot disable yourself", { field: "id" });
					if (!canGrant(actor.roles[0], user.role)) throw new ForbiddenError(`You cannot disable a user with the role '${user.role}'`);
					if (user.status === "disabled" && user.disabledBecause !== "staff") {
						// Disabled because the employment ended: now staff's decision too, which a rehire does not undo.
						const set = { disabledBecause: "staff", statusBeforeDisabled: null, updatedAt: now() };
						await this.adapter.updateMany(
							{ _id: user._id, status: "disabled" },
							updateWithEvent({ $set: set }, auditUpdate(ctx, "user", user, set))
						);
					}
					if (user.status !== "disabled") {
						const disabled = pendingEvent(IdentityEvents.userDisabled, user.tenantId, { userId: user._id });
						const set = { status: "disabled", disabledBecause: "staff", updatedAt: now() };
						await this.adapter.updateMany(
							{ _id: user._id },
							updateWithEvent(updateWithEvent({ $set: set }, disabled), auditUpdate(ctx, "user", user, set))
						);
						this.publishEvents(user._id);
						await this.revokeSessions({ userId: user._id }, "user disabled", () => ctx);
						await this.store(LINKS).updateMany({ userId: user._id, usedAt: null }, { $set: { usedAt: now() } });
						await this.entityChanged("updated", this.userJSON(await this.adapter.findById(user._id)), ctx);
					}
					ctx.meta.$statusCode = 204;
					return null;
				});
			}
		},

		/**
		 * Never routed: an active account with a known password, for the demo seed and the REPL
		 * (trusted members of the cluster). With a caller it joins the caller's company; without,
		 * it opens `company` with the person as owner.
		 */
		provision: {
			visibility: "public",
			timeout: ActionTimeouts.password,
			params: { company: { ...text(), optional: true }, email, name: text(), role, password },
			async handler(this: IdentityThis, ctx: RosterContext<ProvisionParams>): Promise<{ tenant: object; user: UserJSON }> {
				const address = normalEmail(ctx.params.email);
				checkPassword(ctx.params.password, address, ctx.params.name);
				const passwordHash = await hashPassword(ctx.params.password, callDeadline(ctx));
				const createdAt = now();
				let tenantId = ctx.meta.user?.tenantId;
				if (!tenantId) {
					if (await this.store(ACCOUNTS).findOne({ email: address })) throw new ConflictError("email is already taken", { field: "email" });
					const tenant: TenantDoc = { _id: this.newId(), name: ctx.params.company ?? ctx.params.name, ownerId: "", createdAt };
					await this.store(TENANTS).insert(tenant);
					tenantId = tenant._id;
				}
				const account = await this.accountFor(address, passwordHash);
				const user: UserDoc = {
					_id: this.newId(),
					tenantId,
					accountId: account._id,
					email: address,
					name: ctx.params.name,
					role: ctx.meta.user ? ctx.params.role : "owner",
					status: "active",
					disabledBecause: null,
					employeeId: null,
					linkedEmployeeIds: [],
					createdAt,
					updatedAt: createdAt
				};
				// By the seed or the REPL: "system" on the trail, unless run as a user.
				await this.unique("email", () => this.adapter.insert(insertWithEvent(user, auditCreation(ctx, "user", user))));
				this.publishEvents(user._id);
				if (!ctx.meta.user) await this.store(TENANTS).updateMany({ _id: tenantId }, { $set: { ownerId: user._id } });
				const tenant: TenantDoc = await this.store(TENANTS).findById(tenantId);
				return { tenant: this.tenantJSON(tenant), user: this.userJSON(user) };
			}
		}
	},

	methods: {
		/**
		 * A membership for `email` in the caller's company, status invited, linked to the employee
		 * when one is named, and the invitation mailed. Onboarding comes here too.
		 */
		async invite(this: IdentityThis, ctx: RosterContext, params: InviteParams, userId: string = this.newId()): Promise<UserDoc> {
			const { tenantId } = requireUser(ctx);
			const address = normalEmail(params.email);
			checkNewAddress(address);
			if (await this.adapter.findOne({ tenantId, email: address })) {
				throw new ConflictError("A user of this company already has this email", { field: "email" });
			}
			// A refused link must leave nothing behind, the account least of all: a later signup with
			// the address would find it and keep its (missing) password. Checked again under the lease.
			if (params.employeeId) await this.checkLinkable(ctx, { _id: userId, tenantId } as UserDoc, params.employeeId);
			const account = await this.accountFor(address, null);
			const createdAt = now();
			const user: UserDoc = {
				_id: userId,
				tenantId,
				accountId: account._id,
				email: address,
				name: params.name,
				role: params.role,
				status: "invited",
				disabledBecause: null,
				employeeId: null,
				linkedEmployeeIds: [],
				createdAt,
				updatedAt: createdAt
			};
			await this.unique("email", () => this.adapter.insert(insertWithEvent(user, auditCreation(ctx, "user", user))));
			this.publishEvents(user._id);
			let invited = user;
			try {
				if (params.employeeId) invited = await this.link(ctx, user, params.employeeId);
			} catch (err) {
				// The creation is on the trail already: so is its undoing.
				await recordRemovals(this, ctx, "user", [user]);
				await this.adapter.removeById(user._id);
				await this.dropAccountIfUnused(account._id);
				throw err;
			}
			await this.sendInvitation(user, ctx.meta.user?.id ?? null);
			await this.entityChanged("created", this.userJSON(invited), ctx);
			return invited;
		},

		/** Mails the user a one-time link to join, and records that it went out with its event, for whoever tells the inviter. */
		async sendInvitation(this: IdentityThis, user: UserDoc, invitedBy: string | null): Promise<void> {
			const tenant: TenantDoc = await this.store(TENANTS).findById(user.tenantId);
			await this.sendLink({ purpose: "invitation", email: user.email, accountId: user.accountId, userId: user._id, signup: null }, url =>
				invitationMail(tenant.name, user.email, url)
			);
			const sent = pendingEvent<InvitationSentEvent>(IdentityEvents.invitationSent, user.tenantId, { userId: user._id, email: user.email, invitedBy });
			await this.adapter.updateMany({ _id: user._id }, updateWithEvent({ $set: { invitedAt: now() } }, sent));
			this.publishEvents(user._id);
		},

		/**
		 * Finishes an invitation a crashed run of createUserWithId left: the employee link (either
		 * side of it) and the invitation mail, each only if missing.
		 */
		async finishInvite(this: IdentityThis, ctx: RosterContext, user: UserDoc, employeeId: string | null): Promise<UserDoc> {
			let linked = user;
			if (employeeId && user.employeeId !== employeeId) linked = await this.link(ctx, user, employeeId);
			else if (employeeId) {
				const [employee] = await ctx.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids: [employeeId] });
				if (employee && employee.userId !== user._id) {
					await ctx.call(EmployeeActions.setUser, { id: employeeId, userId: user._id, expect: null });
				}
			}
			if ((await this.store(LINKS).count({ query: { userId: user._id, purpose: "invitation" } })) === 0)
				await this.sendInvitation(user, ctx.meta.user?.id ?? null);
			await this.entityChanged("created", this.userJSON(linked), ctx);
			return linked;
		},

		/** The person's account, made (without a password unless one is given) when the address is new. */
		async accountFor(this: IdentityThis, address: string, passwordHash: string | null): Promise<AccountDoc> {
			return withLease(this.store(LOCKS), `account:${address}`, async () => {
				const known: AccountDoc | null = await this.store(ACCOUNTS).findOne({ email: address });
				if (known) return known;
				const at = now();
				const fresh: AccountDoc = { _id: this.newId(), email: address, passwordHash, createdAt: at, updatedAt: at };
				await this.store(ACCOUNTS).insert(fresh);
				return fresh;
			});
		},

		/**
		 * An account made for a membership that was then undone goes with it: no password, no
		 * membership left. Under accountFor's lease, so it never goes while another invitation is
		 * looking it up; one that found it a moment before and has not written its membership yet
		 * is a window this leaves open, as undoCreateUser's own check did.
		 */
		async dropAccountIfUnused(this: IdentityThis, accountId: string): Promise<void> {
			const account: AccountDoc | null = await this.store(ACCOUNTS).findById(accountId);
			if (!account || account.passwordHash) return;
			await withLease(this.store(LOCKS), `account:${account.email}`, async () => {
				const current: AccountDoc | null = await this.store(ACCOUNTS).findById(accountId);
				if (current && !current.passwordHash && (await this.adapter.count({ query: { accountId } })) === 0) {
					await this.store(ACCOUNTS).removeById(accountId);
				}
			});
		}
	}
};
