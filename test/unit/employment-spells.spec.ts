/**
 * How a transfer splits an employment spell (lib/employees/spells.ts): where the parts meet,
 * and when a transfer corrects the open spell instead of splitting it.
 */
import type { EmployeeDoc } from "../../lib/employees/model";
import { dayBefore, monthsBetween, stintSpell, transferSplit } from "../../lib/employees/spells";

const hired = { _id: "e-1", tenantId: "t-1", hireDate: "2025-01-10", terminationDate: null, departmentId: "d-old", employmentType: "full_time" } as EmployeeDoc;
const open = stintSpell(hired);

describe("employment spells", () => {
	it("end a part the day before the next begins, across months, leap days and years", () => {
		expect(dayBefore("2025-03-01")).toBe("2025-02-28");
		expect(dayBefore("2024-03-01")).toBe("2024-02-29");
		expect(dayBefore("2025-01-01")).toBe("2024-12-31");
		expect(dayBefore("2025-07-16")).toBe("2025-07-15");
	});

	it("split at a transfer to another department: the part before closes, the part after opens on the date", () => {
		const moved = { ...hired, departmentId: "d-new" } as EmployeeDoc;
		expect(transferSplit(moved, open, "2025-03-01")).toEqual({
			close: { end: "2025-02-28", endMonth: "2025-02", transferOut: true, current: false },
			open: {
				_id: "e-1:2025-01-10:2025-03-01",
				tenantId: "t-1",
				employeeId: "e-1",
				start: "2025-03-01",
				startMonth: "2025-03",
				end: null,
				endMonth: null,
				departmentId: "d-new",
				employmentType: "full_time",
				current: true,
				transferIn: true
			}
		});
	});

	it("do not split for a move within the department, nor for a transfer dated on or before the open part's start", () => {
		expect(transferSplit(hired, open, "2025-03-01")).toBeNull();
		const moved = { ...hired, departmentId: "d-new" } as EmployeeDoc;
		expect(transferSplit(moved, open, "2025-01-10")).toBeNull();
		expect(transferSplit(moved, { ...open, start: "2025-04-01" }, "2025-03-01")).toBeNull();
	});
});

describe("monthsBetween", () => {
	it("counts the months of a range, across years, four digits to a year", () => {
		expect(monthsBetween("2024-11", "2025-02")).toEqual(["2024-11", "2024-12", "2025-01", "2025-02"]);
		expect(monthsBetween("2025-03", "2025-03")).toEqual(["2025-03"]);
		expect(monthsBetween("2025-04", "2025-03")).toEqual([]);
		expect(monthsBetween("0999-12", "1000-01")).toEqual(["0999-12", "1000-01"]);
		expect(monthsBetween("0000-11", "0001-02")).toEqual(["0000-11", "0000-12", "0001-01", "0001-02"]);
		// The last month of the last four-digit year ends the range: its text successor sorts before it.
		expect(monthsBetween("9999-11", "9999-12")).toEqual(["9999-11", "9999-12"]);
	});
});
