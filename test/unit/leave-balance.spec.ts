import { balanceOf, carryOver, fits } from "../../lib/leave/balance";

describe("leave balance", () => {
	const allowance = { days: 20, carriedOver: 3 };

	it("is the allowance plus carry-over, less approved and pending days", () => {
		const balance = balanceOf(allowance, [
			{ days: 5, status: "approved" },
			{ days: 1.5, status: "requested" },
			{ days: 4, status: "rejected" },
			{ days: 2, status: "cancelled" }
		]);
		expect(balance).toEqual({ entitled: 20, carriedOver: 3, taken: 5, pending: 1.5, remaining: 16.5 });
	});

	it("is nothing without an entitlement, and may go negative", () => {
		expect(balanceOf(null, [])).toEqual({ entitled: 0, carriedOver: 0, taken: 0, pending: 0, remaining: 0 });
		expect(balanceOf(null, [{ days: 2, status: "approved" }]).remaining).toBe(-2);
	});

	it("gives cancelled days back", () => {
		const before = balanceOf(allowance, [{ days: 5, status: "approved" }]);
		const after = balanceOf(allowance, [{ days: 5, status: "cancelled" }]);
		expect(after.remaining - before.remaining).toBe(5);
	});

	it("carries over what remained, capped, and never a debt", () => {
		expect(carryOver(7, 5)).toBe(5);
		expect(carryOver(2.5, 5)).toBe(2.5);
		expect(carryOver(-3, 5)).toBe(0);
		expect(carryOver(4, 0)).toBe(0);
	});

	it("fits a request within the remainder unless the type allows a negative balance", () => {
		expect(fits(3, 3, false)).toBe(true);
		expect(fits(3, 3.5, false)).toBe(false);
		expect(fits(-2, 10, true)).toBe(true);
	});
});
