/**
 * The HR reports, shaped from what the data services counted (lib/names/reports.ts). Plain
 * functions of their inputs: the definitions live here and in docs/operations.md ("Reports").
 */
import { personName } from "../display-names";
import type { EmployeeSummary } from "../names/employees";
import type { Department, Location } from "../names/org";
import { type EntitlementRow, FUNNEL_STAGES, type HeadcountAsOfRow, type LeaveUsageRow, type MovementRow, type OpeningFunnelRow } from "../names/reports";

/** Whose figures a report holds: the whole company (staff), or a manager's team at any depth, the manager included. */
export type ReportScope = "company" | "team";

export const HEADCOUNT_GROUPS = ["department", "location", "employmentType"] as const;
export type HeadcountGroupBy = (typeof HEADCOUNT_GROUPS)[number];
export const LEAVE_GROUPS = ["type", "department", "person"] as const;
export type LeaveGroupBy = (typeof LEAVE_GROUPS)[number];

const DAY_MS = 24 * 3600 * 1000;
const round = (value: number, places = 4): number => Math.round(value * 10 ** places) / 10 ** places;
const byName = (a: { name: string | null }, b: { name: string | null }) => (a.name ?? "\uffff").localeCompare(b.name ?? "\uffff");

// ---- Headcount on a date ------------------------------------------------------------------

export interface HeadcountGroup {
	key: string | null;
	name: string | null;
	count: number;
}
export interface HeadcountAsOfReport {
	asOf: string;
	groupBy: HeadcountGroupBy;
	scope: ReportScope;
	groups: HeadcountGroup[];
	total: number;
}

/**
 * Employees employed on `asOf`, grouped. A department's location is where its people are; no
 * department (or a department without a location) is the group with a null key.
 */
export function headcountAsOfReport(
	asOf: string,
	groupBy: HeadcountGroupBy,
	scope: ReportScope,
	rows: HeadcountAsOfRow[],
	departments: Department[],
	locations: Location[]
): HeadcountAsOfReport {
	const department = new Map(departments.map(d => [d.id, d]));
	const locationName = new Map(locations.map(l => [l.id, l.name]));
	const groups = new Map<string | null, HeadcountGroup>();
	for (const row of rows) {
		let key: string | null;
		let name: string | null;
		if (groupBy === "department") {
			key = row.departmentId;
			name = key ? (department.get(key)?.name ?? null) : null;
		} else if (groupBy === "location") {
			key = row.departmentId ? (department.get(row.departmentId)?.locationId ?? null) : null;
			name = key ? (locationName.get(key) ?? null) : null;
		} else {
			key = row.employmentType;
			name = row.employmentType;
		}
		const group = groups.get(key) ?? { key, name, count: 0 };
		group.count += row.count;
		groups.set(key, group);
	}
	const list = [...groups.values()].sort(byName);
	return { asOf, groupBy, scope, groups: list, total: list.reduce((sum, g) => sum + g.count, 0) };
}

// ---- Hires, terminations, turnover -----------------------------------------------------------

export interface TurnoverMonth extends MovementRow {
	averageHeadcount: number;
	turnover: number;
}
export interface TurnoverReport {
	from: string;
	to: string;
	scope: ReportScope;
	months: TurnoverMonth[];
	totals: { hires: number; terminations: number; averageHeadcount: number; turnover: number };
}

/**
 * Turnover of a month = its terminations / its average headcount, the average of the headcount
 * on its first and its last day (0 when nobody was employed). Over the range: all terminations
 * / the mean of the months' average headcounts. Rehires count as hires.
 */
export function turnoverReport(from: string, to: string, scope: ReportScope, rows: MovementRow[]): TurnoverReport {
	const months = rows.map(row => {
		const averageHeadcount = (row.headcountStart + row.headcountEnd) / 2;
		return { ...row, averageHeadcount, turnover: averageHeadcount > 0 ? round(row.terminations / averageHeadcount) : 0 };
	});
	const hires = months.reduce((sum, m) => sum + m.hires, 0);
	const terminations = months.reduce((sum, m) => sum + m.terminations, 0);
	const averageHeadcount = months.length ? round(months.reduce((sum, m) => sum + m.averageHeadcount, 0) / months.length) : 0;
	return {
		from,
		to,
		scope,
		months,
		totals: { hires, terminations, averageHeadcount, turnover: averageHeadcount > 0 ? round(terminations / averageHeadcount) : 0 }
	};
}

// ---- Leave -------------------------------------------------------------------------------------

export interface LeaveGroup {
	key: string | null;
	name: string | null;
	/** Approved days per month, January first, and in all. */
	taken: number[];
	takenTotal: number;
	/** Requested days awaiting a decision, per month and in all. */
	booked: number[];
	bookedTotal: number;
	entitled: number;
	carriedOver: number;
	/** entitled + carriedOver − taken − booked, as a balance counts it. */
	remaining: number;
}
export interface LeaveUsageReport {
	year: number;
	groupBy: LeaveGroupBy;
	scope: ReportScope;
	groups: LeaveGroup[];
}

export function leaveUsageReport(
	year: number,
	groupBy: LeaveGroupBy,
	scope: ReportScope,
	usage: LeaveUsageRow[],
	entitlements: EntitlementRow[],
	employees: EmployeeSummary[],
	departments: Department[]
): LeaveUsageReport {
	const employee = new Map(employees.map(e => [e.id, e]));
	const departmentName = new Map(departments.map(d => [d.id, d.name]));
	const groups = new Map<string | null, LeaveGroup>();
	const groupOf = (employeeId: string, leaveTypeId: string, leaveTypeName: string): LeaveGroup => {
		let key: string | null;
		let name: string | null;
		if (groupBy === "type") {
			key = leaveTypeId;
			name = leaveTypeName;
		} else if (groupBy === "person") {
			key = employeeId;
			const person = employee.get(employeeId);
			name = person ? personName(person) : null;
		} else {
			key = employee.get(employeeId)?.departmentId ?? null;
			name = key ? (departmentName.get(key) ?? null) : null;
		}
		let group = groups.get(key);
		if (!group) {
			group = {
				key,
				name,
				taken: Array(12).fill(0),
				takenTotal: 0,
				booked: Array(12).fill(0),
				bookedTotal: 0,
				entitled: 0,
				carriedOver: 0,
				remaining: 0
			};
			groups.set(key, group);
		}
		return group;
	};
	for (const row of usage) {
		const group = groupOf(row.employeeId, row.leaveTypeId, row.leaveTypeName);
		const months = row.status === "approved" ? group.taken : group.booked;
		row.months.forEach((days, i) => (months[i] += days));
	}
	for (const row of entitlements) {
		const group = groupOf(row.employeeId, row.leaveTypeId, row.leaveTypeName);
		group.entitled += row.days;
		group.carriedOver += row.carriedOver;
	}
	const list = [...groups.values()].map(group => {
		const takenTotal = group.taken.reduce((a, b) => a + b, 0);
		const bookedTotal = group.booked.reduce((a, b) => a + b, 0);
		return { ...group, takenTotal, bookedTotal, remaining: group.entitled + group.carriedOver - takenTotal - bookedTotal };
	});
	return { year, groupBy, scope, groups: list.sort(byName) };
}

// ---- Recruiting funnel per opening ---------------------------------------------------------

export interface FunnelStageFigures {
	stage: string;
	/** Applications that ever reached the stage. */
	reached: number;
	/** Applications in the stage now. */
	current: number;
	/** reached(next stage) / reached(this stage); null for "hired" and for a stage nobody reached. */
	conversionToNext: number | null;
	/** Mean length of a completed stay in the stage, in days; null when no stay is over. */
	averageDaysInStage: number | null;
}
export interface OpeningFunnel {
	openingId: string;
	title: string;
	status: string;
	applications: number;
	stages: FunnelStageFigures[];
	closed: { rejected: number; withdrawn: number };
	hired: number;
	/** Mean days from application to hire over the hired applications; null when none. */
	averageDaysToHire: number | null;
}
export interface FunnelReport {
	scope: ReportScope;
	openings: OpeningFunnel[];
}

export function funnelReport(scope: ReportScope, rows: OpeningFunnelRow[]): FunnelReport {
	const openings = rows.map(row => ({
		openingId: row.openingId,
		title: row.title,
		status: row.status,
		applications: row.applications,
		stages: FUNNEL_STAGES.map((stage, i) => {
			const next = FUNNEL_STAGES[i + 1];
			const reached = row.reached[stage];
			const visits = row.visits[stage] ?? 0;
			return {
				stage,
				reached,
				current: row.current[stage] ?? 0,
				conversionToNext: next && reached > 0 ? round(row.reached[next] / reached) : null,
				averageDaysInStage: visits > 0 ? round((row.msInStage[stage] ?? 0) / visits / DAY_MS) : null
			};
		}),
		closed: { rejected: row.current.rejected ?? 0, withdrawn: row.current.withdrawn ?? 0 },
		hired: row.hired,
		averageDaysToHire: row.hired > 0 ? round(row.msToHire / row.hired / DAY_MS) : null
	}));
	return { scope, openings };
}
