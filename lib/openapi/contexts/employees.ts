/** What the employees context answers: employee records (lists never hold the sensitive fields) and their history. */
import { EMPLOYMENT_TYPES } from "../../employees/model";
import { HISTORY_TYPES } from "../../employees/history";
import { closed, day, enumeration, nullableDay, nullableStr, str, timestamp } from "../schemas";

const listItem = {
	id: str,
	firstName: str,
	lastName: str,
	workEmail: str,
	phone: nullableStr,
	employeeNumber: str,
	departmentId: nullableStr,
	positionId: nullableStr,
	managerId: nullableStr,
	hireDate: day,
	employmentType: enumeration(EMPLOYMENT_TYPES),
	userId: nullableStr,
	status: enumeration(["active", "terminated"]),
	terminationDate: nullableDay,
	terminationReason: nullableStr,
	createdAt: timestamp,
	updatedAt: timestamp,
	// Display names of what the ids point at, so a directory page needs no lookup per row.
	departmentName: nullableStr,
	positionTitle: nullableStr,
	managerName: nullableStr
};
const DISPLAY_NAMES = ["departmentName", "positionTitle", "managerName"];

/** A list row or a report line: never the sensitive fields. */
export const EmployeeListItem = closed(listItem, DISPLAY_NAMES);

/** One record: the sensitive fields only for staff and the employee themself. */
export const Employee = closed({ ...listItem, nationalId: nullableStr, birthDate: nullableDay, homeAddress: nullableStr }, [
	...DISPLAY_NAMES,
	"nationalId",
	"birthDate",
	"homeAddress"
]);

const fieldChange = {
	oneOf: [closed({ from: {}, to: {} }), closed({ redacted: { const: true } })]
};

export const HistoryEntry = closed({
	id: str,
	employeeId: str,
	type: enumeration(HISTORY_TYPES),
	changes: { type: "object", additionalProperties: fieldChange },
	effectiveDate: day,
	by: str,
	at: timestamp
});
