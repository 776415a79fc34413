import { BusinessRuleError } from "../../lib/errors";
import { checkWithinEmployment } from "../../lib/leave/employment";

const hired = { hireDate: "2030-03-06", terminationDate: null };
const leaving = { hireDate: "2024-01-15", terminationDate: "2030-06-19" };

function refusal(fn: () => void): { field?: string; type?: string } | undefined {
	try {
		fn();
	} catch (err) {
		expect(err).toBeInstanceOf(BusinessRuleError);
		return (err as BusinessRuleError).data[0];
	}
	return undefined;
}

describe("leave within the employment", () => {
	it("may start on the hire date, not a day before (startDate)", () => {
		expect(refusal(() => checkWithinEmployment(hired, { startDate: "2030-03-06", endDate: "2030-03-08" }))).toBeUndefined();
		expect(refusal(() => checkWithinEmployment(hired, { startDate: "2030-03-05", endDate: "2030-03-08" }))).toMatchObject({
			field: "startDate",
			type: "outsideEmployment"
		});
	});

	it("may end on the termination date, not a day after (endDate); without one it may end any time", () => {
		expect(refusal(() => checkWithinEmployment(leaving, { startDate: "2030-06-17", endDate: "2030-06-19" }))).toBeUndefined();
		expect(refusal(() => checkWithinEmployment(leaving, { startDate: "2030-06-17", endDate: "2030-06-20" }))).toMatchObject({
			field: "endDate",
			type: "outsideEmployment"
		});
		expect(refusal(() => checkWithinEmployment(leaving, { startDate: "2030-06-24", endDate: "2030-06-24" }))).toMatchObject({ field: "endDate" });
		expect(refusal(() => checkWithinEmployment(hired, { startDate: "2030-12-30", endDate: "2030-12-31" }))).toBeUndefined();
	});
});
