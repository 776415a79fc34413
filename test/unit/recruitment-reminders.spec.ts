/** The interview-reminder window (lib/recruitment/reminders.ts): from the slot to the end of the next UTC day. */
import { reminderWindow } from "../../lib/recruitment/reminders";

describe("reminderWindow", () => {
	it("runs from the slot to the end of the next UTC day", () => {
		expect(reminderWindow(new Date("2031-05-06T07:00:00Z"))).toEqual({ from: "2031-05-06T07:00:00.000Z", to: "2031-05-08T00:00:00.000Z" });
	});

	it("late in the day still covers all of tomorrow, across months and years", () => {
		expect(reminderWindow(new Date("2031-01-31T23:00:00Z"))).toEqual({ from: "2031-01-31T23:00:00.000Z", to: "2031-02-02T00:00:00.000Z" });
		expect(reminderWindow(new Date("2031-12-31T00:00:00Z")).to).toBe("2032-01-02T00:00:00.000Z");
	});
});
