/** Events the application services emit. */
export const AppEvents = {
	/** { tenantId, employeeId, userId, offerId } once onboarding has hired a candidate. */
	employeeHired: "employee.hired"
} as const;
