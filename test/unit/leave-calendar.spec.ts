import fc from "fast-check";
import { countWorkingDays, daysBetween, daysPerMonth, isHalfDayMultiple, isWeekend, requestDays } from "../../lib/leave/calendar";

// 2025-01-06 is a Monday.
const NONE = new Set<string>();
const whole = (startDate: string, endDate: string) => ({ startDate, endDate, halfDayStart: false, halfDayEnd: false });

function fieldOf(fn: () => unknown): string | undefined {
	try {
		fn();
	} catch (err) {
		return (err as { code: number; data: Array<{ field: string }> }).code === 422 ? (err as { data: Array<{ field: string }> }).data[0].field : "not a 422";
	}
	return undefined;
}

describe("leave calendar", () => {
	it("knows weekends", () => {
		expect(isWeekend("2025-01-04")).toBe(true);
		expect(isWeekend("2025-01-05")).toBe(true);
		expect(isWeekend("2025-01-06")).toBe(false);
		expect(isWeekend("2025-01-10")).toBe(false);
	});

	it("lists the days of a range, both ends included, across month and leap-day boundaries", () => {
		expect(daysBetween("2024-02-28", "2024-03-01")).toEqual(["2024-02-28", "2024-02-29", "2024-03-01"]);
		expect(daysBetween("2025-01-06", "2025-01-06")).toEqual(["2025-01-06"]);
		expect(daysBetween("2025-01-07", "2025-01-06")).toEqual([]);
	});

	it("counts Monday to Friday only", () => {
		expect(countWorkingDays("2025-01-06", "2025-01-10", NONE)).toBe(5);
		expect(countWorkingDays("2025-01-06", "2025-01-12", NONE)).toBe(5);
		expect(countWorkingDays("2025-01-03", "2025-01-06", NONE)).toBe(2);
		expect(countWorkingDays("2025-01-04", "2025-01-05", NONE)).toBe(0);
	});

	it("leaves the tenant's holidays out", () => {
		expect(countWorkingDays("2025-01-06", "2025-01-10", new Set(["2025-01-08"]))).toBe(4);
		// A holiday on a weekend takes nothing more.
		expect(countWorkingDays("2025-01-06", "2025-01-12", new Set(["2025-01-11"]))).toBe(5);
	});

	it("takes half a day off for each half-day flag", () => {
		expect(requestDays(whole("2025-01-06", "2025-01-10"), NONE)).toBe(5);
		expect(requestDays({ ...whole("2025-01-06", "2025-01-10"), halfDayStart: true }, NONE)).toBe(4.5);
		expect(requestDays({ ...whole("2025-01-06", "2025-01-10"), halfDayEnd: true }, NONE)).toBe(4.5);
		expect(requestDays({ ...whole("2025-01-06", "2025-01-10"), halfDayStart: true, halfDayEnd: true }, NONE)).toBe(4);
		expect(requestDays({ ...whole("2025-01-06", "2025-01-06"), halfDayStart: true }, NONE)).toBe(0.5);
		expect(requestDays({ ...whole("2025-01-06", "2025-01-06"), halfDayEnd: true }, NONE)).toBe(0.5);
	});

	it("refuses an end before the start, naming endDate", () => {
		expect(fieldOf(() => requestDays(whole("2025-01-10", "2025-01-06"), NONE))).toBe("endDate");
	});

	it("refuses a range across two years, naming endDate", () => {
		expect(fieldOf(() => requestDays(whole("2025-12-29", "2026-01-02"), NONE))).toBe("endDate");
	});

	it("refuses a range with no working day, naming startDate", () => {
		expect(fieldOf(() => requestDays(whole("2025-01-04", "2025-01-05"), NONE))).toBe("startDate");
		expect(fieldOf(() => requestDays(whole("2025-01-08", "2025-01-08"), new Set(["2025-01-08"])))).toBe("startDate");
	});

	it("refuses a one-day request that is half a day twice, naming halfDayEnd", () => {
		expect(fieldOf(() => requestDays({ ...whole("2025-01-06", "2025-01-06"), halfDayStart: true, halfDayEnd: true }, NONE))).toBe("halfDayEnd");
	});

	it("refuses half of a day that is not worked", () => {
		expect(fieldOf(() => requestDays({ ...whole("2025-01-04", "2025-01-07"), halfDayStart: true }, NONE))).toBe("halfDayStart");
		expect(fieldOf(() => requestDays({ ...whole("2025-01-06", "2025-01-08"), halfDayEnd: true }, new Set(["2025-01-08"])))).toBe("halfDayEnd");
	});

	it("accepts whole and half numbers of days only", () => {
		expect([0, 0.5, 1, 12.5, 30].every(isHalfDayMultiple)).toBe(true);
		expect([0.25, 1.1, Number.NaN, Number.POSITIVE_INFINITY].some(isHalfDayMultiple)).toBe(false);
	});

	it("splits the days by month, half days where they fall", () => {
		// Thursday 2025-01-30 afternoon to Tuesday 2025-02-04 morning: 1.5 in January, 1.5 in February.
		const months = daysPerMonth({ startDate: "2025-01-30", endDate: "2025-02-04", halfDayStart: true, halfDayEnd: true }, NONE);
		expect(months[0]).toBe(1.5);
		expect(months[1]).toBe(1.5);
		expect(months.slice(2).every(m => m === 0)).toBe(true);
	});

	describe("properties", () => {
		const day = fc.integer({ min: 0, max: 364 }).map(n => new Date(Date.UTC(2025, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
		const range = fc.tuple(day, day).map(([a, b]): [string, string] => (a <= b ? [a, b] : [b, a]));

		it("counts a range as the sum of its two halves", () => {
			fc.assert(
				fc.property(range, fc.array(day, { maxLength: 20 }), ([start, end], holidays) => {
					const all = daysBetween(start, end);
					const cut = Math.floor(all.length / 2);
					const set = new Set(holidays);
					const whole = countWorkingDays(start, end, set);
					const split = cut === 0 ? whole : countWorkingDays(start, all[cut - 1], set) + countWorkingDays(all[cut], end, set);
					expect(split).toBe(whole);
					expect(whole).toBeLessThanOrEqual(all.length);
				})
			);
		});

		it("splits by month into parts that add up to the request's days", () => {
			fc.assert(
				fc.property(range, fc.boolean(), fc.boolean(), fc.array(day, { maxLength: 20 }), ([startDate, endDate], halfDayStart, halfDayEnd, list) => {
					const holidays = new Set(list);
					const request = { startDate, endDate, halfDayStart, halfDayEnd };
					let days: number;
					try {
						days = requestDays(request, holidays);
					} catch {
						return; // not a valid request: nothing to split
					}
					expect(daysPerMonth(request, holidays).reduce((a, b) => a + b, 0)).toBe(days);
				})
			);
		});

		it("never counts more than five days in any seven", () => {
			fc.assert(
				fc.property(fc.integer({ min: 0, max: 358 }), n => {
					const start = new Date(Date.UTC(2025, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
					const end = new Date(Date.UTC(2025, 0, 1) + (n + 6) * 86_400_000).toISOString().slice(0, 10);
					expect(countWorkingDays(start, end, NONE)).toBe(5);
				})
			);
		});
	});
});
