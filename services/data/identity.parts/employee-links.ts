/**
 * The link between a user and the employee they are. Identity owns it: one action sets both
 * sides (the user's employeeId here, the employee's userId in the employees service) or
 * neither, checks that the employee is an active one of the same company with no other
 * account, and is never for one's own account. Employment drives the account: a termination
 * disables the linked users and ends their sessions, a rehire gives them back.
 */
import type { ServiceSchema } from "moleculer";
import { auditUpdate, systemAudit } from "../../../lib/audit/record";
import { handleOnce } from "../../../lib/channels/handled";
import { pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { now } from "../../../lib/entity";
import { BusinessRuleError, ConflictError, ForbiddenError } from "../../../lib/errors";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { EmployeeActions, EmployeeEvents, type EmployeeSummary } from "../../../lib/names/employees";
import { type EmployeeLinks, IdentityEvents } from "../../../lib/names/identity";
import { id } from "../../../lib/params";
import { canGrant } from "../../../lib/roles";
import { withLease } from "../../../lib/store/lease";
import type { Changes } from "../../../lib/employees/history";
import {
	ACCOUNTS,
	type AccountDoc,
	EMPLOYMENTS,
	type EmployeesChangedEvent,
	HANDLED_EVENTS,
	type IdentityThis,
	LOCKS,
	type UserDoc,
	type UserJSON
} from "./shared";
import { json } from "../../../lib/openapi/responses";
import * as Identity from "../../../lib/openapi/contexts/identity";

interface LinkParams {
	id: string;
	employeeId: string;
}
interface UserIdParams {
	id: string;
}
interface SetUserParams {
	id: string;
	userId: string | null;
	expect: string | null;
}
/** The newest status change of an employee that identity has acted on. */
interface EmploymentDoc {
	_id: string;
	seq: number;
}

/** The names the trail gives identity's own writes that follow an employee's status (actor "system"). */
const EMPLOYMENT_ENDED = "identity.employmentEnded";
const EMPLOYMENT_RESUMED = "identity.employmentResumed";

/**
 * What an employees.changed event means for the employee's accounts: a termination ends their
 * access, a rehire resumes it; any other change (a hire, an edit, a transfer) means nothing here.
 */
function employmentEffect(changes: Changes): "ended" | "resumed" | null {
	const change = changes.status;
	if (!change || !("to" in change)) return null;
	if (change.to === "terminated") return "ended";
	return change.from === "terminated" && change.to === "active" ? "resumed" : null;
}

export const EmployeeLinksPart: Partial<ServiceSchema> = {
	actions: {
		linkEmployee: {
			rest: "PUT /users/:id/employee",
			openapi: { responses: { 200: json(Identity.User) } },
			auth: { roles: ["owner", "admin", "hr"] },
			params: { $$strict: true, id, employeeId: id },
			async handler(this: IdentityThis, ctx: RosterContext<LinkParams>): Promise<UserJSON> {
				const user = await this.linkableUser(ctx, ctx.params.id);
				return this.userJSON(await this.link(ctx, user, ctx.params.employeeId));
			}
		},

		unlinkEmployee: {
			rest: "DELETE /users/:id/employee",
			openapi: { responses: { 200: json(Identity.User) } },
			auth: { roles: ["owner", "admin", "hr"] },
			params: { $$strict: true, id },
			async handler(this: IdentityThis, ctx: RosterContext<UserIdParams>): Promise<UserJSON> {
				const user = await this.linkableUser(ctx, ctx.params.id);
				return this.userJSON(await this.link(ctx, user, null));
			}
		},

		/** Internal: the employee a user is now, and every one they have been (for "own" decisions). */
		employeeLinks: {
			visibility: "public",
			readOnly: true,
			params: { userId: id },
			async handler(this: IdentityThis, ctx: RosterContext<{ userId: string }>): Promise<EmployeeLinks> {
				const user = await this.findUser(ctx, ctx.params.userId);
				return { employeeId: user.employeeId, linkedEmployeeIds: user.linkedEmployeeIds ?? [] };
			}
		}
	},

	/**
	 * A durable channel (lib/channels): the change is handled once by one identity node, even
	 * if the node that got it first dies, and its effect happens once (handleOnce).
	 */
	channels: {
		[EmployeeEvents.changed]: {
			async handler(this: IdentityThis, event: EmployeesChangedEvent): Promise<void> {
				// An event without effect here is not even recorded as handled: a redelivery of it does nothing either
				// (an import's every hire is one such event).
				if (!employmentEffect(event.changes ?? {})) return;
				await handleOnce(this.store(HANDLED_EVENTS), this.fullName, event, () => this.followEmployment(event));
			}
		}
	},

	methods: {
		/** A user of the caller's company whom the caller may re-link: not themself, not above them. */
		async linkableUser(this: IdentityThis, ctx: RosterContext, userId: string): Promise<UserDoc> {
			const actor = requireUser(ctx);
			const user = await this.findUser(ctx, userId);
			if (user._id === actor.id) throw new ForbiddenError("You cannot change the employee link of your own account");
			if (!canGrant(actor.roles[0], user.role)) throw new ForbiddenError(`You cannot change a user with the role '${user.role}'`);
			return user;
		},

		/**
		 * Links `user` to `employeeId` (null unlinks): the old employee's side is cleared, the
		 * user's side written, the new employee's side set, each undone if a later one fails.
		 * One link per employee at a time, across nodes, under a lease.
		 */
		async link(this: IdentityThis, ctx: RosterContext, user: UserDoc, employeeId: string | null): Promise<UserDoc> {
			if (user.employeeId === employeeId) return user;
			const write = async (): Promise<UserDoc> => {
				if (employeeId) await this.checkLinkable(ctx, user, employeeId);
				const undo: Array<() => Promise<unknown>> = [];
				try {
					if (user.employeeId) {
						await ctx.call<unknown, SetUserParams>(EmployeeActions.setUser, { id: user.employeeId, userId: null, expect: user._id });
						undo.push(() => ctx.call(EmployeeActions.setUser, { id: user.employeeId, userId: user._id, expect: null }));
					}
					const history =
						employeeId && !(user.linkedEmployeeIds ?? []).includes(employeeId)
							? [...(user.linkedEmployeeIds ?? []), employeeId]
							: (user.linkedEmployeeIds ?? []);
					const set = { employeeId, linkedEmployeeIds: history, updatedAt: now() };
					const changed = await this.adapter.updateMany(
						{ _id: user._id, employeeId: user.employeeId },
						updateWithEvent({ $set: set }, auditUpdate(ctx, "user", user, { employeeId }))
					);
					if (changed !== 1) throw new ConflictError("The user's employee link changed meanwhile; reload and try again", { field: "employeeId" });
					this.publishEvents(user._id);
					undo.push(async () => {
						const back = { employeeId: user.employeeId };
						const linked: UserDoc = { ...user, employeeId };
						await this.adapter.updateMany({ _id: user._id, employeeId }, updateWithEvent({ $set: back }, auditUpdate(ctx, "user", linked, back)));
						this.publishEvents(user._id);
					});
					if (employeeId) await ctx.call<unknown, SetUserParams>(EmployeeActions.setUser, { id: employeeId, userId: user._id, expect: null });
				} catch (err) {
					for (const step of undo.reverse()) {
						await step().catch((e: Error) =>
							this.logger.error(`Could not undo a step of linking user ${user._id}; it needs fixing by hand:`, e.message)
						);
					}
					throw err;
				}
				const updated: UserDoc = await this.adapter.findById(user._id);
				// The session check answers the caller's employee: it must see the new link at once.
				await this.usersChanged(user.tenantId);
				await this.entityChanged("updated", this.userJSON(updated), ctx);
				return updated;
			};
			return employeeId ? withLease(this.store(LOCKS), `employee:${user.tenantId}:${employeeId}`, write) : write();
		},

		/** 422 for an employee that is not an active one of this company, 409 for one with an account. */
		async checkLinkable(this: IdentityThis, ctx: RosterContext, user: UserDoc, employeeId: string): Promise<void> {
			const [employee] = await ctx.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids: [employeeId] });
			if (!employee || employee.status !== "active") {
				throw new BusinessRuleError("employeeId", "The 'employeeId' field refers to no active employee of this company.", "reference");
			}
			const other: UserDoc | null = await this.adapter.findOne({ tenantId: user.tenantId, employeeId, _id: { $ne: user._id } });
			if (other || (employee.userId && employee.userId !== user._id)) {
				throw new ConflictError("The employee already has an account", { field: "employeeId" });
			}
		},

		/**
		 * A termination disables the linked users, a rehire restores them. Idempotent: both
		 * change only users still in the state they change from, so a second run changes
		 * nothing; and a status change older than one already acted on (a replay from the
		 * dead-letter queue of a termination after the rehire) is ignored.
		 */
		async followEmployment(this: IdentityThis, event: EmployeesChangedEvent): Promise<void> {
			const { tenantId, employeeId } = event;
			const effect = employmentEffect(event.changes ?? {});
			if (!effect) return;
			if (!(await this.newestEmploymentChange(event))) {
				this.logger.info(`Status change ${event.eventId} of ${employeeId} ignored: a later one was acted on`);
				return;
			}
			if (effect === "ended") await this.employmentEnded(tenantId, employeeId);
			else await this.employmentResumed(tenantId, employeeId);
		},

		/** False for a change older (by its seq) than one acted on; otherwise remembers it as the newest. */
		async newestEmploymentChange(this: IdentityThis, { tenantId, employeeId, seq }: EmployeesChangedEvent): Promise<boolean> {
			if (seq === undefined) return true;
			const store = this.store(EMPLOYMENTS);
			const key = `${tenantId}:${employeeId}`;
			const seen: EmploymentDoc | null = await store.findById(key);
			if (seen && seen.seq > seq) return false;
			if (seen) await store.updateMany({ _id: key, seq: { $lt: seq } }, { $set: { seq } });
			else await store.insert({ _id: key, seq }).catch(() => undefined);
			return true;
		},

		async employmentEnded(this: IdentityThis, tenantId: string, employeeId: string): Promise<void> {
			const users: UserDoc[] = await this.adapter.find({ query: { tenantId, employeeId, status: { $in: ["active", "invited", "expired"] } } });
			const audit = systemAudit(EMPLOYMENT_ENDED);
			for (const user of users) {
				const disabled = pendingEvent(IdentityEvents.userDisabled, tenantId, { userId: user._id });
				const set = { status: "disabled", disabledBecause: "employmentEnded", statusBeforeDisabled: user.status, updatedAt: now() };
				// Not over staff disabling the user meanwhile: that must stay the reason, or a rehire would undo it.
				const changed = await this.adapter.updateMany(
					{ _id: user._id, status: { $ne: "disabled" } },
					updateWithEvent(updateWithEvent({ $set: set }, disabled), auditUpdate(audit, "user", user, set))
				);
				if (changed !== 1) continue;
				this.publishEvents(user._id);
				await this.revokeSessions({ userId: user._id }, "employment ended", () => audit);
				this.logger.info(`User ${user._id} disabled: the employment of ${employeeId} ended`);
			}
			await this.usersChanged(tenantId);
		},

		/**
		 * A rehire gives back what the termination took, and nothing a person on staff took away: a
		 * user who was still invited is invited again, not made a member they never agreed to be.
		 */
		async employmentResumed(this: IdentityThis, tenantId: string, employeeId: string): Promise<void> {
			const users: UserDoc[] = await this.adapter.find({ query: { tenantId, employeeId, status: "disabled", disabledBecause: "employmentEnded" } });
			for (const user of users) {
				const account: AccountDoc | null = await this.store(ACCOUNTS).findById(user.accountId);
				const status = user.statusBeforeDisabled ?? (account?.passwordHash ? "active" : "invited");
				const set = { status, disabledBecause: null, statusBeforeDisabled: null, updatedAt: now() };
				const changed = await this.adapter.updateMany(
					{ _id: user._id, status: "disabled", disabledBecause: "employmentEnded" },
					updateWithEvent({ $set: set }, auditUpdate(systemAudit(EMPLOYMENT_RESUMED), "user", user, set))
				);
				if (changed === 1) this.publishEvents(user._id);
			}
			await this.usersChanged(tenantId);
		}
	}
};
