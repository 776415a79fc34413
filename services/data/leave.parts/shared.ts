/**
 * Leave, what its parts share: the collections, the params schemas, the service's `this`, and
 * the scoping of who sees whose leave (the rule is in leave.service.ts's header).
 */
import type { ServiceSchema } from "moleculer";
import type { AuditContext } from "../../../lib/audit/record";
import { type TenantDoc, findInTenant } from "../../../lib/entity";
import { BusinessRuleError, NotFoundError } from "../../../lib/errors";
import type { Allowance } from "../../../lib/leave/balance";
import { LEAVE_YEARS } from "../../../lib/leave/calendar";
import type { EntitlementDoc, RequestDoc, TypeDoc } from "../../../lib/leave/model";
import type { SerialQueues } from "../../../lib/leave/serial";
import { type RosterContext, hasRole, isStaff, requireUser } from "../../../lib/meta";
import { EmployeeActions, type EmployeeSummary } from "../../../lib/names/employees";
import { optionalInt } from "../../../lib/params";
import { withLease } from "../../../lib/store/lease";
import { withOwnedLease, withSharedLease } from "../../../lib/store/shared-lease";
import type { DbService, Store } from "../../../mixins/db.mixin";
import type { OutboxMethods } from "../../../mixins/outbox.mixin";

// ---- Types -------------------------------------------------------------------------------

export interface IdParams {
	id: string;
}

/** Every method of the service, whichever part holds it: a part calls the others' through `this`. */
export interface LeaveMethods {
	// types.ts
	findType(tenantId: string, typeId: string): Promise<TypeDoc>;
	referencedType(tenantId: string, typeId: string): Promise<TypeDoc>;
	// shared.ts
	exclusively<T>(tenantId: string, employeeId: string, task: () => Promise<T>): Promise<T>;
	whileTypeStays<T>(tenantId: string, typeId: string, task: () => Promise<T>): Promise<T>;
	whileTypeGoes<T>(tenantId: string, typeId: string, task: () => Promise<T>): Promise<T>;
	checkEmployee(ctx: RosterContext, employeeId: string): Promise<EmployeeSummary>;
	visibleEmployees(ctx: RosterContext): Promise<string[] | null>;
	scopeQuery(ctx: RosterContext, query: Record<string, unknown>, wanted?: string): Promise<void>;
	findVisible<T extends { employeeId: string } & TenantDoc>(ctx: RosterContext, store: Store, docId: string, entity: string): Promise<T>;
	// requests.ts
	requester(ctx: RosterContext, employeeId: string | undefined): Promise<EmployeeSummary>;
	admit(doc: RequestDoc, type: TypeDoc): Promise<void>;
	checkEmployment(ctx: RosterContext, employee: EmployeeSummary, range: { startDate: string; endDate: string }): Promise<void>;
	// entitlements.ts
	checkLowered(entitlement: EntitlementDoc, changes: Partial<Allowance>): Promise<void>;
	shortfall(entitlement: EntitlementDoc, after: Allowance): Promise<{ typeName: string; taken: number; pending: number } | null>;
	// holidays.ts
	holidaysBetween(tenantId: string, from: string, to: string): Promise<Set<string>>;
	// carry-over.ts
	carryOn(ctx: AuditContext, tenantId: string, employeeId: string, leaveTypeId: string, year: number): Promise<void>;
	checkCarriedSpend(doc: RequestDoc, type: TypeDoc, remaining: number): Promise<void>;
}

export type LeaveThis = DbService & LeaveMethods & OutboxMethods & { admissions: SerialQueues };

// ---- Helpers -----------------------------------------------------------------------------

export const REQUESTS = "leaveRequests";
export const TYPES = "leaveTypes";
export const ENTITLEMENTS = "leaveEntitlements";
export const HOLIDAYS = "holidays";
/** One lease row per employee whose balance is being checked and changed (lib/store/lease.ts). */
export const ADMISSIONS = "leaveAdmissions";

/** Days, whole or half (checked by checkHalfDays); a year has at most 366 of them. */
export const days = { type: "number", min: 0, max: 366 } as const;
export const optionalDays = { ...days, optional: true } as const;
export const year = { type: "number", integer: true, min: LEAVE_YEARS.min, max: LEAVE_YEARS.max } as const;
export const optionalYear = optionalInt(LEAVE_YEARS.min, LEAVE_YEARS.max);

// ---- Employees and scoping ---------------------------------------------------------------

/** The lease of one leave type: its delete owns it, the writes that refer to it share it. */
const typeLease = (tenantId: string, typeId: string) => `leaveType:${tenantId}:${typeId}`;

export const SharedPart: Partial<ServiceSchema> = {
	methods: {
		/**
		 * Runs `task` alone among the writes that move one employee's balances (admitting a request,
		 * changing an entitlement): one at a time on this node (queued) and across nodes (a lease in
		 * the shared store), so a balance check sees every write before it and none slips in after.
		 */
		exclusively<T>(this: LeaveThis, tenantId: string, employeeId: string, task: () => Promise<T>): Promise<T> {
			const key = `${tenantId}:${employeeId}`;
			return this.admissions.run(key, () => withLease(this.store(ADMISSIONS), key, task));
		},

		/**
		 * Runs `task` while no one can delete the leave type (whileTypeGoes owns the lease this shares):
		 * a request or an entitlement written inside it refers to a type that stays. Unserialised, a
		 * delete could count no use of the type, and a write could land before the type went. Writes
		 * share the lease, so a company's requests of one type do not wait for one another.
		 */
		whileTypeStays<T>(this: LeaveThis, tenantId: string, typeId: string, task: () => Promise<T>): Promise<T> {
			return withSharedLease(this.store(ADMISSIONS), typeLease(tenantId, typeId), task);
		},

		/** Runs the type's delete with no write sharing its lease (whileTypeStays): its count of uses sees them all. */
		whileTypeGoes<T>(this: LeaveThis, tenantId: string, typeId: string, task: () => Promise<T>): Promise<T> {
			return withOwnedLease(this.store(ADMISSIONS), typeLease(tenantId, typeId), task);
		},

		/** An employee of the caller's tenant, terminated or not; a 422 naming employeeId otherwise. */
		async checkEmployee(ctx: RosterContext, employeeId: string): Promise<EmployeeSummary> {
			const [employee] = await ctx.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids: [employeeId] });
			if (!employee) throw new BusinessRuleError("employeeId", "The 'employeeId' field refers to no employee of this company.", "reference");
			return employee;
		},

		/**
		 * null: the whole tenant (staff). Otherwise the caller's own employee, and for a manager
		 * everyone under them at any depth (as the employees context shows its directory). Who
		 * counts as a manager is the employees context's answer: the role and an active record,
		 * so a terminated manager (or one whose record is gone) sees their own leave, no team.
		 */
		async visibleEmployees(ctx: RosterContext): Promise<string[] | null> {
			const user = requireUser(ctx);
			if (isStaff(user)) return null;
			if (!user.employeeId) return [];
			if (!hasRole(user, "manager")) return [user.employeeId];
			const manager = await ctx.call<string | null>(EmployeeActions.activeManager);
			if (!manager) return [user.employeeId];
			const reports = await ctx.call<string[], { id: string; depth: "all" }>(EmployeeActions.reportIds, { id: manager, depth: "all" });
			return [manager, ...reports];
		},

		/** Narrows a list query to the visible employees; a filter for anyone else finds nothing. */
		async scopeQuery(this: LeaveThis, ctx: RosterContext, query: Record<string, unknown>, wanted?: string): Promise<void> {
			const visible = await this.visibleEmployees(ctx);
			if (visible === null) {
				if (wanted) query.employeeId = wanted;
				return;
			}
			query.employeeId = { $in: wanted ? visible.filter(e => e === wanted) : visible };
		},

		async findVisible<T extends { employeeId: string } & TenantDoc>(
			this: LeaveThis,
			ctx: RosterContext,
			store: Store,
			docId: string,
			entity: string
		): Promise<T> {
			const doc = await findInTenant<T>(store, requireUser(ctx).tenantId, docId, entity);
			const visible = await this.visibleEmployees(ctx);
			if (visible !== null && !visible.includes(doc.employeeId)) throw new NotFoundError(entity, docId);
			return doc;
		}
	}
};
