/**
 * When two leave requests of one employee collide. A half day at the start of a request is
 * its first day's afternoon; a half day at the end is its last day's morning (a one-day
 * request picks its half the same way). So "Monday to Wednesday morning" and "Wednesday
 * afternoon to Friday" share Wednesday without overlapping.
 */
import { type DateRange, daysBetween } from "./calendar";

interface Halves {
	morning: boolean;
	afternoon: boolean;
}

function halvesOn(range: DateRange, day: string): Halves {
	if (day < range.startDate || day > range.endDate) return { morning: false, afternoon: false };
	return {
		morning: !(day === range.startDate && range.halfDayStart),
		afternoon: !(day === range.endDate && range.halfDayEnd)
	};
}

export function overlaps(a: DateRange, b: DateRange): boolean {
	const from = a.startDate > b.startDate ? a.startDate : b.startDate;
	const to = a.endDate < b.endDate ? a.endDate : b.endDate;
	return daysBetween(from, to).some(day => {
		const x = halvesOn(a, day);
		const y = halvesOn(b, day);
		return (x.morning && y.morning) || (x.afternoon && y.afternoon);
	});
}
