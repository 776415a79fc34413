/**
 * What the reports service reads: one aggregation action per data service, each computed by
 * the service that owns the data (no collection is read from outside). All internal.
 */
export const ReportSources = {
	/** {} → HeadcountRow[]: employees per department and status in the caller's tenant. */
	headcount: "employees.headcount",
	/** { year } → LeaveTakenRow[]: approved leave days per type and month. */
	leaveTaken: "leave.takenByMonth",
	/** {} → RecruitingFunnel: openings by status and applications by stage. */
	funnel: "recruitment.funnel",
	/** { ids } → Department[] (names for the headcount rows). */
	departments: "org.findDepartments",
	/** { ids } → Location[] (names for the headcount by location). */
	locations: "org.findLocations",
	/** { asOf, employeeIds? } → HeadcountAsOfRow[]: employees employed on that date, per department and employment type. */
	headcountAsOf: "employees.headcountAsOf",
	/** { from, to, employeeIds? } → MovementRow[]: hires, terminations and headcount at each end of every month. */
	movements: "employees.movements",
	/** { year, employeeIds? } → LeaveUsageRow[]: days per employee, type and status, split by month. */
	leaveUsage: "leave.usageByMonth",
	/** { year, employeeIds? } → EntitlementRow[]: entitled and carried-over days per employee and type. */
	leaveEntitlements: "leave.entitlementTotals",
	/** { hiringManagerIds? } → OpeningFunnelRow[]: per opening, the applications that reached each stage and the time spent there. */
	openingFunnels: "recruitment.funnelByOpening",
	/** { ids } → EmployeeSummary[] (names and departments for per-person rows). */
	employeeSummaries: "employees.summaries"
} as const;

/**
 * How fast one caller (the reports service, on one node) may ask each source: a source reads
 * a whole tenant's rows. Reports are cached until an input changes, so a caller comes near this
 * only when many tenants' reports go stale at once; beyond it, a 429 to retry in a moment is
 * better than data nodes busy with aggregations while every other call waits behind them.
 */
export const REPORT_SOURCE_CALLER_LIMIT = { ratePerSecond: 20, burst: 40 };

/** The data services whose changes make a report stale. */
export const REPORT_INPUTS = ["employees", "leave", "recruitment", "org"] as const;

export interface HeadcountRow {
	departmentId: string | null;
	status: "active" | "terminated";
	count: number;
}

export interface LeaveTakenRow {
	leaveTypeId: string;
	leaveTypeName: string;
	/** 1 to 12. */
	month: number;
	days: number;
}

export interface RecruitingFunnel {
	openings: Record<"draft" | "open" | "closed", number>;
	applications: Record<string, number>;
}

/** Employees employed on a date, per department and employment type (a group of the spells). */
export interface HeadcountAsOfRow {
	departmentId: string | null;
	employmentType: string;
	count: number;
}

/** One month of a range: hires (rehires included) and terminations in it, and the headcount on its first and last day. */
export interface MovementRow {
	/** YYYY-MM */
	month: string;
	hires: number;
	terminations: number;
	headcountStart: number;
	headcountEnd: number;
}

/** Days of one employee's leave of one type and status in a year, per calendar month (January first). */
export interface LeaveUsageRow {
	employeeId: string;
	leaveTypeId: string;
	leaveTypeName: string;
	status: "approved" | "requested";
	months: number[];
}

export interface EntitlementRow {
	employeeId: string;
	leaveTypeId: string;
	leaveTypeName: string;
	days: number;
	carriedOver: number;
}

/** Stages of the pipeline an application may reach, in order. */
export const FUNNEL_STAGES = ["applied", "screening", "interview", "offer", "hired"] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

export interface OpeningFunnelRow {
	openingId: string;
	title: string;
	status: string;
	applications: number;
	/** Applications that ever reached each stage (once each, however often they came back to it). */
	reached: Record<FunnelStage, number>;
	/** Applications in each stage now, closed ones (rejected, withdrawn) included. */
	current: Record<string, number>;
	/** Milliseconds spent in each stage, summed over every completed visit of every application. */
	msInStage: Record<string, number>;
	/** Completed visits of each stage (the divisor of the average time in it). */
	visits: Record<string, number>;
	/** Applications hired, and the milliseconds from application to hire summed over them. */
	hired: number;
	msToHire: number;
}
