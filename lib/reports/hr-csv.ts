/** The HR reports as CSV: one line per group (per opening and stage for the funnel), the figures of the JSON. */
import { type Cell, toCsv } from "./csv";
import type { FunnelReport, HeadcountAsOfReport, LeaveUsageReport, TurnoverReport } from "./hr";

const MONTHS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"];

export function headcountCsv(report: HeadcountAsOfReport): string {
	return toCsv(
		["asOf", report.groupBy, "name", "count"],
		report.groups.map(g => [report.asOf, g.key, g.name, g.count])
	);
}

export function turnoverCsv(report: TurnoverReport): string {
	return toCsv(
		["month", "hires", "terminations", "headcountStart", "headcountEnd", "averageHeadcount", "turnover"],
		report.months.map(m => [m.month, m.hires, m.terminations, m.headcountStart, m.headcountEnd, m.averageHeadcount, m.turnover])
	);
}

export function leaveCsv(report: LeaveUsageReport): string {
	const header = [
		report.groupBy,
		"name",
		...MONTHS.map(m => `taken-${report.year}-${m}`),
		"takenTotal",
		...MONTHS.map(m => `booked-${report.year}-${m}`),
		"bookedTotal",
		"entitled",
		"carriedOver",
		"remaining"
	];
	return toCsv(
		header,
		report.groups.map((g): Cell[] => [g.key, g.name, ...g.taken, g.takenTotal, ...g.booked, g.bookedTotal, g.entitled, g.carriedOver, g.remaining])
	);
}

export function funnelCsv(report: FunnelReport): string {
	const rows: Cell[][] = [];
	for (const o of report.openings) {
		for (const s of o.stages) {
			rows.push([
				o.openingId,
				o.title,
				o.status,
				o.applications,
				s.stage,
				s.reached,
				s.current,
				s.conversionToNext,
				s.averageDaysInStage,
				o.hired,
				o.averageDaysToHire
			]);
		}
	}
	return toCsv(
		["openingId", "title", "status", "applications", "stage", "reached", "current", "conversionToNext", "averageDaysInStage", "hired", "averageDaysToHire"],
		rows
	);
}
