/**
 * The reports service's inputs about employment over time: headcount on any date and the
 * movements (hires, terminations) of every month of a range, counted by the database from the
 * employment spells (lib/employees/spells.ts), never by loading the tenant here.
 */
import type { ServiceSchema } from "moleculer";
import { activeOn, monthBounds, monthsBetween } from "../../../lib/employees/spells";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { type HeadcountAsOfRow, type MovementRow, REPORT_SOURCE_CALLER_LIMIT } from "../../../lib/names/reports";
import { date, id } from "../../../lib/params";
import type { DbService } from "../../../mixins/db.mixin";

export const SPELLS = "employment_spells";

interface AsOfParams { asOf: string; employeeIds?: string[] }
interface MovementParams { from: string; to: string; employeeIds?: string[] }

const month = { type: "string", pattern: /^\d{4}-(0[1-9]|1[0-2])$/ } as const;
/** A team's ids: the caller's scope when it is not the whole tenant (the reports service computes it). */
const employeeIds = { type: "array", items: id, optional: true } as const;

/** The tenant, narrowed to the given employees when there are some. */
function scope(tenantId: string, ids: string[] | undefined): Record<string, unknown> {
	return ids ? { tenantId, employeeId: { $in: ids } } : { tenantId };
}

export const HeadcountPart: Partial<ServiceSchema> = {
	actions: {
		headcountAsOf: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: { asOf: date, employeeIds },
			async handler(this: DbService, ctx: RosterContext<AsOfParams>): Promise<HeadcountAsOfRow[]> {
				const query = { ...scope(requireUser(ctx).tenantId, ctx.params.employeeIds), ...activeOn(ctx.params.asOf) };
				const groups = await this.store(SPELLS).countBy(query, ["departmentId", "employmentType"]);
				return groups.map(g => ({ departmentId: g.departmentId as string | null, employmentType: g.employmentType as string, count: g.count }));
			}
		},

		movements: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: { from: month, to: month, employeeIds },
			async handler(this: DbService, ctx: RosterContext<MovementParams>): Promise<MovementRow[]> {
				const { from, to } = ctx.params;
				const base = scope(requireUser(ctx).tenantId, ctx.params.employeeIds);
				const spells = this.store(SPELLS);
				const months = monthsBetween(from, to);
				const inRange = { $gte: from, $lte: to };
				// Two groupings and two counts per month, each in the database: the range is bounded by the caller (36 months).
				const [hires, terminations, ends] = await Promise.all([
					spells.countBy({ ...base, startMonth: inRange }, ["startMonth"]),
					spells.countBy({ ...base, endMonth: inRange }, ["endMonth"]),
					Promise.all(months.map(async m => {
						const { first, last } = monthBounds(m);
						const [start, end] = await Promise.all([spells.count({ query: { ...base, ...activeOn(first) } }), spells.count({ query: { ...base, ...activeOn(last) } })]);
						return { start, end };
					}))
				]);
				const hiresIn = new Map(hires.map(g => [g.startMonth as string, g.count]));
				const terminationsIn = new Map(terminations.map(g => [g.endMonth as string, g.count]));
				return months.map((m, i) => ({
					month: m, hires: hiresIn.get(m) ?? 0, terminations: terminationsIn.get(m) ?? 0, headcountStart: ends[i].start, headcountEnd: ends[i].end
				}));
			}
		}
	}
};
