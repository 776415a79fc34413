/** What the reports answer (as JSON; the HR reports also as CSV with format=csv). */
import { STAGES } from "../../names/recruitment";
import { arrayOf, closed, day, enumeration, int, nullableStr, num, str, timestamp } from "../schemas";

const nullableNum = { type: ["number", "null"] };
const scope = enumeration(["company", "team"]);
/** A report its inputs could not be read for: the last one computed, marked (with a Warning header). */
const stale = { stale: { const: true }, computedAt: timestamp };
const STALE = ["stale", "computedAt"];

const counts = { active: int, terminated: int, total: int };

export const Headcount = closed(
	{ departments: arrayOf(closed({ departmentId: nullableStr, departmentName: nullableStr, ...counts })), totals: closed(counts), ...stale },
	STALE
);

export const Leave = closed({ year: int, types: arrayOf(closed({ leaveTypeId: str, leaveTypeName: str, months: arrayOf(num), total: num })), ...stale }, STALE);

export const Recruiting = closed(
	{
		openings: closed({ draft: int, open: int, closed: int }),
		funnel: arrayOf(closed({ stage: enumeration(STAGES), count: int })),
		...stale
	},
	STALE
);

export const HeadcountAsOf = closed(
	{
		asOf: day,
		groupBy: enumeration(["department", "location", "employmentType"]),
		scope,
		groups: arrayOf(closed({ key: nullableStr, name: nullableStr, count: int })),
		total: int,
		...stale
	},
	STALE
);

const movement = { month: { type: "string", pattern: "^\\d{4}-\\d{2}$" }, hires: int, terminations: int, headcountStart: int, headcountEnd: int };

export const Turnover = closed(
	{
		from: str,
		to: str,
		scope,
		months: arrayOf(closed({ ...movement, averageHeadcount: num, turnover: num })),
		totals: closed({ hires: int, terminations: int, averageHeadcount: num, turnover: num }),
		...stale
	},
	STALE
);

export const LeaveUsage = closed(
	{
		year: int,
		groupBy: enumeration(["type", "department", "person"]),
		scope,
		groups: arrayOf(
			closed({
				key: nullableStr,
				name: nullableStr,
				taken: arrayOf(num),
				takenTotal: num,
				booked: arrayOf(num),
				bookedTotal: num,
				entitled: num,
				carriedOver: num,
				remaining: num
			})
		),
		...stale
	},
	STALE
);

export const Funnel = closed(
	{
		scope,
		openings: arrayOf(
			closed({
				openingId: str,
				title: str,
				status: str,
				applications: int,
				stages: arrayOf(closed({ stage: str, reached: int, current: int, conversionToNext: nullableNum, averageDaysInStage: nullableNum })),
				closed: closed({ rejected: int, withdrawn: int }),
				hired: int,
				averageDaysToHire: nullableNum
			})
		),
		...stale
	},
	STALE
);
