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
	departments: "org.findDepartments"
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
