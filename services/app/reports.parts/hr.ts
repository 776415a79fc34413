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
import { BusinessRuleError, ForbiddenError } from "../../../lib/errors";
import { ActionTimeouts } from "../../../lib/action-timeouts";
import { LEAVE_YEARS } from "../../../lib/leave/calendar";
import { type RosterContext, hasRole, isStaff, requireUser } from "../../../lib/meta";
import { EmployeeActions, type EmployeeSummary } from "../../../lib/names/employees";
import type { Department, Location } from "../../../lib/names/org";
import {
	type EntitlementRow,
	type HeadcountAsOfRow,
	type LeaveUsageRow,
	type MovementRow,
	type OpeningFunnelRow,
	ReportSources
} from "../../../lib/names/reports";
import { sendCsv } from "../../../lib/reports/csv";
import {
	type FunnelReport,
	HEADCOUNT_GROUPS,
	type HeadcountAsOfReport,
	type HeadcountGroupBy,
	LEAVE_GROUPS,
	type LeaveGroupBy,
	type LeaveUsageReport,
	type ReportScope,
	type TurnoverReport,
	funnelReport,
	headcountAsOfReport,
	leaveUsageReport,
	turnoverReport
} from "../../../lib/reports/hr";
import { funnelCsv, headcountCsv, leaveCsv, turnoverCsv } from "../../../lib/reports/hr-csv";
import { date, enumOf, optionalInt } from "../../../lib/params";
import { monthAt, monthIndex } from "../../../lib/employees/spells";
import { STAFF_ROLES } from "../../../lib/roles";
import type { DerivedCacheMethods } from "../../../mixins/derived-cache.mixin";
import { type StaleReport, audienceKeyOf, inputOptions, lastReport } from "./last-report";
import { jsonOrCsv } from "../../../lib/openapi/responses";
import * as Reports from "../../../lib/openapi/contexts/reports";

// ---- Types -------------------------------------------------------------------------------

type Format = "json" | "csv";
interface HeadcountAsOfParams {
	asOf?: string;
	groupBy?: HeadcountGroupBy;
	format?: Format;
}
interface TurnoverParams {
	from?: string;
	to?: string;
	format?: Format;
}
interface LeaveUsageParams {
	year?: number;
	groupBy?: LeaveGroupBy;
	format?: Format;
}
interface FunnelParams {
	format?: Format;
}

/** Whose figures: the company, or the team of the manager asking (their id is part of every cache key). */
interface Audience {
	scope: ReportScope;
	key: string;
	employeeIds?: string[];
}

interface HrReportMethods {
	audience(ctx: RosterContext): Promise<Audience>;
}

type HrThis = DerivedCacheMethods & HrReportMethods;

// ---- Helpers -----------------------------------------------------------------------------

/** A month of the years employment records are about: 1900-01 to 2100-12. */
const MONTH = /^(19\d\d|20\d\d|2100)-(0[1-9]|1[0-2])$/;
const month = {
	type: "string",
	pattern: MONTH.source,
	optional: true,
	messages: { stringPattern: "The '{field}' field must be a month as YYYY-MM, from 1900-01 to 2100-12." }
} as const;
const format = { ...enumOf(["json", "csv"] as const), optional: true } as const;
/** A range longer than this is refused: each month costs the database two counts. */
const MAX_MONTHS = 36;
/** What the look-ups by ids (org, employees) take at most at once. */
const IDS_PER_CALL = 1000;

const REPORT_ROLES = [...STAFF_ROLES, "manager" as const];
const reportAction = { timeout: ActionTimeouts.report, attemptTimeout: 4000, auth: { roles: REPORT_ROLES } };

const today = () => new Date().toISOString().slice(0, 10);
const thisMonth = () => today().slice(0, 7);
const monthsBefore = (m: string, count: number): string => monthAt(monthIndex(m) - count);
const maxMonth = (a: string, b: string): string => (monthIndex(a) >= monthIndex(b) ? a : b);
const FIRST_MONTH = "1900-01";
/** A look-up by ids, IDS_PER_CALL at a time (the callees bound their lists). */
async function inChunks<T>(ids: string[], lookup: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
	const chunks: string[][] = [];
	for (let i = 0; i < ids.length; i += IDS_PER_CALL) chunks.push(ids.slice(i, i + IDS_PER_CALL));
	return (await Promise.all(chunks.map(lookup))).flat();
}

const departmentsOf = (ctx: RosterContext, ids: string[]) =>
	inChunks(ids, chunk => ctx.call<Department[], { ids: string[] }>(ReportSources.departments, { ids: chunk }, inputOptions(ctx)));
const locationsOf = (ctx: RosterContext, ids: string[]) =>
	inChunks(ids, chunk => ctx.call<Location[], { ids: string[] }>(ReportSources.locations, { ids: chunk }, inputOptions(ctx)));
const employeesOf = (ctx: RosterContext, ids: string[]) =>
	inChunks(ids, chunk => ctx.call<EmployeeSummary[], { ids: string[] }>(ReportSources.employeeSummaries, { ids: chunk }, inputOptions(ctx)));

/** Each report's parameters with their defaults: its handler and its fallback name the same cached value by them. */
const headcountParams = (ctx: RosterContext<HeadcountAsOfParams>) => ({ asOf: ctx.params.asOf ?? today(), groupBy: ctx.params.groupBy ?? "department" });
function turnoverParams(ctx: RosterContext<TurnoverParams>) {
	const to = ctx.params.to ?? thisMonth();
	// The default year back stops at the first month a range may start in.
	return { from: ctx.params.from ?? maxMonth(monthsBefore(to, 11), FIRST_MONTH), to };
}
const leaveUsageParams = (ctx: RosterContext<LeaveUsageParams>) => ({
	year: ctx.params.year ?? new Date().getUTCFullYear(),
	groupBy: ctx.params.groupBy ?? "type"
});

/**
 * An HR report's fallback (./last-report.ts): the last value computed for the caller's audience,
 * as JSON or as the CSV download asked for. `params` are the report's, as the handler keys it.
 */
function lastHrReport<T extends object, P extends { format?: Format }>(
	name: string,
	params: (ctx: RosterContext<P>) => object,
	csv: (ctx: RosterContext<P>, report: StaleReport<T>) => string
) {
	return lastReport<T>(
		name,
		ctx => {
			const audience = audienceKeyOf(ctx.meta.user);
			return audience ? { ...params(ctx as RosterContext<P>), audience } : null;
		},
		(ctx, report) => ((ctx as RosterContext<P>).params.format === "csv" ? csv(ctx as RosterContext<P>, report) : report)
	);
}

const unique = (values: Array<string | null | undefined>) => [...new Set(values.filter((v): v is string => !!v))];

/** Each report as a CSV download, named after what it covers. */
const headcountAsOfCsv = (ctx: RosterContext, report: HeadcountAsOfReport) => sendCsv(ctx, `headcount-${report.asOf}.csv`, headcountCsv(report));
const turnoverCsvOf = (ctx: RosterContext, report: TurnoverReport) => sendCsv(ctx, `turnover-${report.from}-${report.to}.csv`, turnoverCsv(report));
const leaveUsageCsv = (ctx: RosterContext, report: LeaveUsageReport) => sendCsv(ctx, `leave-${report.year}-by-${report.groupBy}.csv`, leaveCsv(report));
const funnelCsvOf = (ctx: RosterContext, report: FunnelReport) => sendCsv(ctx, "funnel.csv", funnelCsv(report));

// ---- Part --------------------------------------------------------------------------------

export const HrReportsPart: Partial<ServiceSchema> = {
	actions: {
		/** Employees employed on `asOf` (default today), by department, location or employment type. */
		headcountAsOf: {
			...reportAction,
			rest: "GET /headcount-as-of",
			openapi: { responses: { 200: jsonOrCsv(Reports.HeadcountAsOf) } },
			params: { $$strict: true, asOf: { ...date, optional: true }, groupBy: { ...enumOf(HEADCOUNT_GROUPS), optional: true }, format },
			fallback: lastHrReport<HeadcountAsOfReport, HeadcountAsOfParams>("headcountAsOf", headcountParams, headcountAsOfCsv),
			async handler(this: HrThis, ctx: RosterContext<HeadcountAsOfParams>): Promise<HeadcountAsOfReport | string> {
				const { tenantId } = requireUser(ctx);
				const params = headcountParams(ctx);
				const { asOf, groupBy } = params;
				checkDate(asOf, "asOf");
				const audience = await this.audience(ctx);
				const report = await this.cachedDerived(tenantId, "headcountAsOf", { ...params, audience: audience.key }, async () => {
					const rows = await ctx.call<HeadcountAsOfRow[], object>(
						ReportSources.headcountAsOf,
						{ asOf, employeeIds: audience.employeeIds },
						inputOptions(ctx)
					);
					const departments = await departmentsOf(ctx, unique(rows.map(r => r.departmentId)));
					const locations = groupBy === "location" ? await locationsOf(ctx, unique(departments.map(d => d.locationId))) : [];
					return headcountAsOfReport(asOf, groupBy, audience.scope, rows, departments, locations);
				});
				return ctx.params.format === "csv" ? headcountAsOfCsv(ctx, report) : report;
			}
		},

		/** Hires, terminations, average headcount and turnover per month from `from` to `to` (YYYY-MM; default the last 12 months). */
		turnover: {
			...reportAction,
			rest: "GET /turnover",
			openapi: { responses: { 200: jsonOrCsv(Reports.Turnover) } },
			params: { $$strict: true, from: month, to: month, format },
			fallback: lastHrReport<TurnoverReport, TurnoverParams>("turnover", turnoverParams, turnoverCsvOf),
			async handler(this: HrThis, ctx: RosterContext<TurnoverParams>): Promise<TurnoverReport | string> {
				const { tenantId } = requireUser(ctx);
				const { from, to } = turnoverParams(ctx);
				if (from > to) throw new BusinessRuleError("from", "The 'from' field must not be after the 'to' field.", "dateOrder");
				if (monthIndex(to) - monthIndex(from) >= MAX_MONTHS) {
					throw new BusinessRuleError("from", `A range covers at most ${MAX_MONTHS} months.`, "rangeTooLong");
				}
				const audience = await this.audience(ctx);
				const report = await this.cachedDerived(tenantId, "turnover", { from, to, audience: audience.key }, async () =>
					turnoverReport(
						from,
						to,
						audience.scope,
						await ctx.call<MovementRow[], object>(ReportSources.movements, { from, to, employeeIds: audience.employeeIds }, inputOptions(ctx))
					)
				);
				return ctx.params.format === "csv" ? turnoverCsvOf(ctx, report) : report;
			}
		},

		/** Leave taken (approved) and booked (awaiting a decision) per month, with balances, by type, department or person. */
		leaveUsage: {
			...reportAction,
			rest: "GET /leave-usage",
			openapi: { responses: { 200: jsonOrCsv(Reports.LeaveUsage) } },
			params: { $$strict: true, year: optionalInt(LEAVE_YEARS.min, LEAVE_YEARS.max), groupBy: { ...enumOf(LEAVE_GROUPS), optional: true }, format },
			fallback: lastHrReport<LeaveUsageReport, LeaveUsageParams>("leaveUsage", leaveUsageParams, leaveUsageCsv),
			async handler(this: HrThis, ctx: RosterContext<LeaveUsageParams>): Promise<LeaveUsageReport | string> {
				const { tenantId } = requireUser(ctx);
				const params = leaveUsageParams(ctx);
				const { year, groupBy } = params;
				const audience = await this.audience(ctx);
				const report = await this.cachedDerived(tenantId, "leaveUsage", { ...params, audience: audience.key }, async () => {
					const input = { year, employeeIds: audience.employeeIds };
					const [usage, entitlements] = await Promise.all([
						ctx.call<LeaveUsageRow[], object>(ReportSources.leaveUsage, input, inputOptions(ctx)),
						ctx.call<EntitlementRow[], object>(ReportSources.leaveEntitlements, input, inputOptions(ctx))
					]);
					const needsPeople = groupBy !== "type";
					const ids = needsPeople ? unique([...usage, ...entitlements].map(r => r.employeeId)) : [];
					const employees = await employeesOf(ctx, ids);
					const departments = groupBy === "department" ? await departmentsOf(ctx, unique(employees.map(e => e.departmentId))) : [];
					return leaveUsageReport(year, groupBy, audience.scope, usage, entitlements, employees, departments);
				});
				return ctx.params.format === "csv" ? leaveUsageCsv(ctx, report) : report;
			}
		},

		/** Per opening: applications per stage, conversion, time in stage and time to hire. A manager sees the openings they or their team hire for. */
		funnel: {
			...reportAction,
			rest: "GET /funnel",
			openapi: { responses: { 200: jsonOrCsv(Reports.Funnel) } },
			params: { $$strict: true, format },
			fallback: lastHrReport<FunnelReport, FunnelParams>("funnel", () => ({}), funnelCsvOf),
			async handler(this: HrThis, ctx: RosterContext<FunnelParams>): Promise<FunnelReport | string> {
				const { tenantId } = requireUser(ctx);
				const audience = await this.audience(ctx);
				const report = await this.cachedDerived(tenantId, "funnel", { audience: audience.key }, async () =>
					funnelReport(
						audience.scope,
						await ctx.call<OpeningFunnelRow[], object>(ReportSources.openingFunnels, { hiringManagerIds: audience.employeeIds }, inputOptions(ctx))
					)
				);
				return ctx.params.format === "csv" ? funnelCsvOf(ctx, report) : report;
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
		}
	}
};
