/**
 * The reports HR teams ask for: headcount on any date, hires, terminations and turnover per
 * month, leave taken and booked with balances, and the recruiting funnel per opening. Each is
 * JSON, or a CSV download with `format=csv`; each holds what the caller may see: staff the whole
 * company, a manager with an active employment their team at any depth (themself included),
 * anyone else a 403. Figures come from the data services' aggregations (ReportSources) and are
 * cached until an input changes (DerivedCacheMixin), as the other reports are.
 */
import type { ServiceSchema } from "moleculer";
import { checkDate } from "../../../lib/entity";
import { ForbiddenError, UnprocessableError } from "../../../lib/errors";
import { ActionTimeouts } from "../../../lib/action-timeouts";
import { type RosterContext, hasRole, isStaff, requireUser } from "../../../lib/meta";
import { EmployeeActions, type EmployeeSummary } from "../../../lib/names/employees";
import type { Department, Location } from "../../../lib/names/org";
import {
	type EntitlementRow, type HeadcountAsOfRow, type LeaveUsageRow, type MovementRow, type OpeningFunnelRow, ReportSources
} from "../../../lib/names/reports";
import { sendCsv } from "../../../lib/reports/csv";
import {
	type FunnelReport, HEADCOUNT_GROUPS, type HeadcountAsOfReport, type HeadcountGroupBy, LEAVE_GROUPS, type LeaveGroupBy,
	type LeaveUsageReport, type ReportScope, type TurnoverReport, funnelReport, headcountAsOfReport, leaveUsageReport, turnoverReport
} from "../../../lib/reports/hr";
import { funnelCsv, headcountCsv, leaveCsv, turnoverCsv } from "../../../lib/reports/hr-csv";
import { date, enumOf, optionalInt } from "../../../lib/params";
import { STAFF_ROLES } from "../../../lib/roles";
import type { DerivedCacheMethods } from "../../../mixins/derived-cache.mixin";
import { jsonOrCsv } from "../../../lib/openapi/responses";
import * as Reports from "../../../lib/openapi/contexts/reports";

// ---- Types -------------------------------------------------------------------------------

type Format = "json" | "csv";
interface HeadcountAsOfParams { asOf?: string; groupBy?: HeadcountGroupBy; format?: Format }
interface TurnoverParams { from?: string; to?: string; format?: Format }
interface LeaveUsageParams { year?: number; groupBy?: LeaveGroupBy; format?: Format }
interface FunnelParams { format?: Format }

/** Whose figures: the company, or the team of the manager asking (their id is part of every cache key). */
interface Audience { scope: ReportScope; key: string; employeeIds?: string[] }

interface HrReportMethods {
	audience(ctx: RosterContext): Promise<Audience>;
}

type HrThis = DerivedCacheMethods & HrReportMethods;

// ---- Helpers -----------------------------------------------------------------------------

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const month = { type: "string", pattern: MONTH, optional: true, messages: { stringPattern: "The '{field}' field must be a month as YYYY-MM." } } as const;
const format = { ...enumOf(["json", "csv"] as const), optional: true } as const;
/** A range longer than this is refused: each month costs the database two counts. */
const MAX_MONTHS = 36;
/** What the look-ups by ids (org, employees) take at most at once. */
const IDS_PER_CALL = 1000;

const REPORT_ROLES = [...STAFF_ROLES, "manager" as const];
const reportAction = { timeout: ActionTimeouts.report, attemptTimeout: 4000, auth: { roles: REPORT_ROLES } };

const today = () => new Date().toISOString().slice(0, 10);
const thisMonth = () => today().slice(0, 7);
const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
function monthsBefore(m: string, count: number): string {
	const i = monthIndex(m) - count;
	return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
}
/** A look-up by ids, IDS_PER_CALL at a time (the callees bound their lists). */
async function inChunks<T>(ids: string[], lookup: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
	const chunks: string[][] = [];
	for (let i = 0; i < ids.length; i += IDS_PER_CALL) chunks.push(ids.slice(i, i + IDS_PER_CALL));
	return (await Promise.all(chunks.map(lookup))).flat();
}

const departmentsOf = (ctx: RosterContext, ids: string[]) =>
	inChunks(ids, chunk => ctx.call<Department[], { ids: string[] }>(ReportSources.departments, { ids: chunk }));
const locationsOf = (ctx: RosterContext, ids: string[]) =>
	inChunks(ids, chunk => ctx.call<Location[], { ids: string[] }>(ReportSources.locations, { ids: chunk }));
const employeesOf = (ctx: RosterContext, ids: string[]) =>
	inChunks(ids, chunk => ctx.call<EmployeeSummary[], { ids: string[] }>(ReportSources.employeeSummaries, { ids: chunk }));

const unique = (values: Array<string | null | undefined>) => [...new Set(values.filter((v): v is string => !!v))];

// ---- Part --------------------------------------------------------------------------------

export const HrReportsPart: Partial<ServiceSchema> = {
	actions: {
		/** Employees employed on `asOf` (default today), by department, location or employment type. */
		headcountAsOf: {
			...reportAction,
			rest: "GET /headcount-as-of",
			openapi: { responses: { 200: jsonOrCsv(Reports.HeadcountAsOf) } },
			params: { $$strict: true, asOf: { ...date, optional: true }, groupBy: { ...enumOf(HEADCOUNT_GROUPS), optional: true }, format },
			async handler(this: HrThis, ctx: RosterContext<HeadcountAsOfParams>): Promise<HeadcountAsOfReport | string> {
				const { tenantId } = requireUser(ctx);
				const { asOf = today(), groupBy = "department" } = ctx.params;
				checkDate(asOf, "asOf");
				const audience = await this.audience(ctx);
				const report = await this.cachedDerived(tenantId, "headcountAsOf", { asOf, groupBy, audience: audience.key }, async () => {
					const rows = await ctx.call<HeadcountAsOfRow[], object>(ReportSources.headcountAsOf, { asOf, employeeIds: audience.employeeIds });
					const departments = await departmentsOf(ctx, unique(rows.map(r => r.departmentId)));
					const locations = groupBy === "location" ? await locationsOf(ctx, unique(departments.map(d => d.locationId))) : [];
					return headcountAsOfReport(asOf, groupBy, audience.scope, rows, departments, locations);
				});
				return ctx.params.format === "csv" ? sendCsv(ctx, `headcount-${asOf}.csv`, headcountCsv(report)) : report;
			}
		},

		/** Hires, terminations, average headcount and turnover per month from `from` to `to` (YYYY-MM; default the last 12 months). */
		turnover: {
			...reportAction,
			rest: "GET /turnover",
			openapi: { responses: { 200: jsonOrCsv(Reports.Turnover) } },
			params: { $$strict: true, from: month, to: month, format },
			async handler(this: HrThis, ctx: RosterContext<TurnoverParams>): Promise<TurnoverReport | string> {
				const { tenantId } = requireUser(ctx);
				const to = ctx.params.to ?? thisMonth();
				const from = ctx.params.from ?? monthsBefore(to, 11);
				if (from > to) throw new UnprocessableError("from", "The 'from' field must not be after the 'to' field.", "dateOrder");
				if (monthIndex(to) - monthIndex(from) >= MAX_MONTHS) {
					throw new UnprocessableError("from", `A range covers at most ${MAX_MONTHS} months.`, "rangeTooLong");
				}
				const audience = await this.audience(ctx);
				const report = await this.cachedDerived(tenantId, "turnover", { from, to, audience: audience.key }, async () =>
					turnoverReport(from, to, audience.scope, await ctx.call<MovementRow[], object>(ReportSources.movements, { from, to, employeeIds: audience.employeeIds }))
				);
				return ctx.params.format === "csv" ? sendCsv(ctx, `turnover-${from}-${to}.csv`, turnoverCsv(report)) : report;
			}
		},

		/** Leave taken (approved) and booked (awaiting a decision) per month, with balances, by type, department or person. */
		leaveUsage: {
			...reportAction,
			rest: "GET /leave-usage",
			openapi: { responses: { 200: jsonOrCsv(Reports.LeaveUsage) } },
			params: { $$strict: true, year: optionalInt(2000, 2100), groupBy: { ...enumOf(LEAVE_GROUPS), optional: true }, format },
			async handler(this: HrThis, ctx: RosterContext<LeaveUsageParams>): Promise<LeaveUsageReport | string> {
				const { tenantId } = requireUser(ctx);
				const { year = new Date().getUTCFullYear(), groupBy = "type" } = ctx.params;
				const audience = await this.audience(ctx);
				const report = await this.cachedDerived(tenantId, "leaveUsage", { year, groupBy, audience: audience.key }, async () => {
					const input = { year, employeeIds: audience.employeeIds };
					const [usage, entitlements] = await Promise.all([
						ctx.call<LeaveUsageRow[], object>(ReportSources.leaveUsage, input),
						ctx.call<EntitlementRow[], object>(ReportSources.leaveEntitlements, input)
					]);
					const needsPeople = groupBy !== "type";
					const ids = needsPeople ? unique([...usage, ...entitlements].map(r => r.employeeId)) : [];
					const employees = await employeesOf(ctx, ids);
					const departments = groupBy === "department" ? await departmentsOf(ctx, unique(employees.map(e => e.departmentId))) : [];
					return leaveUsageReport(year, groupBy, audience.scope, usage, entitlements, employees, departments);
				});
				return ctx.params.format === "csv" ? sendCsv(ctx, `leave-${year}-by-${groupBy}.csv`, leaveCsv(report)) : report;
			}
		},

		/** Per opening: applications per stage, conversion, time in stage and time to hire. A manager sees the openings they or their team hire for. */
		funnel: {
			...reportAction,
			rest: "GET /funnel",
			openapi: { responses: { 200: jsonOrCsv(Reports.Funnel) } },
			params: { $$strict: true, format },
			async handler(this: HrThis, ctx: RosterContext<FunnelParams>): Promise<FunnelReport | string> {
				const { tenantId } = requireUser(ctx);
				const audience = await this.audience(ctx);
				const report = await this.cachedDerived(tenantId, "funnel", { audience: audience.key }, async () =>
					funnelReport(audience.scope, await ctx.call<OpeningFunnelRow[], object>(ReportSources.openingFunnels, { hiringManagerIds: audience.employeeIds }))
				);
				return ctx.params.format === "csv" ? sendCsv(ctx, "funnel.csv", funnelCsv(report)) : report;
			}
		}
	},

	methods: {
		/**
		 * Staff: the company. A manager whose own employment is active: their team at any depth,
		 * themself included (as the directory shows it). Anyone else, a terminated manager
		 * included, may read no report.
		 */
		async audience(ctx: RosterContext): Promise<Audience> {
			const user = requireUser(ctx);
			if (isStaff(user)) return { scope: "company", key: "company" };
			const manager = hasRole(user, "manager") ? await ctx.call<string | null>(EmployeeActions.activeManager) : null;
			if (!manager) throw new ForbiddenError("Reports are for staff, and for managers about their own team");
			const reports = await ctx.call<string[], { id: string; depth: "all" }>(EmployeeActions.reportIds, { id: manager, depth: "all" });
			return { scope: "team", key: `team:${manager}`, employeeIds: [manager, ...reports] };
		},

	}
};
