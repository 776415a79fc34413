/** Balances: what an employee has left, and the reports' approved days per month; computed, never stored. */
import type { ServiceSchema } from "moleculer";
import { BusinessRuleError, NotFoundError } from "../../../lib/errors";
import { type Allowance, balanceOf } from "../../../lib/leave/balance";
import type { EntitlementDoc, LeaveBalances, RequestDoc, TypeDoc } from "../../../lib/leave/model";
import { ACTIVE_STATUSES } from "../../../lib/leave/status";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { EmployeeActions, type EmployeeSummary } from "../../../lib/names/employees";
import { type LeaveTakenRow, REPORT_SOURCE_CALLER_LIMIT } from "../../../lib/names/reports";
import { optionalId } from "../../../lib/params";
import { ENTITLEMENTS, type LeaveThis, TYPES, optionalYear, year } from "./shared";
import { json } from "../../../lib/openapi/responses";
import * as Leave from "../../../lib/openapi/contexts/leave";

interface BalanceParams {
	employeeId?: string;
	year?: number;
}
interface YearParams {
	year: number;
}

export const BalancesPart: Partial<ServiceSchema> = {
	actions: {
		/** Per leave type of the tenant; a type without an entitlement that year starts from zero. */
		balances: {
			rest: "GET /leave-balances",
			openapi: { responses: { 200: json(Leave.Balances) } },
			auth: {},
			params: { $$strict: true, employeeId: optionalId, year: optionalYear },
			async handler(this: LeaveThis, ctx: RosterContext<BalanceParams>): Promise<LeaveBalances> {
				const user = requireUser(ctx);
				const { tenantId } = user;
				const employeeId = ctx.params.employeeId ?? user.employeeId;
				if (!employeeId) throw new BusinessRuleError("employeeId", "Your account is linked to no employee: name the 'employeeId'.", "required");
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
					const balance = balanceOf(
						allowance,
						held.filter(r => r.leaveTypeId === type._id)
					);
					return { leaveTypeId: type._id, name: type.name, ...balance };
				});
				return { employeeId, year: y, balances };
			}
		},

		/** The reports' source: approved days of the tenant's year, per leave type and month. */
		takenByMonth: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
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
						const row = totals.get(key) ?? {
							leaveTypeId: request.leaveTypeId,
							leaveTypeName: names.get(request.leaveTypeId) ?? "",
							month: index + 1,
							days: 0
						};
						row.days += taken;
						totals.set(key, row);
					});
				}
				return [...totals.values()];
			}
		}
	}
};
