import { LEAVE_STATUSES, canTransition, statusesBefore } from "../../lib/leave/status";
import type { LeaveStatus } from "../../lib/names/leave";

describe("leave status machine", () => {
	it("moves a requested request to approved, rejected or cancelled", () => {
		expect(canTransition("requested", "approved")).toBe(true);
		expect(canTransition("requested", "rejected")).toBe(true);
		expect(canTransition("requested", "cancelled")).toBe(true);
	});

	it("lets an approved request be cancelled, and nothing else", () => {
		expect(LEAVE_STATUSES.filter(to => canTransition("approved", to))).toEqual(["cancelled"]);
	});

	it("keeps rejected and cancelled final, and never goes back to requested", () => {
		for (const to of LEAVE_STATUSES) {
			expect(canTransition("rejected", to)).toBe(false);
			expect(canTransition("cancelled", to)).toBe(false);
		}
		expect(LEAVE_STATUSES.some((from: LeaveStatus) => canTransition(from, "requested"))).toBe(false);
	});

	it("guards each move with the statuses it may start from", () => {
		expect(statusesBefore("approved")).toEqual(["requested"]);
		expect(statusesBefore("rejected")).toEqual(["requested"]);
		expect(statusesBefore("cancelled")).toEqual(["requested", "approved"]);
		expect(statusesBefore("requested")).toEqual([]);
	});
});
