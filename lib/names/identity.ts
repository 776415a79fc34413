/** Names of the actions and events services call across the cluster, so a typo fails to compile. */
export const IdentityActions = {
	session: "identity.session",
	login: "identity.login"
} as const;

export const IdentityEvents = {
	userDisabled: "identity.user.disabled",
	tenantCreated: "identity.tenant.created"
} as const;
