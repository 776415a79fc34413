/**
 * Reports for HR: headcount, leave taken, the recruiting funnel. Each is built from the
 * aggregations the owning data services compute, and cached until any input changes
 * (mixins/derived-cache.mixin.ts): a report never shows stale data after a change returns.
 *
 * Except when its inputs cannot be read at all: then a report answers the last value computed
 * for the same tenant and parameters, marked stale (reports.parts/last-report.ts).
 */
import type { ServiceSchema } from "moleculer";
import { ActionTimeouts } from "../../lib/action-timeouts";
import { LEAVE_YEARS } from "../../lib/leave/calendar";
import { type RosterContext, requireUser } from "../../lib/meta";
import type { Department } from "../../lib/names/org";
import { type HeadcountRow, type LeaveTakenRow, REPORT_INPUTS, type RecruitingFunnel, ReportSources } from "../../lib/names/reports";
import { optionalInt } from "../../lib/params";
import { STAFF_ROLES } from "../../lib/roles";
import { type DerivedCacheMethods, DerivedCacheMixin } from "../../mixins/derived-cache.mixin";
import { HrReportsPart } from "./reports.parts/hr";
import { inputOptions, lastReport } from "./reports.parts/last-report";
import { json } from "../../lib/openapi/responses";
import * as Reports from "../../lib/openapi/contexts/reports";

// ---- Types -------------------------------------------------------------------------------

interface LeaveReportParams {
	year?: number;
}

export interface HeadcountReport {
	departments: Array<{ departmentId: string | null; departmentName: string | null; active: number; terminated: number; total: number }>;
	totals: { active: number; terminated: number; total: number };
}

export interface LeaveReport {
	year: number;
	types: Array<{ leaveTypeId: string; leaveTypeName: string; months: number[]; total: number }>;
}

export interface RecruitingReport {
	openings: RecruitingFunnel["openings"];
	/** Applications that reached each stage of the pipeline, in pipeline order. */
	funnel: Array<{ stage: string; count: number }>;
}

type ReportsThis = DerivedCacheMethods;

// ---- Helpers -----------------------------------------------------------------------------

/**
 * One attempt at a report (middlewares/read-retry.middleware.ts): a report waits on up to two
 * data reads in turn, and each may lose one attempt (READ_ATTEMPT_TIMEOUT) to a node that died
 * or froze before the next node answers; the default attempt timeout would give up on it first.
 */
const REPORT_ATTEMPT_TIMEOUT_MS = 4000;

/** The last value stays this long after it was computed: a day-old headcount, marked, beats none. */
const KEEP_LAST_SECONDS = 24 * 3600;

const PIPELINE = ["applied", "screening", "interview", "offer", "hired"] as const;
const CLOSED = ["rejected", "withdrawn"] as const;

function headcountReport(rows: HeadcountRow[], departments: Department[]): HeadcountReport {
	const names = new Map(departments.map(d => [d.id, d.name]));
	const byDepartment = new Map<string | null, HeadcountReport["departments"][number]>();
	for (const row of rows) {
		const entry = byDepartment.get(row.departmentId) ?? {
			departmentId: row.departmentId,
			departmentName: row.departmentId ? (names.get(row.departmentId) ?? null) : null,
			active: 0,
			terminated: 0,
			total: 0
		};
		entry[row.status] += row.count;
		entry.total += row.count;
		byDepartment.set(row.departmentId, entry);
	}
	const list = [...byDepartment.values()].sort((a, b) => (a.departmentName ?? "").localeCompare(b.departmentName ?? ""));
	const totals = list.reduce((t, d) => ({ active: t.active + d.active, terminated: t.terminated + d.terminated, total: t.total + d.total }), {
		active: 0,
		terminated: 0,
		total: 0
	});
	return { departments: list, totals };
}

function leaveReport(year: number, rows: LeaveTakenRow[]): LeaveReport {
	const byType = new Map<string, LeaveReport["types"][number]>();
	for (const row of rows) {
		const entry = byType.get(row.leaveTypeId) ?? { leaveTypeId: row.leaveTypeId, leaveTypeName: row.leaveTypeName, months: Array(12).fill(0), total: 0 };
		entry.months[row.month - 1] += row.days;
		entry.total += row.days;
		byType.set(row.leaveTypeId, entry);
	}
	return { year, types: [...byType.values()].sort((a, b) => a.leaveTypeName.localeCompare(b.leaveTypeName)) };
}

/**
 * An application at "interview" has passed "applied" and "screening" too, so each stage counts
 * every application that reached it. Rejected and withdrawn ones count for no later stage
 * (where they left the pipeline is not kept); they are reported by their own names.
 */
function recruitingReport(funnel: RecruitingFunnel): RecruitingReport {
	const reached = PIPELINE.map((stage, i) => ({
		stage,
		count: PIPELINE.slice(i).reduce((sum, later) => sum + (funnel.applications[later] ?? 0), 0)
	}));
	const closed = CLOSED.map(stage => ({ stage, count: funnel.applications[stage] ?? 0 }));
	reached[0].count += closed.reduce((sum, c) => sum + c.count, 0);
	return { openings: funnel.openings, funnel: [...reached, ...closed] };
}

const leaveParams = (ctx: RosterContext<LeaveReportParams>) => ({ year: ctx.params.year ?? new Date().getUTCFullYear() });

// ---- Service -----------------------------------------------------------------------------

const ReportsService: ServiceSchema = {
	name: "reports",

	mixins: [DerivedCacheMixin(REPORT_INPUTS, 300, KEEP_LAST_SECONDS), HrReportsPart],

	settings: {
		rest: "/reports"
	},

	actions: {
		headcount: {
			rest: "GET /headcount",
			openapi: { responses: { 200: json(Reports.Headcount) } },
			timeout: ActionTimeouts.report,
			attemptTimeout: REPORT_ATTEMPT_TIMEOUT_MS,
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true },
			fallback: lastReport<HeadcountReport>("headcount", () => ({})),
			async handler(this: ReportsThis, ctx: RosterContext): Promise<HeadcountReport> {
				const { tenantId } = requireUser(ctx);
				return this.cachedDerived(tenantId, "headcount", {}, async () => {
					const rows = await ctx.call<HeadcountRow[], object>(ReportSources.headcount, {}, inputOptions(ctx));
					const ids = [...new Set(rows.map(r => r.departmentId).filter((id): id is string => !!id))];
					const departments = await ctx.call<Department[], { ids: string[] }>(ReportSources.departments, { ids }, inputOptions(ctx));
					return headcountReport(rows, departments);
				});
			}
		},

		leave: {
			rest: "GET /leave",
			openapi: { responses: { 200: json(Reports.Leave) } },
			timeout: ActionTimeouts.report,
			attemptTimeout: REPORT_ATTEMPT_TIMEOUT_MS,
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, year: optionalInt(LEAVE_YEARS.min, LEAVE_YEARS.max) },
			fallback: lastReport<LeaveReport>("leave", ctx => leaveParams(ctx as RosterContext<LeaveReportParams>)),
			async handler(this: ReportsThis, ctx: RosterContext<LeaveReportParams>): Promise<LeaveReport> {
				const { tenantId } = requireUser(ctx);
				const { year } = leaveParams(ctx);
				return this.cachedDerived(tenantId, "leave", { year }, async () =>
					leaveReport(year, await ctx.call<LeaveTakenRow[], { year: number }>(ReportSources.leaveTaken, { year }, inputOptions(ctx)))
				);
			}
		},

		recruiting: {
			rest: "GET /recruiting",
			openapi: { responses: { 200: json(Reports.Recruiting) } },
			timeout: ActionTimeouts.report,
			attemptTimeout: REPORT_ATTEMPT_TIMEOUT_MS,
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true },
			fallback: lastReport<RecruitingReport>("recruiting", () => ({})),
			async handler(this: ReportsThis, ctx: RosterContext): Promise<RecruitingReport> {
				const { tenantId } = requireUser(ctx);
				return this.cachedDerived(tenantId, "recruiting", {}, async () =>
					recruitingReport(await ctx.call<RecruitingFunnel, object>(ReportSources.funnel, {}, inputOptions(ctx)))
				);
			}
		}
	}
};

export default ReportsService;
