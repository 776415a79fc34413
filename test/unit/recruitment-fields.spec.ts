import { DATETIME_PATTERN, toInstant } from "../../lib/recruitment/fields";

describe("interview times", () => {
	it("stores an instant in one canonical UTC form, so stored values sort in time order", () => {
		expect(toInstant("2030-01-31T10:30+01:00", "scheduledAt")).toBe("2030-01-31T09:30:00.000Z");
		expect(toInstant("2030-01-31T09:30:00Z", "scheduledAt")).toBe("2030-01-31T09:30:00.000Z");
	});

	it("wants a time and a zone", () => {
		expect(DATETIME_PATTERN.test("2030-01-31")).toBe(false);
		expect(DATETIME_PATTERN.test("2030-01-31T09:30:00")).toBe(false);
		expect(DATETIME_PATTERN.test("2030-01-31T09:30:00.123-05:00")).toBe(true);
	});

	it("refuses days and hours that do not exist, naming the field", () => {
		for (const value of ["2030-02-30T09:00:00Z", "2030-13-01T09:00:00Z", "2030-01-01T25:00:00Z"]) {
			expect(() => toInstant(value, "scheduledAt")).toThrow(
				expect.objectContaining({ code: 422, data: [expect.objectContaining({ field: "scheduledAt" })] })
			);
		}
	});
});
