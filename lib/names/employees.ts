/** Actions and events of the employees context. */
export const EmployeeActions = {
	/** Published GET /employees/:id; internally { id } → Employee as the caller may see it, 404 otherwise. */
	get: "employees.get",
	/** Published POST /employees (hire); onboarding calls it too. → Employee (201). */
	hire: "employees.hire",
	/** Published POST /employees/:id/terminate: { id, date, reason }. */
	terminate: "employees.terminate",
	/** Published PATCH /employees/:id. */
	update: "employees.update",
	/** Internal { id, userId, expect } → Employee: the employee's side of an account link, written by identity only. */
	setUser: "employees.setUser",
	/** Internal { ids } → EmployeeSummary[] of the caller's tenant, in one query. */
	summaries: "employees.summaries",
	/** Internal { id, depth: "direct" | "all" } → string[]: ids of the employee's reports. */
	reportIds: "employees.reportIds",
	/** Internal { managerId, employeeId } → boolean: is employeeId under managerId (any depth), the manager's employment active? */
	isManagerOf: "employees.isManagerOf",
	/**
	 * Internal {} → string | null: the caller's employee id when they may act as a manager (the
	 * manager role and an active employee record), null otherwise. Every context that gives a
	 * manager power over others asks this.
	 */
	activeManager: "employees.activeManager",
	/** Internal { departmentId } → number of employees (any status) in the department. */
	countInDepartment: "employees.countInDepartment",
	/** Internal { positionId } → number of employees (any status) who hold the position. */
	countInPosition: "employees.countInPosition",
	/** Internal { id } → Employment[]: each employment of the employee (a rehire starts another), oldest first. */
	employmentPeriods: "employees.employmentPeriods",
	/** Internal { id } → removes an employee created moments ago: onboarding's compensation. */
	undoHire: "employees.undoHire",
	/**
	 * Internal { id, ...hire params } → Employee: onboarding's hire under the id its saga chose
	 * beforehand, so that a retry (or another node resuming the saga) answers the same employee
	 * instead of hiring twice. Not published: a client never chooses an id.
	 */
	hireWithId: "employees.hireWithId",
	/**
	 * Internal { employees: [{ id, ...hire params }] } → Employee[] in the same order: the import's
	 * hires of a chunk in one write, each with the events and history of a hire; an id hired
	 * already is answered as hireWithId answers it. Refused whole (422, 409) when any row would be.
	 */
	hireMany: "employees.hireMany",
	/** Internal { employeeNumbers, workEmails } → Employee[] (every field) of the caller's tenant having one of them: the import's matching. */
	matchForImport: "employees.matchForImport"
} as const;

export const EmployeeEvents = {
	/** { tenantId, employeeId, changes } after hire, update, transfer, terminate, rehire. */
	changed: "employees.changed"
} as const;

export type EmploymentStatus = "active" | "terminated";

export interface EmployeeSummary {
	id: string;
	employeeNumber: string;
	firstName: string;
	lastName: string;
	workEmail: string;
	/** For text messages (notifications' SMS); null when none is on record. */
	phone: string | null;
	departmentId: string | null;
	positionId: string | null;
	managerId: string | null;
	status: EmploymentStatus;
	userId: string | null;
	/** The first day of the current employment (a rehire moves it). */
	hireDate: string;
	/** The last day of employment once terminated (it may lie ahead), null while active. */
	terminationDate: string | null;
}
