import { overlaps } from "../../lib/leave/overlap";

const req = (startDate: string, endDate: string, halfDayStart = false, halfDayEnd = false) => ({ startDate, endDate, halfDayStart, halfDayEnd });

describe("leave overlap", () => {
	it("finds shared days, either way round", () => {
		expect(overlaps(req("2025-01-06", "2025-01-08"), req("2025-01-08", "2025-01-10"))).toBe(true);
		expect(overlaps(req("2025-01-08", "2025-01-10"), req("2025-01-06", "2025-01-08"))).toBe(true);
		expect(overlaps(req("2025-01-06", "2025-01-10"), req("2025-01-07", "2025-01-07"))).toBe(true);
	});

	it("lets ranges that only touch or are apart pass", () => {
		expect(overlaps(req("2025-01-06", "2025-01-07"), req("2025-01-08", "2025-01-10"))).toBe(false);
		expect(overlaps(req("2025-01-20", "2025-01-21"), req("2025-01-06", "2025-01-07"))).toBe(false);
	});

	it("lets a morning off and an afternoon off share a day", () => {
		// Monday to Wednesday morning, then Wednesday afternoon to Friday.
		expect(overlaps(req("2025-01-06", "2025-01-08", false, true), req("2025-01-08", "2025-01-10", true, false))).toBe(false);
		// A one-day morning and a one-day afternoon.
		expect(overlaps(req("2025-01-08", "2025-01-08", false, true), req("2025-01-08", "2025-01-08", true, false))).toBe(false);
	});

	it("catches two halves that are the same half", () => {
		expect(overlaps(req("2025-01-08", "2025-01-08", true), req("2025-01-08", "2025-01-10", true))).toBe(true);
		expect(overlaps(req("2025-01-06", "2025-01-08", false, true), req("2025-01-08", "2025-01-08", false, true))).toBe(true);
		// Half of a day against the whole of it.
		expect(overlaps(req("2025-01-06", "2025-01-08", false, true), req("2025-01-08", "2025-01-09"))).toBe(true);
	});
});
