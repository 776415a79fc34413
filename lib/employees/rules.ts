/**
 * The employment lifecycle and who may do what, on plain data: a terminated employee is not
 * transferred, only an active one is terminated, only a terminated one is rehired, and the
 * dates of each step come after the hire they belong to.
 */
import { checkDate } from "../entity";
import { BusinessRuleError, ConflictError, UnprocessableError } from "../errors";
import { type AuthUser, hasRole, isStaff } from "../meta";
import { CONTACT_FIELDS, type EmployeeDoc } from "./model";

/** Today as YYYY-MM-DD (UTC), the effective date of a change that names none. */
export const today = (): string => new Date().toISOString().slice(0, 10);

/**
 * How the caller stands to one employee. Staff see the tenant, everyone sees themself, and a
 * manager sees the employees under them at any depth; anyone else is "none" (answered 404).
 */
export type Relation = "staff" | "self" | "manager" | "none";

export const seesSensitive = (relation: Relation): boolean => relation === "staff" || relation === "self";

/** The relation that needs no look-up, or undefined when it depends on the reporting line. */
export function directRelation(actor: AuthUser, employeeId: string): Relation | undefined {
	if (isStaff(actor)) return "staff";
	if (actor.employeeId === employeeId) return "self";
	return mayManage(actor) ? undefined : "none";
}

/**
 * Only users with the manager role and an employee record of their own may see a team; the
 * employees service also requires that record to be active (a terminated manager manages nobody).
 */
export const mayManage = (actor: AuthUser): actor is AuthUser & { employeeId: string } => hasRole(actor, "manager") && !!actor.employeeId;

/** The fields of a self-service update that only staff may change. */
export function staffOnlyFields(fields: readonly string[]): string[] {
	return fields.filter(field => !(CONTACT_FIELDS as readonly string[]).includes(field));
}

/** The years employment records are about, as the reports' months: year 0 or 9999 is a typo no report would show. */
export const EMPLOYMENT_YEARS = { min: 1900, max: 2100 } as const;

/** A real calendar date (422 otherwise) in EMPLOYMENT_YEARS. */
export function checkEmploymentDate(value: string | null | undefined, field: string): void {
	checkDate(value, field);
	if (!value) return;
	const year = Number(value.slice(0, 4));
	if (year < EMPLOYMENT_YEARS.min || year > EMPLOYMENT_YEARS.max) {
		throw new UnprocessableError(
			field,
			`The '${field}' field must be in a year from ${EMPLOYMENT_YEARS.min} to ${EMPLOYMENT_YEARS.max}.`,
			year < EMPLOYMENT_YEARS.min ? "dateMin" : "dateMax"
		);
	}
}

type Dated = Pick<EmployeeDoc, "status" | "hireDate" | "terminationDate">;

function notBefore(date: string, earliest: string, field: string, what: string): void {
	if (date < earliest) throw new BusinessRuleError(field, `The '${field}' field must not be before ${what} (${earliest}).`, "dateOrder");
}

export function checkTransfer(employee: Dated, effectiveDate: string): void {
	if (employee.status !== "active") throw new ConflictError("A terminated employee cannot be transferred", { status: employee.status });
	notBefore(effectiveDate, employee.hireDate, "effectiveDate", "the hire date");
}

export function checkTerminate(employee: Dated, date: string): void {
	if (employee.status !== "active") throw new ConflictError("Only an active employee can be terminated", { status: employee.status });
	notBefore(date, employee.hireDate, "date", "the hire date");
}

export function checkRehire(employee: Dated, date: string): void {
	if (employee.status !== "terminated") throw new ConflictError("Only a terminated employee can be rehired", { status: employee.status });
	if (employee.terminationDate && date <= employee.terminationDate) {
		throw new BusinessRuleError("date", `The 'date' field must be after the termination date (${employee.terminationDate}).`, "dateOrder");
	}
}

/** A corrected hire date of a terminated employee must still precede their termination. */
export function checkHireDate(employee: Dated, hireDate: string): void {
	if (employee.status === "terminated" && employee.terminationDate && hireDate > employee.terminationDate) {
		throw new BusinessRuleError("hireDate", `The 'hireDate' field must not be after the termination date (${employee.terminationDate}).`, "dateOrder");
	}
}

export function checkBirthDate(birthDate: string | null | undefined, on: string = today()): void {
	if (birthDate && birthDate > on) throw new BusinessRuleError("birthDate", "The 'birthDate' field must not be in the future.", "dateOrder");
}
