/** The roll-over's arithmetic (lib/leave/rollover.ts): capped carry-over, once, for people still employed. */
import { carriedInto, closingYear, employedIn, rolloverAction } from "../../lib/leave/rollover";

describe("the yearly roll-over", () => {
	it("closes the year before the slot's", () => {
		expect(closingYear(new Date("2027-01-01T00:05:00Z"))).toBe(2026);
		expect(closingYear(new Date("2027-01-20T12:00:00Z"))).toBe(2026);
	});

	it("carries the remainder over, never above the type's cap and never below zero", () => {
		const allowance = { days: 25, carriedOver: 3 };
		// 28 − 10 taken − 2 pending = 16 left, capped at 5.
		const held = [
			{ days: 10, status: "approved" as const },
			{ days: 2, status: "requested" as const }
		];
		expect(carriedInto(allowance, held, 5)).toBe(5);
		expect(carriedInto(allowance, held, 20)).toBe(16);
		expect(carriedInto(allowance, held, 0)).toBe(0);
		expect(carriedInto({ days: 10, carriedOver: 0 }, [{ days: 12.5, status: "approved" }], 5)).toBe(0);
		expect(carriedInto({ days: 10, carriedOver: 0 }, [{ days: 7.5, status: "approved" }], 5)).toBe(2.5);
	});

	it("counts only days that requests hold: rejected and cancelled ones give theirs back", () => {
		const held = [
			{ days: 10, status: "rejected" as const },
			{ days: 4, status: "cancelled" as const },
			{ days: 1, status: "approved" as const }
		];
		expect(carriedInto({ days: 5, carriedOver: 0 }, held, 10)).toBe(4);
	});

	it("makes a missing entitlement, adds to one someone made, and never adds twice", () => {
		expect(rolloverAction(null, 2026, 4)).toEqual({ kind: "create", carriedOver: 4 });
		expect(rolloverAction(null, 2026, 0)).toEqual({ kind: "create", carriedOver: 0 });
		expect(rolloverAction({}, 2026, 4)).toEqual({ kind: "add", carriedOver: 4 });
		expect(rolloverAction({ rolledOverFrom: null }, 2026, 4)).toEqual({ kind: "add", carriedOver: 4 });
		expect(rolloverAction({ rolledOverFrom: 2026 }, 2026, 4)).toEqual({ kind: "none" });
		expect(rolloverAction({ rolledOverFrom: 2025 }, 2026, 4)).toEqual({ kind: "add", carriedOver: 4 });
		// Nothing to add is still marked as added: days the closed year gets back later follow (carry-over.ts).
		expect(rolloverAction({}, 2026, 0)).toEqual({ kind: "add", carriedOver: 0 });
	});

	it("skips people whose employment ended before the new year", () => {
		expect(employedIn({ hireDate: "2020-01-01", terminationDate: null }, 2027)).toBe(true);
		expect(employedIn({ hireDate: "2020-01-01", terminationDate: "2027-03-31" }, 2027)).toBe(true);
		expect(employedIn({ hireDate: "2020-01-01", terminationDate: "2027-01-01" }, 2027)).toBe(true);
		expect(employedIn({ hireDate: "2020-01-01", terminationDate: "2026-12-31" }, 2027)).toBe(false);
		expect(employedIn(undefined, 2027)).toBe(false);
	});
});
