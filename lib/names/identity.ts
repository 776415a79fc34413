/** Names of the actions and events services call across the cluster, so a typo fails to compile. */
export const IdentityActions = {
	session: "identity.session",
	login: "identity.login",
	/** Published POST /users; onboarding calls it too: { email, name, role, password, employeeId } → User (201). */
	createUser: "identity.createUser",
	/** Published GET /users/:id: { id } → User of the caller's tenant. */
	getUser: "identity.getUser",
	/** Internal { id } → removes a user created moments ago: onboarding's compensation. */
	undoCreateUser: "identity.undoCreateUser"
} as const;

export const IdentityEvents = {
	userDisabled: "identity.user.disabled",
	tenantCreated: "identity.tenant.created"
} as const;
