/**
 * What a hire takes: the parameters every hire action validates (one hire, a hire under a
 * chosen id, an import's batch), the checks on its dates, and the record and history changes
 * it makes. One definition, so a batch hire cannot drift from a single one.
 */

import { date, email, enumOf, nullableId, nullableText, text, nullableProse } from "../params";
import type { Changes } from "./history";
import { diffFields } from "./history";
import { EMPLOYMENT_TYPES, type EmployeeDoc, type EmploymentType } from "./model";
import { checkBirthDate, checkEmploymentDate } from "./rules";

export interface HireParams {
	firstName: string;
	lastName: string;
	workEmail: string;
	phone?: string | null;
	birthDate?: string | null;
	nationalId?: string | null;
	homeAddress?: string | null;
	employeeNumber?: string;
	departmentId?: string | null;
	positionId?: string | null;
	managerId?: string | null;
	hireDate: string;
	employmentType?: EmploymentType;
	userId?: string | null;
}

const personName = text(100);
const phone = {
	type: "string",
	trim: true,
	min: 3,
	max: 32,
	pattern: String.raw`^\+?[0-9][0-9 ()./-]*$`,
	optional: true,
	nullable: true,
	messages: { stringPattern: "The '{field}' field must be a phone number." }
} as const;
const nullableDate = { ...date, optional: true, nullable: true } as const;
const employeeNumber = {
	type: "string",
	trim: true,
	min: 1,
	max: 32,
	pattern: "^[A-Za-z0-9][A-Za-z0-9._/-]*$",
	optional: true,
	messages: { stringPattern: "The '{field}' field may hold letters, digits and . _ / - only." }
} as const;
export const employmentType = { ...enumOf(EMPLOYMENT_TYPES), optional: true } as const;

/** Every field a client may set on an employee; hire requires some of them. */
export const employeeFields = {
	firstName: { ...personName, optional: true },
	lastName: { ...personName, optional: true },
	workEmail: { ...email, optional: true },
	phone,
	birthDate: nullableDate,
	nationalId: nullableText(50),
	homeAddress: nullableProse(500),
	employeeNumber,
	departmentId: nullableId,
	positionId: nullableId,
	managerId: nullableId,
	hireDate: { ...date, optional: true },
	employmentType
} as const;

/** A hire's fields: employeeFields with the ones a hire requires. */
export const hireFields = { ...employeeFields, firstName: personName, lastName: personName, workEmail: email, hireDate: date } as const;

export function checkDates(fields: { hireDate?: string; birthDate?: string | null }): void {
	checkEmploymentDate(fields.hireDate, "hireDate");
	checkEmploymentDate(fields.birthDate, "birthDate");
	checkBirthDate(fields.birthDate);
}

/** The record a hire stores (an assigned number is left empty until it is drawn). */
export function hiredEmployee(tenantId: string, employeeId: string, p: HireParams, at: string): EmployeeDoc {
	return {
		_id: employeeId,
		tenantId,
		firstName: p.firstName,
		lastName: p.lastName,
		workEmail: p.workEmail,
		phone: p.phone ?? null,
		birthDate: p.birthDate ?? null,
		nationalId: p.nationalId ?? null,
		homeAddress: p.homeAddress ?? null,
		employeeNumber: p.employeeNumber ?? "",
		departmentId: p.departmentId ?? null,
		positionId: p.positionId ?? null,
		managerId: p.managerId ?? null,
		hireDate: p.hireDate,
		employmentType: p.employmentType ?? "full_time",
		userId: null,
		status: "active",
		terminationDate: null,
		terminationReason: null,
		createdAt: at,
		updatedAt: at
	};
}

/** What a hire changed, for its history entry and its event: every field, from nothing. */
export function hireChanges(doc: EmployeeDoc): Changes {
	const { _id, tenantId: _t, terminationDate: _d, terminationReason: _r, createdAt: _c, updatedAt: _u, ...fields } = doc;
	return diffFields({}, fields);
}
