/** Leave requests, the aggregate root: admission, listing, cancelling, and the stored decision. */
import type { ServiceSchema } from "moleculer";
import { insertWithEvent, pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { auditCreation, auditUpdate } from "../../../lib/audit/record";
import { checkDate, findInTenant, now } from "../../../lib/entity";
import { BusinessRuleError, ConflictError, ForbiddenError } from "../../../lib/errors";
import { balanceOf, fits } from "../../../lib/leave/balance";
import { type DateRange, checkLeaveYear, checkRange, daysPerMonth, requestDays, yearOf } from "../../../lib/leave/calendar";
import { type Employment, checkWithinEmployment, withinSomeEmployment } from "../../../lib/leave/employment";
import { type EntitlementDoc, type LeaveRequestJSON, type RequestDoc, type TypeDoc, requestJSON } from "../../../lib/leave/model";
import { overlaps } from "../../../lib/leave/overlap";
import { ACTIVE_STATUSES, LEAVE_STATUSES, canTransition, statusesBefore } from "../../../lib/leave/status";
import { type RosterContext, created, isStaff, requireUser } from "../../../lib/meta";
import { EmployeeActions, type EmployeeSummary } from "../../../lib/names/employees";
import { type LeaveDecidedEvent, LeaveEvents, type LeaveRequestedEvent, type LeaveStatus } from "../../../lib/names/leave";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { date, enumOf, id, optionalDate, optionalId, optionalProse, nullableProse } from "../../../lib/params";
import { type NamedLeaveRequest, withDisplayNames } from "./display-names";
import { ENTITLEMENTS, type IdParams, type LeaveThis, optionalYear } from "./shared";
import { json } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Leave from "../../../lib/openapi/contexts/leave";

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
interface DecideParams {
	id: string;
	decision: "approved" | "rejected";
	note?: string;
}

/** The event of a decision (or a cancellation), carried by the write that stores it. */
function decidedEvent(request: RequestDoc, status: LeaveDecidedEvent["status"], decidedBy: string) {
	return pendingEvent<LeaveDecidedEvent>(LeaveEvents.requestDecided, request.tenantId, {
		requestId: request._id,
		employeeId: request.employeeId,
		status,
		decidedBy,
		requestedBy: request.requestedBy
	});
}

export const RequestsPart: Partial<ServiceSchema> = {
	actions: {
		/**
		 * A request for oneself (staff may request for anyone). Admission: the days lie in a year
		 * the API can query (422), within the employment (422 outsideEmployment), are counted against the tenant's calendar, must not
		 * overlap the employee's requested or approved leave (409), and must fit the year's
		 * balance unless the type allows going negative (422 insufficientBalance).
		 */
		createRequest: {
			rest: "POST /leave-requests",
			openapi: { responses: { 201: json(Leave.LeaveRequest) } },
			auth: {},
			params: {
				$$strict: true,
				employeeId: optionalId,
				leaveTypeId: id,
				startDate: date,
				endDate: date,
				halfDayStart: { type: "boolean", optional: true },
				halfDayEnd: { type: "boolean", optional: true },
				reason: nullableProse(500)
			},
			async handler(this: LeaveThis, ctx: RosterContext<CreateRequestParams>): Promise<LeaveRequestJSON> {
				const user = requireUser(ctx);
				const { tenantId } = user;
				const { leaveTypeId, startDate, endDate, halfDayStart = false, halfDayEnd = false, reason = null } = ctx.params;
				checkDate(startDate, "startDate");
				checkDate(endDate, "endDate");
				checkLeaveYear(startDate, "startDate");
				checkLeaveYear(endDate, "endDate");
				checkRange({ startDate, endDate });
				const employee = await this.requester(ctx, ctx.params.employeeId);
				await this.checkEmployment(ctx, employee, { startDate, endDate });
				const employeeId = employee.id;
				const type = await this.referencedType(tenantId, leaveTypeId);
				const holidays = await this.holidaysBetween(tenantId, startDate, endDate);
				const range = { startDate, endDate, halfDayStart, halfDayEnd };
				const at = now();
				const doc: RequestDoc = {
					_id: this.newId(),
					tenantId,
					employeeId,
					leaveTypeId,
					...range,
					days: requestDays(range, holidays),
					monthDays: daysPerMonth(range, holidays),
					reason,
					status: "requested",
					year: yearOf(startDate),
					requestedBy: user.id,
					decidedBy: null,
					decidedAt: null,
					decisionNote: null,
					cancelledBy: null,
					cancelledAt: null,
					createdAt: at,
					updatedAt: at
				};
				// One admission per employee at a time, so the second of two identical requests sees the first.
				await this.exclusively(tenantId, employeeId, () =>
					this.whileTypeStays(tenantId, leaveTypeId, async () => {
						await this.referencedType(tenantId, leaveTypeId);
						await this.admit(doc, type);
						// The event rides in the request's own insert: published if and only if it is stored.
						const requested = pendingEvent<LeaveRequestedEvent>(LeaveEvents.requested, tenantId, {
							requestId: doc._id,
							employeeId,
							leaveTypeId,
							startDate,
							endDate,
							days: doc.days,
							requestedBy: user.id
						});
						await this.adapter.insert(insertWithEvent(insertWithEvent(doc, requested), auditCreation(ctx, "leaveRequest", doc)));
						await this.carryOn(ctx, tenantId, employeeId, leaveTypeId, doc.year);
					})
				);
				this.publishEvents(doc._id);
				const json = requestJSON(doc);
				await this.saved(ctx, "created", json);
				created(ctx, `/api/v1/leave-requests/${doc._id}`);
				return json;
			}
		},

		listRequests: {
			rest: "GET /leave-requests",
			openapi: { responses: { 200: json(page(Leave.LeaveRequest)) } },
			auth: {},
			params: {
				$$strict: true,
				...listParams,
				employeeId: optionalId,
				leaveTypeId: optionalId,
				status: { ...enumOf(LEAVE_STATUSES), optional: true },
				year: optionalYear,
				from: optionalDate,
				to: optionalDate
			},
			async handler(this: LeaveThis, ctx: RosterContext<ListRequestsParams>): Promise<ListResult<NamedLeaveRequest>> {
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
				return withDisplayNames(ctx, await paginate(this.adapter, query, ctx.params, sort, requestJSON));
			}
		},

		viewRequest: {
			rest: "GET /leave-requests/:id",
			openapi: { responses: { 200: json(Leave.LeaveRequest) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveRequestJSON> {
				return requestJSON(await this.findVisible<RequestDoc>(ctx, this.adapter, ctx.params.id, "Leave request"));
			}
		},

		/** The requester (their own request) or staff; a requested or approved request only. */
		cancelRequest: {
			rest: "POST /leave-requests/:id/cancel",
			openapi: { responses: { 200: json(Leave.LeaveRequest) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveRequestJSON> {
				const user = requireUser(ctx);
				const request = await this.findVisible<RequestDoc>(ctx, this.adapter, ctx.params.id, "Leave request");
				const own = request.employeeId === user.employeeId || request.requestedBy === user.id;
				if (!own && !isStaff(user)) throw new ForbiddenError("Only the requester or HR may cancel a leave request");
				const at = now();
				const set = { status: "cancelled", cancelledBy: user.id, cancelledAt: at, updatedAt: at };
				const changed = await this.adapter.updateMany(
					{ _id: request._id, tenantId: user.tenantId, status: { $in: statusesBefore("cancelled") } },
					updateWithEvent(updateWithEvent({ $set: set }, decidedEvent(request, "cancelled", user.id)), auditUpdate(ctx, "leaveRequest", request, set))
				);
				const current: RequestDoc = await this.adapter.findById(request._id);
				if (changed !== 1) {
					throw new ConflictError(`The leave request is ${current.status} and cannot be cancelled`, { field: "status", status: current.status });
				}
				this.publishEvents(current._id);
				// The days are back in their year, and in what it carried into the next.
				await this.exclusively(user.tenantId, request.employeeId, () =>
					this.carryOn(ctx, user.tenantId, request.employeeId, request.leaveTypeId, request.year)
				);
				return this.saved(ctx, "updated", requestJSON(current));
			}
		},

		/** The leave workflow's read of a request, before it decides who may decide. */
		getRequest: {
			visibility: "public",
			readOnly: true,
			params: { id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveRequestJSON> {
				return requestJSON(await findInTenant<RequestDoc>(this.adapter, requireUser(ctx).tenantId, ctx.params.id, "Leave request"));
			}
		},

		/**
		 * Stores an approval or rejection. The status guard is part of the write, so of two
		 * decisions racing for one request exactly one lands; the other is a 409. An approval also
		 * needs the days to lie within the employment as it stands now (422 outsideEmployment).
		 */
		decide: {
			visibility: "public",
			params: { id, decision: { type: "enum", values: ["approved", "rejected"] }, note: optionalProse(500) },
			async handler(this: LeaveThis, ctx: RosterContext<DecideParams>): Promise<LeaveRequestJSON> {
				const user = requireUser(ctx);
				const { id: requestId, decision, note = null } = ctx.params;
				const request = await findInTenant<RequestDoc>(this.adapter, user.tenantId, requestId, "Leave request");
				if (decision === "approved" && canTransition(request.status, decision)) {
					// Admission checked the employment of its day; a termination dated before the leave, or a hire date
					// moved past it, may have come since. The broken rule is the request's own, so the answer is
					// creation's (422 on the same field), not a 409 about the status. Rejecting stays open, and an
					// already decided request falls through to the status guard's 409.
					await this.checkEmployment(ctx, await this.checkEmployee(ctx, request.employeeId), request);
				}
				const at = now();
				const set = { status: decision, decidedBy: user.id, decidedAt: at, decisionNote: note, updatedAt: at };
				const changed = await this.adapter.updateMany(
					{ _id: requestId, tenantId: user.tenantId, status: { $in: statusesBefore(decision) } },
					updateWithEvent(updateWithEvent({ $set: set }, decidedEvent(request, decision, user.id)), auditUpdate(ctx, "leaveRequest", request, set))
				);
				const current: RequestDoc = await this.adapter.findById(requestId);
				if (changed !== 1) {
					throw new ConflictError(`The leave request is ${current.status}; only a requested one can be ${decision}`, {
						field: "status",
						status: current.status
					});
				}
				this.publishEvents(requestId);
				// A rejection gives the days back (an approval keeps them held, as the request did).
				if (decision === "rejected") {
					await this.exclusively(user.tenantId, request.employeeId, () =>
						this.carryOn(ctx, user.tenantId, request.employeeId, request.leaveTypeId, request.year)
					);
				}
				return this.saved(ctx, "updated", requestJSON(current));
			}
		}
	},

	methods: {
		/**
		 * Whose leave a new request is: the caller's own, or (staff only) any employee's. A
		 * terminated one too: their leave must then end by their last day (checkWithinEmployment).
		 */
		async requester(this: LeaveThis, ctx: RosterContext, employeeId: string | undefined): Promise<EmployeeSummary> {
			const user = requireUser(ctx);
			const wanted = employeeId ?? user.employeeId;
			if (!wanted) {
				throw new BusinessRuleError("employeeId", "Your account is linked to no employee: name the 'employeeId' the leave is for.", "required");
			}
			if (wanted !== user.employeeId && !isStaff(user)) throw new ForbiddenError("You may request leave only for yourself");
			return this.checkEmployee(ctx, wanted);
		},

		/**
		 * Leave lies within the employment as it stands or, for leave of the time before a rehire,
		 * within the employment it fell in; otherwise the current employment's 422 (outsideEmployment).
		 */
		async checkEmployment(this: LeaveThis, ctx: RosterContext, employee: EmployeeSummary, range: Pick<DateRange, "startDate" | "endDate">): Promise<void> {
			try {
				checkWithinEmployment(employee, range);
			} catch (err) {
				if (!(err instanceof BusinessRuleError)) throw err;
				const periods = await ctx.call<Employment[], { id: string }>(EmployeeActions.employmentPeriods, { id: employee.id });
				if (!withinSomeEmployment(periods, range)) throw err;
			}
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
				throw new ConflictError("The request overlaps another requested or approved leave of the employee", {
					field: "startDate",
					requestId: clash._id
				});
			}
			if (type.allowNegative) return;
			const [entitlement, held]: [EntitlementDoc | null, RequestDoc[]] = await Promise.all([
				this.store(ENTITLEMENTS).findOne({ tenantId, employeeId, leaveTypeId: type._id, year: doc.year }),
				this.adapter.find({ query: { tenantId, employeeId, leaveTypeId: type._id, year: doc.year, status: active, _id: { $ne: doc._id } } })
			]);
			const { remaining } = balanceOf(entitlement, held);
			if (!fits(remaining, doc.days, type.allowNegative)) {
				throw new BusinessRuleError(
					"leaveTypeId",
					`The request takes ${doc.days} day(s) of '${type.name}' but only ${remaining} remain for ${doc.year}.`,
					"insufficientBalance"
				);
			}
			await this.checkCarriedSpend(doc, type, remaining);
		}
	}
};
