/**
 * Leave: the tenant's leave types and holidays, each employee's yearly entitlements, and the
 * leave requests (the aggregate root). A balance is never stored; it is computed from the
 * year's entitlement and the requests that hold days, so cancelling an approved request gives
 * its days back by itself. Who may approve or reject is the leave workflow's business
 * (services/app/leave-workflow.service.ts); this service stores the decision and guards the
 * status machine.
 *
 * Who sees what: staff (owner, admin, hr) the whole tenant; a user with the manager role their
 * own leave and that of everyone under them in the org chart (the employees' managerId, any
 * depth), which is also whom the workflow lets them approve; anyone else their own leave.
 * Leave outside that scope is as absent as another tenant's (404).
 */
import type { Service, ServiceSchema } from "moleculer";
import { type TenantDoc, checkDate, containsPattern, findInTenant, now } from "../../lib/entity";
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from "../../lib/errors";
import { type Allowance, balanceOf, carryOver, fits } from "../../lib/leave/balance";
import { checkHalfDays, checkRange, daysPerMonth, requestDays, yearOf } from "../../lib/leave/calendar";
import {
	type EntitlementDoc, type Holiday, type HolidayDoc, type LeaveBalances, type LeaveEntitlement, type LeaveRequestJSON, type LeaveType,
	type RequestDoc, type TypeDoc, entitlementJSON, holidayJSON, requestJSON, typeJSON
} from "../../lib/leave/model";
import { overlaps } from "../../lib/leave/overlap";
import { SerialQueues } from "../../lib/leave/serial";
import { ACTIVE_STATUSES, LEAVE_STATUSES, statusesBefore } from "../../lib/leave/status";
import { type RosterContext, created, hasRole, isStaff, requireUser } from "../../lib/meta";
import { EmployeeActions, type EmployeeSummary } from "../../lib/names/employees";
import { LeaveEvents, type LeaveStatus } from "../../lib/names/leave";
import type { LeaveTakenRow } from "../../lib/names/reports";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../lib/pagination";
import { date, enumOf, id, nullableText, optionalBoolean, optionalDate, optionalId, optionalInt, optionalText, text } from "../../lib/params";
import { STAFF_ROLES } from "../../lib/roles";
import { type DbService, DbMixin, type Store } from "../../mixins/db.mixin";

// ---- Types -------------------------------------------------------------------------------

interface IdParams { id: string }
interface CreateTypeParams { name: string; paid: boolean; yearlyAllowance: number; carryOverCap?: number; allowNegative?: boolean }
interface UpdateTypeParams extends Partial<CreateTypeParams> { id: string }
interface ListTypesParams extends ListParams { paid?: boolean; search?: string }
interface CreateHolidayParams { date: string; name: string }
interface UpdateHolidayParams extends Partial<CreateHolidayParams> { id: string }
interface ListHolidaysParams extends ListParams { year?: number; from?: string; to?: string }
interface CreateEntitlementParams { employeeId: string; leaveTypeId: string; year: number; days: number; carriedOver?: number }
interface UpdateEntitlementParams { id: string; days?: number; carriedOver?: number }
interface ListEntitlementsParams extends ListParams { employeeId?: string; leaveTypeId?: string; year?: number }
interface EmployeeYearParams { employeeId: string; year: number }
interface CreateRequestParams {
	employeeId?: string;
	leaveTypeId: string;
	startDate: string;
	endDate: string;
	halfDayStart?: boolean;
	halfDayEnd?: boolean;
	reason?: string | null;
}
interface ListRequestsParams extends ListParams {
	employeeId?: string;
	leaveTypeId?: string;
	status?: LeaveStatus;
	year?: number;
	from?: string;
	to?: string;
}
interface DecideParams { id: string; decision: "approved" | "rejected"; note?: string }
interface BalanceParams { employeeId?: string; year?: number }
interface YearParams { year: number }

interface LeaveMethods {
	findType(tenantId: string, typeId: string): Promise<TypeDoc>;
	referencedType(tenantId: string, typeId: string): Promise<TypeDoc>;
	checkEmployee(ctx: RosterContext, employeeId: string, activeOnly: boolean): Promise<void>;
	visibleEmployees(ctx: RosterContext): Promise<string[] | null>;
	scopeQuery(ctx: RosterContext, query: Record<string, unknown>, wanted?: string): Promise<void>;
	findVisible<T extends { employeeId: string } & TenantDoc>(ctx: RosterContext, store: Store, docId: string, entity: string): Promise<T>;
	requester(ctx: RosterContext, employeeId: string | undefined): Promise<string>;
	holidaysBetween(tenantId: string, from: string, to: string): Promise<Set<string>>;
	admit(doc: RequestDoc, type: TypeDoc): Promise<void>;
	announce(ctx: RosterContext, event: string, payload: object): void;
}

type LeaveThis = DbService & LeaveMethods & { admissions: SerialQueues };

// ---- Helpers -----------------------------------------------------------------------------

const REQUESTS = "leaveRequests";
const TYPES = "leaveTypes";
const ENTITLEMENTS = "leaveEntitlements";
const HOLIDAYS = "holidays";

/** Days, whole or half (checked by checkHalfDays); a year has at most 366 of them. */
const days = { type: "number", min: 0, max: 366 } as const;
const optionalDays = { ...days, optional: true } as const;
const year = { type: "number", integer: true, min: 2000, max: 2100 } as const;
const optionalYear = optionalInt(2000, 2100);

function yearBounds(y: number): { $gte: string; $lte: string } {
	return { $gte: `${y}-01-01`, $lte: `${y}-12-31` };
}

// ---- Service -----------------------------------------------------------------------------

const LeaveService: ServiceSchema = {
	name: "leave",

	mixins: [
		DbMixin("leave", { name: REQUESTS, indexes: [{ fields: { tenantId: 1, employeeId: 1, startDate: 1 } }, { fields: { tenantId: 1, year: 1, status: 1 } }] }, [
			{ name: TYPES, indexes: [{ fields: { tenantId: 1, nameKey: 1 }, unique: true }] },
			{ name: ENTITLEMENTS, indexes: [{ fields: { tenantId: 1, employeeId: 1, leaveTypeId: 1, year: 1 }, unique: true }] },
			{ name: HOLIDAYS, indexes: [{ fields: { tenantId: 1, date: 1 }, unique: true }] }
		])
	],

	settings: {
		rest: "/"
	},

	actions: {
		// ---- Leave types ----

		createLeaveType: {
			rest: "POST /leave-types",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, name: text(100), paid: "boolean", yearlyAllowance: days, carryOverCap: optionalDays, allowNegative: { type: "boolean", optional: true } },
			async handler(this: LeaveThis, ctx: RosterContext<CreateTypeParams>): Promise<LeaveType> {
				const { tenantId } = requireUser(ctx);
				const { name, paid, yearlyAllowance, carryOverCap = 0, allowNegative = false } = ctx.params;
				checkHalfDays(yearlyAllowance, "yearlyAllowance");
				checkHalfDays(carryOverCap, "carryOverCap");
				const at = now();
				const doc: TypeDoc = {
					_id: this.newId(), tenantId, name, nameKey: name.toLowerCase(), paid, yearlyAllowance, carryOverCap, allowNegative,
					createdAt: at, updatedAt: at
				};
				await this.unique("name", () => this.store(TYPES).insert(doc));
				created(ctx, `/api/v1/leave-types/${doc._id}`);
				return this.saved(ctx, "created", typeJSON(doc));
			}
		},

		listLeaveTypes: {
			rest: "GET /leave-types",
			auth: {},
			params: { $$strict: true, ...listParams, paid: optionalBoolean, search: optionalText(100) },
			async handler(this: LeaveThis, ctx: RosterContext<ListTypesParams>): Promise<ListResult<LeaveType>> {
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (ctx.params.paid !== undefined) query.paid = ctx.params.paid;
				if (ctx.params.search) query.name = containsPattern(ctx.params.search);
				const sort = parseSort(ctx.params.sort, ["name", "yearlyAllowance", "createdAt"], "name");
				return paginate(this.store(TYPES), query, ctx.params, sort, typeJSON);
			}
		},

		getLeaveType: {
			rest: "GET /leave-types/:id",
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveType> {
				return typeJSON(await this.findType(requireUser(ctx).tenantId, ctx.params.id));
			}
		},

		/** Changing the allowance changes next grants, not the entitlements already made. */
		updateLeaveType: {
			rest: "PATCH /leave-types/:id",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, id, name: { ...text(100), optional: true }, paid: optionalBoolean, yearlyAllowance: optionalDays,
				carryOverCap: optionalDays, allowNegative: optionalBoolean
			},
			async handler(this: LeaveThis, ctx: RosterContext<UpdateTypeParams>): Promise<LeaveType> {
				const { tenantId } = requireUser(ctx);
				const { id: typeId, ...changes } = ctx.params;
				checkHalfDays(changes.yearlyAllowance, "yearlyAllowance");
				checkHalfDays(changes.carryOverCap, "carryOverCap");
				await this.findType(tenantId, typeId);
				const set: Partial<TypeDoc> = { ...changes, updatedAt: now() };
				if (changes.name !== undefined) set.nameKey = changes.name.toLowerCase();
				const updated: TypeDoc = await this.unique("name", () => this.store(TYPES).updateById(typeId, { $set: set }));
				return this.saved(ctx, "updated", typeJSON(updated));
			}
		},

		/** Only a type nobody has used: entitlements and requests keep pointing at it. */
		deleteLeaveType: {
			rest: "DELETE /leave-types/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				const type = await this.findType(tenantId, ctx.params.id);
				const query = { query: { tenantId, leaveTypeId: type._id } };
				const [entitlements, requests] = await Promise.all([this.store(ENTITLEMENTS).count(query), this.adapter.count(query)]);
				if (entitlements + requests > 0) {
					throw new ConflictError("The leave type has entitlements or requests; it cannot be deleted", { field: "id", entitlements, requests });
				}
				await this.store(TYPES).removeById(type._id);
				await this.saved(ctx, "removed", typeJSON(type));
				ctx.meta.$statusCode = 204;
				return null;
			}
		},

		// ---- Holidays ----

		/** Requests already made keep the days they were counted with. */
		createHoliday: {
			rest: "POST /holidays",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, date, name: text(100) },
			async handler(this: LeaveThis, ctx: RosterContext<CreateHolidayParams>): Promise<Holiday> {
				const { tenantId } = requireUser(ctx);
				checkDate(ctx.params.date, "date");
				const at = now();
				const doc: HolidayDoc = { _id: this.newId(), tenantId, date: ctx.params.date, name: ctx.params.name, createdAt: at, updatedAt: at };
				await this.unique("date", () => this.store(HOLIDAYS).insert(doc));
				created(ctx, `/api/v1/holidays/${doc._id}`);
				return this.saved(ctx, "created", holidayJSON(doc));
			}
		},

		listHolidays: {
			rest: "GET /holidays",
			auth: {},
			params: { $$strict: true, ...listParams, year: optionalYear, from: optionalDate, to: optionalDate },
			async handler(this: LeaveThis, ctx: RosterContext<ListHolidaysParams>): Promise<ListResult<Holiday>> {
				const { year: y, from, to } = ctx.params;
				checkDate(from, "from");
				checkDate(to, "to");
				const range: Record<string, string> = y === undefined ? {} : yearBounds(y);
				if (from && (!range.$gte || from > range.$gte)) range.$gte = from;
				if (to && (!range.$lte || to < range.$lte)) range.$lte = to;
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (Object.keys(range).length > 0) query.date = range;
				const sort = parseSort(ctx.params.sort, ["date", "name"], "date");
				return paginate(this.store(HOLIDAYS), query, ctx.params, sort, holidayJSON);
			}
		},

		getHoliday: {
			rest: "GET /holidays/:id",
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<Holiday> {
				return holidayJSON(await findInTenant<HolidayDoc>(this.store(HOLIDAYS), requireUser(ctx).tenantId, ctx.params.id, "Holiday"));
			}
		},

		updateHoliday: {
			rest: "PATCH /holidays/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, date: optionalDate, name: { ...text(100), optional: true } },
			async handler(this: LeaveThis, ctx: RosterContext<UpdateHolidayParams>): Promise<Holiday> {
				const { tenantId } = requireUser(ctx);
				const { id: holidayId, ...changes } = ctx.params;
				checkDate(changes.date, "date");
				await findInTenant<HolidayDoc>(this.store(HOLIDAYS), tenantId, holidayId, "Holiday");
				const updated: HolidayDoc = await this.unique("date", () => this.store(HOLIDAYS).updateById(holidayId, { $set: { ...changes, updatedAt: now() } }));
				return this.saved(ctx, "updated", holidayJSON(updated));
			}
		},

		deleteHoliday: {
			rest: "DELETE /holidays/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<null> {
				const holiday = await findInTenant<HolidayDoc>(this.store(HOLIDAYS), requireUser(ctx).tenantId, ctx.params.id, "Holiday");
				await this.store(HOLIDAYS).removeById(holiday._id);
				await this.saved(ctx, "removed", holidayJSON(holiday));
				ctx.meta.$statusCode = 204;
				return null;
			}
		},

		// ---- Entitlements ----

		createEntitlement: {
			rest: "POST /leave-entitlements",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, employeeId: id, leaveTypeId: id, year, days, carriedOver: optionalDays },
			async handler(this: LeaveThis, ctx: RosterContext<CreateEntitlementParams>): Promise<LeaveEntitlement> {
				const { tenantId } = requireUser(ctx);
				const { employeeId, leaveTypeId, year: y, days: allowance, carriedOver = 0 } = ctx.params;
				checkHalfDays(allowance, "days");
				checkHalfDays(carriedOver, "carriedOver");
				await this.referencedType(tenantId, leaveTypeId);
				await this.checkEmployee(ctx, employeeId, false);
				const at = now();
				const doc: EntitlementDoc = {
					_id: this.newId(), tenantId, employeeId, leaveTypeId, year: y, days: allowance, carriedOver, source: "manual",
					createdAt: at, updatedAt: at
				};
				await this.unique("year", () => this.store(ENTITLEMENTS).insert(doc));
				created(ctx, `/api/v1/leave-entitlements/${doc._id}`);
				return this.saved(ctx, "created", entitlementJSON(doc));
			}
		},

		listEntitlements: {
			rest: "GET /leave-entitlements",
			auth: {},
			params: { $$strict: true, ...listParams, employeeId: optionalId, leaveTypeId: optionalId, year: optionalYear },
			async handler(this: LeaveThis, ctx: RosterContext<ListEntitlementsParams>): Promise<ListResult<LeaveEntitlement>> {
				const { employeeId, leaveTypeId, year: y } = ctx.params;
				const sort = parseSort(ctx.params.sort, ["year", "days", "createdAt"], "-year");
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				await this.scopeQuery(ctx, query, employeeId);
				if (leaveTypeId) query.leaveTypeId = leaveTypeId;
				if (y !== undefined) query.year = y;
				return paginate(this.store(ENTITLEMENTS), query, ctx.params, sort, entitlementJSON);
			}
		},

		getEntitlement: {
			rest: "GET /leave-entitlements/:id",
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveEntitlement> {
				return entitlementJSON(await this.findVisible<EntitlementDoc>(ctx, this.store(ENTITLEMENTS), ctx.params.id, "Leave entitlement"));
			}
		},

		updateEntitlement: {
			rest: "PATCH /leave-entitlements/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, days: optionalDays, carriedOver: optionalDays },
			async handler(this: LeaveThis, ctx: RosterContext<UpdateEntitlementParams>): Promise<LeaveEntitlement> {
				const { tenantId } = requireUser(ctx);
				const { id: entitlementId, ...changes } = ctx.params;
				checkHalfDays(changes.days, "days");
				checkHalfDays(changes.carriedOver, "carriedOver");
				await findInTenant<EntitlementDoc>(this.store(ENTITLEMENTS), tenantId, entitlementId, "Leave entitlement");
				const updated: EntitlementDoc = await this.store(ENTITLEMENTS).updateById(entitlementId, { $set: { ...changes, updatedAt: now() } });
				return this.saved(ctx, "updated", entitlementJSON(updated));
			}
		},

		deleteEntitlement: {
			rest: "DELETE /leave-entitlements/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<null> {
				const entitlement = await findInTenant<EntitlementDoc>(this.store(ENTITLEMENTS), requireUser(ctx).tenantId, ctx.params.id, "Leave entitlement");
				await this.store(ENTITLEMENTS).removeById(entitlement._id);
				await this.saved(ctx, "removed", entitlementJSON(entitlement));
				ctx.meta.$statusCode = 204;
				return null;
			}
		},

		/**
		 * One entitlement per leave type for the year: the type's allowance, plus what the
		 * previous year's entitlement left over, up to the type's cap. Types that already have an
		 * entitlement that year are skipped, so calling it twice is calling it once.
		 */
		grantEntitlements: {
			visibility: "public",
			params: { employeeId: id, year },
			async handler(this: LeaveThis, ctx: RosterContext<EmployeeYearParams>): Promise<LeaveEntitlement[]> {
				const { tenantId } = requireUser(ctx);
				const { employeeId, year: y } = ctx.params;
				await this.checkEmployee(ctx, employeeId, false);
				const entitlements = this.store(ENTITLEMENTS);
				const [types, existing]: [TypeDoc[], EntitlementDoc[]] = await Promise.all([
					this.store(TYPES).find({ query: { tenantId } }),
					entitlements.find({ query: { tenantId, employeeId, year: y } })
				]);
				const have = new Set(existing.map(e => e.leaveTypeId));
				const missing = types.filter(t => !have.has(t._id));
				if (missing.length === 0) return existing.map(entitlementJSON);

				const typeIds = missing.map(t => t._id);
				const [previous, held]: [EntitlementDoc[], RequestDoc[]] = await Promise.all([
					entitlements.find({ query: { tenantId, employeeId, year: y - 1, leaveTypeId: { $in: typeIds } } }),
					this.adapter.find({ query: { tenantId, employeeId, year: y - 1, leaveTypeId: { $in: typeIds }, status: { $in: ACTIVE_STATUSES } } })
				]);
				const at = now();
				const made: EntitlementDoc[] = [];
				for (const type of missing) {
					const last = previous.find(e => e.leaveTypeId === type._id);
					const carried = last ? carryOver(balanceOf(last, held.filter(r => r.leaveTypeId === type._id)).remaining, type.carryOverCap) : 0;
					const doc: EntitlementDoc = {
						_id: this.newId(), tenantId, employeeId, leaveTypeId: type._id, year: y, days: type.yearlyAllowance,
						carriedOver: carried, source: "grant", createdAt: at, updatedAt: at
					};
					try {
						await this.unique("year", () => entitlements.insert(doc));
						made.push(doc);
					} catch (err) {
						// A concurrent grant got there first: that entitlement stands.
						if ((err as { code?: number }).code !== 409) throw err;
					}
				}
				if (made.length > 0) await this.entityChanged("created", made.map(entitlementJSON), ctx);
				const all: EntitlementDoc[] = await entitlements.find({ query: { tenantId, employeeId, year: y } });
				return all.map(entitlementJSON);
			}
		},

		/** Onboarding's compensation: removes the year's entitlements that grantEntitlements made. */
		revokeEntitlements: {
			visibility: "public",
			params: { employeeId: id, year },
			async handler(this: LeaveThis, ctx: RosterContext<EmployeeYearParams>): Promise<{ removed: number }> {
				const { tenantId } = requireUser(ctx);
				const query = { tenantId, employeeId: ctx.params.employeeId, year: ctx.params.year, source: "grant" };
				const doomed: EntitlementDoc[] = await this.store(ENTITLEMENTS).find({ query });
				if (doomed.length === 0) return { removed: 0 };
				const removed = await this.store(ENTITLEMENTS).removeMany({ ...query, _id: { $in: doomed.map(d => d._id) } });
				await this.entityChanged("removed", doomed.map(entitlementJSON), ctx);
				return { removed };
			}
		},

		// ---- Requests ----

		/**
		 * A request for oneself (staff may request for anyone). Admission: the days are counted
		 * against the tenant's calendar, must not overlap the employee's requested or approved
		 * leave (409), and must fit the year's balance unless the type allows going negative
		 * (422 insufficientBalance).
		 */
		createRequest: {
			rest: "POST /leave-requests",
			auth: {},
			params: {
				$$strict: true, employeeId: optionalId, leaveTypeId: id, startDate: date, endDate: date,
				halfDayStart: { type: "boolean", optional: true }, halfDayEnd: { type: "boolean", optional: true }, reason: nullableText(500)
			},
			async handler(this: LeaveThis, ctx: RosterContext<CreateRequestParams>): Promise<LeaveRequestJSON> {
				const user = requireUser(ctx);
				const { tenantId } = user;
				const { leaveTypeId, startDate, endDate, halfDayStart = false, halfDayEnd = false, reason = null } = ctx.params;
				checkDate(startDate, "startDate");
				checkDate(endDate, "endDate");
				checkRange({ startDate, endDate });
				const employeeId = await this.requester(ctx, ctx.params.employeeId);
				const type = await this.referencedType(tenantId, leaveTypeId);
				const holidays = await this.holidaysBetween(tenantId, startDate, endDate);
				const range = { startDate, endDate, halfDayStart, halfDayEnd };
				const at = now();
				const doc: RequestDoc = {
					_id: this.newId(), tenantId, employeeId, leaveTypeId, ...range, days: requestDays(range, holidays),
					monthDays: daysPerMonth(range, holidays), reason,
					status: "requested", year: yearOf(startDate), requestedBy: user.id, decidedBy: null, decidedAt: null,
					decisionNote: null, cancelledBy: null, cancelledAt: null, createdAt: at, updatedAt: at
				};
				await this.admissions.run(`${tenantId}:${employeeId}`, async () => {
					await this.admit(doc, type);
					await this.adapter.insert(doc);
					try {
						// Another node may have admitted a colliding request meanwhile: check again, now
						// that ours is visible to it. Two such requests may both fail; never both pass.
						await this.admit(doc, type);
					} catch (err) {
						await this.adapter.removeById(doc._id);
						throw err;
					}
				});
				const json = requestJSON(doc);
				await this.saved(ctx, "created", json);
				this.announce(ctx, LeaveEvents.requested, { tenantId, requestId: doc._id, employeeId });
				created(ctx, `/api/v1/leave-requests/${doc._id}`);
				return json;
			}
		},

		listRequests: {
			rest: "GET /leave-requests",
			auth: {},
			params: {
				$$strict: true, ...listParams, employeeId: optionalId, leaveTypeId: optionalId, status: { ...enumOf(LEAVE_STATUSES), optional: true },
				year: optionalYear, from: optionalDate, to: optionalDate
			},
			async handler(this: LeaveThis, ctx: RosterContext<ListRequestsParams>): Promise<ListResult<LeaveRequestJSON>> {
				const { employeeId, leaveTypeId, status, year: y, from, to } = ctx.params;
				checkDate(from, "from");
				checkDate(to, "to");
				const sort = parseSort(ctx.params.sort, ["startDate", "endDate", "days", "status", "createdAt"], "-startDate");
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				await this.scopeQuery(ctx, query, employeeId);
				if (leaveTypeId) query.leaveTypeId = leaveTypeId;
				if (status) query.status = status;
				if (y !== undefined) query.year = y;
				// Requests that touch the window: ending on or after `from`, starting on or before `to`.
				if (from) query.endDate = { $gte: from };
				if (to) query.startDate = { $lte: to };
				return paginate(this.adapter, query, ctx.params, sort, requestJSON);
			}
		},

		viewRequest: {
			rest: "GET /leave-requests/:id",
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveRequestJSON> {
				return requestJSON(await this.findVisible<RequestDoc>(ctx, this.adapter, ctx.params.id, "Leave request"));
			}
		},

		/** The requester (their own request) or staff; a requested or approved request only. */
		cancelRequest: {
			rest: "POST /leave-requests/:id/cancel",
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveRequestJSON> {
				const user = requireUser(ctx);
				const request = await this.findVisible<RequestDoc>(ctx, this.adapter, ctx.params.id, "Leave request");
				const own = request.employeeId === user.employeeId || request.requestedBy === user.id;
				if (!own && !isStaff(user)) throw new ForbiddenError("Only the requester or HR may cancel a leave request");
				const at = now();
				const changed = await this.adapter.updateMany(
					{ _id: request._id, tenantId: user.tenantId, status: { $in: statusesBefore("cancelled") } },
					{ $set: { status: "cancelled", cancelledBy: user.id, cancelledAt: at, updatedAt: at } }
				);
				const current: RequestDoc = await this.adapter.findById(request._id);
				if (changed !== 1) {
					throw new ConflictError(`The leave request is ${current.status} and cannot be cancelled`, { field: "status", status: current.status });
				}
				const json = await this.saved(ctx, "updated", requestJSON(current));
				this.announce(ctx, LeaveEvents.requestDecided, {
					tenantId: user.tenantId, requestId: current._id, employeeId: current.employeeId, status: "cancelled", decidedBy: user.id
				});
				return json;
			}
		},

		/** The leave workflow's read of a request, before it decides who may decide. */
		getRequest: {
			visibility: "public",
			params: { id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveRequestJSON> {
				return requestJSON(await findInTenant<RequestDoc>(this.adapter, requireUser(ctx).tenantId, ctx.params.id, "Leave request"));
			}
		},

		/**
		 * Stores an approval or rejection. The status guard is part of the write, so of two
		 * decisions racing for one request exactly one lands; the other is a 409.
		 */
		decide: {
			visibility: "public",
			params: { id, decision: { type: "enum", values: ["approved", "rejected"] }, note: optionalText(500) },
			async handler(this: LeaveThis, ctx: RosterContext<DecideParams>): Promise<LeaveRequestJSON> {
				const user = requireUser(ctx);
				const { id: requestId, decision, note = null } = ctx.params;
				await findInTenant<RequestDoc>(this.adapter, user.tenantId, requestId, "Leave request");
				const at = now();
				const changed = await this.adapter.updateMany(
					{ _id: requestId, tenantId: user.tenantId, status: { $in: statusesBefore(decision) } },
					{ $set: { status: decision, decidedBy: user.id, decidedAt: at, decisionNote: note, updatedAt: at } }
				);
				const current: RequestDoc = await this.adapter.findById(requestId);
				if (changed !== 1) {
					throw new ConflictError(`The leave request is ${current.status}; only a requested one can be ${decision}`, { field: "status", status: current.status });
				}
				return this.saved(ctx, "updated", requestJSON(current));
			}
		},

		// ---- Balances ----

		/** Per leave type of the tenant; a type without an entitlement that year starts from zero. */
		balances: {
			rest: "GET /leave-balances",
			auth: {},
			params: { $$strict: true, employeeId: optionalId, year: optionalYear },
			async handler(this: LeaveThis, ctx: RosterContext<BalanceParams>): Promise<LeaveBalances> {
				const user = requireUser(ctx);
				const { tenantId } = user;
				const employeeId = ctx.params.employeeId ?? user.employeeId;
				if (!employeeId) throw new UnprocessableError("employeeId", "Your account is linked to no employee: name the 'employeeId'.", "required");
				const visible = await this.visibleEmployees(ctx);
				if (visible === null) {
					const [employee] = await ctx.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids: [employeeId] });
					if (!employee) throw new NotFoundError("Employee", employeeId);
				} else if (!visible.includes(employeeId)) {
					throw new NotFoundError("Employee", employeeId);
				}
				const y = ctx.params.year ?? new Date().getUTCFullYear();
				const [types, entitlements, held]: [TypeDoc[], EntitlementDoc[], RequestDoc[]] = await Promise.all([
					this.store(TYPES).find({ query: { tenantId }, sort: ["name"] }),
					this.store(ENTITLEMENTS).find({ query: { tenantId, employeeId, year: y } }),
					this.adapter.find({ query: { tenantId, employeeId, year: y, status: { $in: ACTIVE_STATUSES } } })
				]);
				const balances = types.map(type => {
					const allowance: Allowance | null = entitlements.find(e => e.leaveTypeId === type._id) ?? null;
					const balance = balanceOf(allowance, held.filter(r => r.leaveTypeId === type._id));
					return { leaveTypeId: type._id, name: type.name, ...balance };
				});
				return { employeeId, year: y, balances };
			}
		},

		/** The reports' source: approved days of the tenant's year, per leave type and month. */
		takenByMonth: {
			visibility: "public",
			params: { year },
			async handler(this: LeaveThis, ctx: RosterContext<YearParams>): Promise<LeaveTakenRow[]> {
				const { tenantId } = requireUser(ctx);
				const [types, approved]: [TypeDoc[], RequestDoc[]] = await Promise.all([
					this.store(TYPES).find({ query: { tenantId } }),
					this.adapter.find({ query: { tenantId, year: ctx.params.year, status: "approved" } })
				]);
				const names = new Map(types.map(t => [t._id, t.name]));
				const totals = new Map<string, LeaveTakenRow>();
				for (const request of approved) {
					request.monthDays.forEach((taken, index) => {
						if (taken === 0) return;
						const key = `${request.leaveTypeId}:${index}`;
						const row = totals.get(key) ?? { leaveTypeId: request.leaveTypeId, leaveTypeName: names.get(request.leaveTypeId) ?? "", month: index + 1, days: 0 };
						row.days += taken;
						totals.set(key, row);
					});
				}
				return [...totals.values()];
			}
		}
	},

	methods: {
		async findType(this: LeaveThis, tenantId: string, typeId: string): Promise<TypeDoc> {
			return findInTenant<TypeDoc>(this.store(TYPES), tenantId, typeId, "Leave type");
		},

		/** A leave type named in input: missing or another tenant's is a 422 on leaveTypeId. */
		async referencedType(this: LeaveThis, tenantId: string, typeId: string): Promise<TypeDoc> {
			const type: TypeDoc | null = await this.store(TYPES).findOne({ _id: typeId, tenantId });
			if (!type) throw new UnprocessableError("leaveTypeId", "The 'leaveTypeId' field refers to no leave type of this company.", "reference");
			return type;
		},

		async checkEmployee(ctx: RosterContext, employeeId: string, activeOnly: boolean): Promise<void> {
			const [employee] = await ctx.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids: [employeeId] });
			if (!employee || (activeOnly && employee.status !== "active")) {
				const what = activeOnly ? "active employee" : "employee";
				throw new UnprocessableError("employeeId", `The 'employeeId' field refers to no ${what} of this company.`, "reference");
			}
		},

		/**
		 * null: the whole tenant (staff). Otherwise the caller's own employee, and for a manager
		 * everyone under them at any depth (as the employees context shows its directory).
		 */
		async visibleEmployees(ctx: RosterContext): Promise<string[] | null> {
			const user = requireUser(ctx);
			if (isStaff(user)) return null;
			if (!user.employeeId) return [];
			if (!hasRole(user, "manager")) return [user.employeeId];
			const reports = await ctx
				.call<string[], { id: string; depth: "all" }>(EmployeeActions.reportIds, { id: user.employeeId, depth: "all" })
				// A user linked to an employee record that is gone sees their own leave, no team.
				.catch((err: { code?: number }) => (err.code === 404 ? [] : Promise.reject(err)));
			return [user.employeeId, ...reports];
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

		async findVisible<T extends { employeeId: string } & TenantDoc>(this: LeaveThis, ctx: RosterContext, store: Store, docId: string, entity: string): Promise<T> {
			const doc = await findInTenant<T>(store, requireUser(ctx).tenantId, docId, entity);
			const visible = await this.visibleEmployees(ctx);
			if (visible !== null && !visible.includes(doc.employeeId)) throw new NotFoundError(entity, docId);
			return doc;
		},

		/** Whose leave a new request is: the caller's own, or (staff only) any active employee's. */
		async requester(this: LeaveThis, ctx: RosterContext, employeeId: string | undefined): Promise<string> {
			const user = requireUser(ctx);
			const wanted = employeeId ?? user.employeeId;
			if (!wanted) {
				throw new UnprocessableError("employeeId", "Your account is linked to no employee: name the 'employeeId' the leave is for.", "required");
			}
			if (wanted !== user.employeeId && !isStaff(user)) throw new ForbiddenError("You may request leave only for yourself");
			await this.checkEmployee(ctx, wanted, true);
			return wanted;
		},

		async holidaysBetween(this: LeaveThis, tenantId: string, from: string, to: string): Promise<Set<string>> {
			const holidays: HolidayDoc[] = await this.store(HOLIDAYS).find({ query: { tenantId, date: { $gte: from, $lte: to } } });
			return new Set(holidays.map(h => h.date));
		},

		/** The request must not overlap the employee's held leave and must fit the year's balance. */
		async admit(this: LeaveThis, doc: RequestDoc, type: TypeDoc): Promise<void> {
			const { tenantId, employeeId } = doc;
			const active = { $in: ACTIVE_STATUSES };
			const near: RequestDoc[] = await this.adapter.find({
				query: { tenantId, employeeId, status: active, startDate: { $lte: doc.endDate }, endDate: { $gte: doc.startDate }, _id: { $ne: doc._id } }
			});
			const clash = near.find(other => overlaps(other, doc));
			if (clash) {
				throw new ConflictError("The request overlaps another requested or approved leave of the employee", { field: "startDate", requestId: clash._id });
			}
			if (type.allowNegative) return;
			const [entitlement, held]: [EntitlementDoc | null, RequestDoc[]] = await Promise.all([
				this.store(ENTITLEMENTS).findOne({ tenantId, employeeId, leaveTypeId: type._id, year: doc.year }),
				this.adapter.find({ query: { tenantId, employeeId, leaveTypeId: type._id, year: doc.year, status: active, _id: { $ne: doc._id } } })
			]);
			const { remaining } = balanceOf(entitlement, held);
			if (!fits(remaining, doc.days, type.allowNegative)) {
				throw new UnprocessableError(
					"leaveTypeId",
					`The request takes ${doc.days} day(s) of '${type.name}' but only ${remaining} remain for ${doc.year}.`,
					"insufficientBalance"
				);
			}
		},

		/** The change is stored: an event that cannot be sent is logged, never turned into the caller's error. */
		announce(this: LeaveThis, ctx: RosterContext, event: string, payload: object): void {
			ctx.emit(event, payload).catch((err: Error) => this.logger.warn(`Could not emit ${event}:`, err.message));
		}
	},

	created(this: Service) {
		(this as LeaveThis).admissions = new SerialQueues();
	}
};

export default LeaveService;
