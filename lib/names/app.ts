/** Events the application services emit. */
export const AppEvents = {
	/** EmployeeHiredEvent once onboarding has hired a candidate (durable: published from the offer's outbox at the hire's commit). */
	employeeHired: "employee.hired"
} as const;

export interface EmployeeHiredEvent {
	employeeId: string;
	userId: string;
	offerId: string;
	/** The new hire's manager (employee id), who is told. */
	managerId: string | null;
	departmentId: string | null;
}
