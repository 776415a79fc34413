/**
 * Leave is time off from a job, so it lies within the employment: not before the hire date, and
 * not after the termination date, which may still be ahead (an employee working their notice
 * takes leave until their last day). Dates are "YYYY-MM-DD", compared as strings.
 */
import { BusinessRuleError } from "../errors";
import type { EmployeeSummary } from "../names/employees";
import type { DateRange } from "./calendar";

export type Employment = Pick<EmployeeSummary, "hireDate" | "terminationDate">;

export function checkWithinEmployment(employee: Employment, range: Pick<DateRange, "startDate" | "endDate">): void {
	if (range.startDate < employee.hireDate) {
		throw new BusinessRuleError("startDate", `The 'startDate' field must not be before the hire date (${employee.hireDate}).`, "outsideEmployment");
	}
	if (employee.terminationDate !== null && range.endDate > employee.terminationDate) {
		throw new BusinessRuleError(
			"endDate",
			`The 'endDate' field must not be after the termination date (${employee.terminationDate}).`,
			"outsideEmployment"
		);
	}
}

/** Whether one of the employee's employments (lib/names/employees employmentPeriods) holds the whole range. */
export function withinSomeEmployment(periods: readonly Employment[], range: Pick<DateRange, "startDate" | "endDate">): boolean {
	return periods.some(p => range.startDate >= p.hireDate && (p.terminationDate === null || range.endDate <= p.terminationDate));
}
