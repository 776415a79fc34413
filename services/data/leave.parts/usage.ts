/**
 * The reports service's inputs about leave: days per employee, type and status split by month,
 * and the year's entitlements, each summed by the database (Store.sumBy), never by loading the
 * tenant's requests here. A request holds its days per calendar month (`monthDays`), so leave
 * that spans a month boundary counts in each month for the days that fall in it.
 */
import type { ServiceSchema } from "moleculer";
import type { TypeDoc } from "../../../lib/leave/model";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { type EntitlementRow, type LeaveUsageRow, REPORT_SOURCE_CALLER_LIMIT } from "../../../lib/names/reports";
import { id } from "../../../lib/params";
import { ENTITLEMENTS, type LeaveThis, TYPES, year } from "./shared";

interface UsageParams {
	year: number;
	employeeIds?: string[];
}

const employeeIds = { type: "array", items: id, optional: true } as const;
const MONTH_FIELDS = Array.from({ length: 12 }, (_, i) => `monthDays.${i}`);

function scope(tenantId: string, params: UsageParams): Record<string, unknown> {
	return params.employeeIds ? { tenantId, year: params.year, employeeId: { $in: params.employeeIds } } : { tenantId, year: params.year };
}

export const UsagePart: Partial<ServiceSchema> = {
	actions: {
		/** Approved (taken) and requested (booked, awaiting a decision) days; rejected and cancelled ones hold none. */
		usageByMonth: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: { year, employeeIds },
			async handler(this: LeaveThis, ctx: RosterContext<UsageParams>): Promise<LeaveUsageRow[]> {
				const { tenantId } = requireUser(ctx);
				const [types, groups] = await Promise.all([
					this.store(TYPES).find({ query: { tenantId } }) as Promise<TypeDoc[]>,
					this.adapter.sumBy(
						{ ...scope(tenantId, ctx.params), status: { $in: ["approved", "requested"] } },
						["employeeId", "leaveTypeId", "status"],
						MONTH_FIELDS
					)
				]);
				const names = new Map(types.map(t => [t._id, t.name]));
				return groups.map(g => ({
					employeeId: g.employeeId as string,
					leaveTypeId: g.leaveTypeId as string,
					leaveTypeName: names.get(g.leaveTypeId as string) ?? "",
					status: g.status as LeaveUsageRow["status"],
					months: MONTH_FIELDS.map(field => g.sums[field])
				}));
			}
		},

		entitlementTotals: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: { year, employeeIds },
			async handler(this: LeaveThis, ctx: RosterContext<UsageParams>): Promise<EntitlementRow[]> {
				const { tenantId } = requireUser(ctx);
				const [types, groups] = await Promise.all([
					this.store(TYPES).find({ query: { tenantId } }) as Promise<TypeDoc[]>,
					this.store(ENTITLEMENTS).sumBy(scope(tenantId, ctx.params), ["employeeId", "leaveTypeId"], ["days", "carriedOver"])
				]);
				const names = new Map(types.map(t => [t._id, t.name]));
				return groups.map(g => ({
					employeeId: g.employeeId as string,
					leaveTypeId: g.leaveTypeId as string,
					leaveTypeName: names.get(g.leaveTypeId as string) ?? "",
					days: g.sums.days,
					carriedOver: g.sums.carriedOver
				}));
			}
		}
	}
};
