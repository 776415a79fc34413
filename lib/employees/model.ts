/**
 * The employee record as stored, and the views of it a caller may get: sensitive personal
 * data (national id, birth date, home address) only in single-record views for staff and the
 * employee themself, never in lists or reports.
 */
import type { EmployeeSummary, EmploymentStatus } from "../names/employees";

export const EMPLOYMENT_TYPES = ["full_time", "part_time", "contractor", "intern", "temporary"] as const;
export type EmploymentType = (typeof EMPLOYMENT_TYPES)[number];

export const EMPLOYMENT_STATUSES: readonly EmploymentStatus[] = ["active", "terminated"];

/** Personal data only staff and the employee themself may read, one record at a time. */
export const SENSITIVE_FIELDS = ["nationalId", "birthDate", "homeAddress"] as const;
export type SensitiveField = (typeof SENSITIVE_FIELDS)[number];

/** What employees may change on their own record. */
export const CONTACT_FIELDS = ["phone", "homeAddress"] as const;

export interface EmployeeDoc {
	_id: string;
	tenantId: string;
	firstName: string;
	lastName: string;
	workEmail: string;
	phone: string | null;
	birthDate: string | null;
	nationalId: string | null;
	homeAddress: string | null;
	employeeNumber: string;
	departmentId: string | null;
	positionId: string | null;
	managerId: string | null;
	hireDate: string;
	employmentType: EmploymentType;
	status: EmploymentStatus;
	terminationDate: string | null;
	terminationReason: string | null;
	userId: string | null;
	createdAt: string;
	updatedAt: string;
}

/** The fields a client (staff, or onboarding) may set. */
export type EmployeeFields = Omit<EmployeeDoc, "_id" | "tenantId" | "status" | "terminationDate" | "terminationReason" | "createdAt" | "updatedAt">;

/** An employee as a list row or a report: everything but the sensitive fields. */
export type EmployeeListItem = Omit<EmployeeDoc, "_id" | "tenantId" | SensitiveField> & { id: string };

/** A single record; the sensitive fields are there only when the caller may see them. */
export type Employee = EmployeeListItem & Partial<Pick<EmployeeDoc, SensitiveField>>;

export function employeeJSON(doc: EmployeeDoc, withSensitive: boolean): Employee {
	const { _id, tenantId: _tenant, nationalId, birthDate, homeAddress, ...rest } = doc;
	const json: Employee = { id: _id, ...rest };
	if (withSensitive) Object.assign(json, { nationalId, birthDate, homeAddress });
	return json;
}

export const listItemJSON = (doc: EmployeeDoc): EmployeeListItem => employeeJSON(doc, false);

export function summaryJSON(doc: EmployeeDoc): EmployeeSummary {
	return {
		id: doc._id, employeeNumber: doc.employeeNumber, firstName: doc.firstName, lastName: doc.lastName,
		workEmail: doc.workEmail, departmentId: doc.departmentId, positionId: doc.positionId,
		managerId: doc.managerId, status: doc.status, userId: doc.userId, hireDate: doc.hireDate, terminationDate: doc.terminationDate
	};
}
