/**
 * Working days of a leave request: Monday to Friday, minus the tenant's holidays, minus half a
 * day for each half-day flag. Dates are "YYYY-MM-DD" strings read as UTC calendar days, so the
 * count is the same whatever the server's time zone.
 */
import { BusinessRuleError, UnprocessableError } from "../errors";

export interface DateRange {
	startDate: string;
	endDate: string;
	/** The first day is taken as half a day. */
	halfDayStart: boolean;
	/** The last day is taken as half a day. */
	halfDayEnd: boolean;
}

const DAY_MS = 86_400_000;

const toTime = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const toDate = (time: number): string => new Date(time).toISOString().slice(0, 10);

export const yearOf = (date: string): number => Number(date.slice(0, 4));

/**
 * The years leave lives in: every query by year (requests, balances, entitlements, holidays, the
 * leave reports) takes these and no others, so leave outside them could be stored but never found.
 */
export const LEAVE_YEARS = { min: 2000, max: 2100 } as const;

/** A date of leave must fall in a year the API can ask about (a 422 naming the field, as a ?year= beyond it is). */
export function checkLeaveYear(date: string, field: string): void {
	const y = yearOf(date);
	if (y < LEAVE_YEARS.min || y > LEAVE_YEARS.max) {
		throw new UnprocessableError(
			field,
			`The '${field}' field must be in a year from ${LEAVE_YEARS.min} to ${LEAVE_YEARS.max}.`,
			y < LEAVE_YEARS.min ? "dateMin" : "dateMax"
		);
	}
}

export function isWeekend(date: string): boolean {
	const weekday = new Date(toTime(date)).getUTCDay();
	return weekday === 0 || weekday === 6;
}

export function isWorkingDay(date: string, holidays: ReadonlySet<string>): boolean {
	return !isWeekend(date) && !holidays.has(date);
}

/** Every calendar day from start to end, both included; empty when end is before start. */
export function daysBetween(startDate: string, endDate: string): string[] {
	const days: string[] = [];
	for (let t = toTime(startDate), end = toTime(endDate); t <= end; t += DAY_MS) days.push(toDate(t));
	return days;
}

export function countWorkingDays(startDate: string, endDate: string, holidays: ReadonlySet<string>): number {
	return daysBetween(startDate, endDate).filter(day => isWorkingDay(day, holidays)).length;
}

/**
 * The shape of a range, before any holiday is known: end not before start, and within one
 * calendar year (balances are per year, so a request across New Year is two requests).
 */
export function checkRange(range: Pick<DateRange, "startDate" | "endDate">): void {
	if (range.endDate < range.startDate) {
		throw new BusinessRuleError("endDate", "The 'endDate' field must not be before the 'startDate'.", "dateOrder");
	}
	if (yearOf(range.endDate) !== yearOf(range.startDate)) {
		throw new BusinessRuleError("endDate", "The 'endDate' field must be in the same year as the 'startDate'; request each year separately.", "yearSpan");
	}
}

/**
 * The days a request takes from the balance. A half day must fall on a working day (half of a
 * day off is meaningless, so it is refused rather than silently ignored), a one-day request
 * cannot be half a day twice, and a range with no working day at all is no request.
 */
export function requestDays(range: DateRange, holidays: ReadonlySet<string>): number {
	checkRange(range);
	const { startDate, endDate, halfDayStart, halfDayEnd } = range;
	if (startDate === endDate && halfDayStart && halfDayEnd) {
		throw new BusinessRuleError("halfDayEnd", "A one-day request is either a half day or a whole day: set only 'halfDayStart'.", "halfDay");
	}
	if (halfDayStart && !isWorkingDay(startDate, holidays)) {
		throw new BusinessRuleError("halfDayStart", "The 'halfDayStart' field asks for half of a day that is not a working day.", "halfDay");
	}
	if (halfDayEnd && !isWorkingDay(endDate, holidays)) {
		throw new BusinessRuleError("halfDayEnd", "The 'halfDayEnd' field asks for half of a day that is not a working day.", "halfDay");
	}
	const working = countWorkingDays(startDate, endDate, holidays);
	if (working === 0) {
		throw new BusinessRuleError("startDate", "The range from 'startDate' to 'endDate' has no working day.", "noWorkingDays");
	}
	return working - (halfDayStart ? 0.5 : 0) - (halfDayEnd ? 0.5 : 0);
}

/** Leave is counted in whole and half days. */
export function isHalfDayMultiple(value: number): boolean {
	return Number.isFinite(value) && Number.isInteger(value * 2);
}

export function checkHalfDays(value: number | undefined, field: string): void {
	if (value !== undefined && !isHalfDayMultiple(value)) {
		throw new UnprocessableError(field, `The '${field}' field must be a whole or half number of days.`, "halfDays");
	}
}

/**
 * The same days split by calendar month (index 0 is January), for reports of leave taken per
 * month. Kept with the request when it is made, so the split always adds up to its `days`.
 */
export function daysPerMonth(range: DateRange, holidays: ReadonlySet<string>): number[] {
	const months: number[] = Array(12).fill(0);
	for (const day of daysBetween(range.startDate, range.endDate)) {
		if (!isWorkingDay(day, holidays)) continue;
		let taken = 1;
		if (day === range.startDate && range.halfDayStart) taken -= 0.5;
		if (day === range.endDate && range.halfDayEnd) taken -= 0.5;
		months[Number(day.slice(5, 7)) - 1] += taken;
	}
	return months;
}
