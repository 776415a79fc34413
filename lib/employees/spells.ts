/**
 * Employment spells: one record per stint of employment (hire or rehire to termination). The
 * employee record holds only the current stint (a rehire overwrites hireDate and clears the
 * termination), so headcount as of a past date, and hires and terminations per month, are
 * counted from the spells, by the database.
 *
 * A spell is active on a date from its start through its end inclusive: the termination date is
 * the last day employed (a rehire must come after it, so two spells never overlap).
 *
 * A transfer to another department, dated within the stint, splits its spell there: the part
 * before ends the day before (`transferOut`), the part after starts on the date (`transferIn`),
 * so headcount on a past date counts people in the department they were in then. Hires count
 * only spells that start a stint, terminations only spells that end one.
 */
import type { EmployeeDoc, EmploymentType } from "./model";

export interface SpellDoc {
	_id: string;
	tenantId: string;
	employeeId: string;
	/** YYYY-MM-DD: the hire or rehire date. */
	start: string;
	/** YYYY-MM-DD: the last day employed, null while employed. */
	end: string | null;
	/** YYYY-MM of start and end, so hires and terminations per month are plain groups. */
	startMonth: string;
	endMonth: string | null;
	/** Where the employee was over the spell's dates (a correction through an update rewrites the open spell). */
	departmentId: string | null;
	employmentType: EmploymentType;
	/** The spell the employee record describes now; earlier ones are closed history. */
	current: boolean;
	/** Started by a transfer, not by a hire: not counted as a hire. */
	transferIn?: boolean;
	/** Ended by a transfer, not by a termination: not counted as one. */
	transferOut?: boolean;
}

/** The fields of the current spell, as the employee record says them now. */
export function spellFields(employee: EmployeeDoc): Omit<SpellDoc, "_id" | "tenantId" | "employeeId" | "current"> {
	return {
		start: employee.hireDate,
		end: employee.terminationDate,
		startMonth: employee.hireDate.slice(0, 7),
		endMonth: employee.terminationDate ? employee.terminationDate.slice(0, 7) : null,
		departmentId: employee.departmentId,
		employmentType: employee.employmentType
	};
}

/**
 * An employee's spells, in order of start, grouped by employment: each hire or rehire begins one,
 * a transfer (transferIn) continues it.
 */
export function stintsOf(spells: readonly SpellDoc[]): SpellDoc[][] {
	const stints: SpellDoc[][] = [];
	for (const spell of spells) {
		if (!spell.transferIn || stints.length === 0) stints.push([spell]);
		else stints[stints.length - 1].push(spell);
	}
	return stints;
}

/** One id per stint: the same hire written twice (a retry, a resumed saga) lands on one spell. */
export const spellId = (employee: EmployeeDoc): string => `${employee._id}:${employee.hireDate}`;

/** The spell a hire or rehire opens, as the employee record says it now. */
export function stintSpell(employee: EmployeeDoc): SpellDoc {
	return { _id: spellId(employee), tenantId: employee.tenantId, employeeId: employee._id, ...spellFields(employee), current: true };
}

/** Where the employee is now, as a spell holds it. */
export function placementOf(employee: EmployeeDoc): Pick<SpellDoc, "departmentId" | "employmentType"> {
	return { departmentId: employee.departmentId, employmentType: employee.employmentType };
}

/** The day before `date` (YYYY-MM-DD). */
export function dayBefore(date: string): string {
	const day = new Date(`${date}T00:00:00Z`);
	day.setUTCDate(day.getUTCDate() - 1);
	return day.toISOString().slice(0, 10);
}

/**
 * How a transfer on `effectiveDate` splits the open spell `current`: the part it closes, and the
 * spell it opens (its id names the date, so the same transfer recorded twice opens one). None
 * when the department stays, or when the date is not after the open spell's start: a transfer
 * backdated to it, or before it, corrects that spell instead.
 */
export function transferSplit(employee: EmployeeDoc, current: SpellDoc, effectiveDate: string): { close: Partial<SpellDoc>; open: SpellDoc } | null {
	if (current.departmentId === employee.departmentId || effectiveDate <= current.start) return null;
	const end = dayBefore(effectiveDate);
	return {
		close: { end, endMonth: end.slice(0, 7), transferOut: true, current: false },
		open: {
			_id: `${spellId(employee)}:${effectiveDate}`,
			tenantId: employee.tenantId,
			employeeId: employee._id,
			start: effectiveDate,
			startMonth: effectiveDate.slice(0, 7),
			end: employee.terminationDate,
			endMonth: employee.terminationDate ? employee.terminationDate.slice(0, 7) : null,
			...placementOf(employee),
			current: true,
			transferIn: true
		}
	};
}

/** The query of spells active on `asOf`. */
export function activeOn(asOf: string): object {
	return { start: { $lte: asOf }, $or: [{ end: null }, { end: { $gte: asOf } }] };
}

/** YYYY-MM → its first and last day. */
export function monthBounds(month: string): { first: string; last: string } {
	const [y, m] = month.split("-").map(Number);
	const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
	return { first: `${month}-01`, last: `${month}-${String(last).padStart(2, "0")}` };
}

/** The month `index` months after January of year 0, as YYYY-MM. */
export function monthAt(index: number): string {
	return `${String(Math.floor(index / 12)).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** How many months YYYY-MM comes after January of year 0: monthAt's inverse. */
export const monthIndex = (month: string): number => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;

/**
 * Every month from `from` to `to`, both YYYY-MM and in order. Counted, not compared as text:
 * after 9999-12 comes 10000-01, which sorts before it, and a loop on the text never ended.
 */
export function monthsBetween(from: string, to: string): string[] {
	const months: string[] = [];
	for (let i = monthIndex(from); i <= monthIndex(to); i++) months.push(monthAt(i));
	return months;
}
