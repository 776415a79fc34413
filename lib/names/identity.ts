/** Names of the actions and events services call across the cluster, so a typo fails to compile. */
import type { Role } from "../roles";
export const IdentityActions = {
	session: "identity.session",
	login: "identity.login",
	/** Published POST /auth/password: the gateway throttles its wrong current passwords as it does failed logins. */
	changePassword: "identity.changePassword",
	/** Published POST /users; onboarding calls it too: { email, name, role, employeeId } → User (201), invited. */
	createUser: "identity.createUser",
	/** Published GET /users/:id: { id } → User of the caller's tenant. */
	getUser: "identity.getUser",
	/** Internal { id } → removes a user created moments ago: onboarding's compensation. */
	undoCreateUser: "identity.undoCreateUser",
	/**
	 * Internal { id, email, name, role, employeeId } → User: onboarding's invitation under the id
	 * its saga chose beforehand. Again with the same id it finishes what a crashed run left (the
	 * employee link, the invitation) and answers the same user. Not published.
	 */
	createUserWithId: "identity.createUserWithId",
	/** Internal { userId } → EmployeeLinks of a user of the caller's tenant. */
	employeeLinks: "identity.employeeLinks",
	/** Internal {} → string[]: ids of the caller's tenant's active owners, admins and hr (who are told of tenant-wide events). */
	staffUserIds: "identity.staffUserIds",
	/** Internal { ids } → UserContact[] of the caller's tenant's active users among ids (how to reach them). */
	contacts: "identity.contacts",
	/** Internal, for the REPL: {} → TenantSummary[], every company, oldest first. */
	tenantList: "identity.tenantList",
	/**
	 * Internal, for the REPL: { email, tenantId? } → SignedInWithoutPassword, a new session of that
	 * user as a login makes it (409 naming the companies when the person is in several and none is
	 * named). Refused on a production node.
	 */
	signInWithoutPassword: "identity.signInWithoutPassword",
	/** Internal { ids } → DisplayNames of the caller's tenant's users among ids, any status, uncached. */
	userNames: "identity.userNames"
} as const;

export interface TenantSummary {
	id: string;
	name: string;
	createdAt: string;
}

/** A login's answer for one company, without the password. */
export interface SignedInWithoutPassword {
	accessToken: string;
	refreshToken: string;
	expiresIn: number;
	tenantId: string;
	tenantName: string;
	userId: string;
}

/** How to reach a user: what notifications need to mail them or find their phone. */
export interface UserContact {
	id: string;
	email: string;
	name: string;
	role: Role;
	employeeId: string | null;
	/** The name of the user's company: what is sent outside the app says which one (a person may work for several). */
	companyName: string;
}

/** The employee a user is now, and every one they have been linked to. */
export interface EmployeeLinks {
	employeeId: string | null;
	linkedEmployeeIds: string[];
}

/** Durable domain events (channels, published from the account's outbox). */
export const IdentityEvents = {
	/** { userId } */
	userDisabled: "identity.user.disabled",
	/** { ownerId } */
	tenantCreated: "identity.tenant.created",
	/** InvitationSentEvent when an invitation (or a new one) is sent to a user. */
	invitationSent: "identity.invitation.sent"
} as const;

/**
 * Plain Moleculer broadcasts: at most once, so a hint that speeds up what is checked anyway,
 * never the only way a change is seen.
 */
export const IdentityBroadcasts = {
	/** SessionsChanged: a session or user of these tenants may no longer stand (a logout, a revocation, a disabled user). */
	sessionsChanged: "identity.sessions.changed"
} as const;

export interface SessionsChanged {
	tenantIds: string[];
}

export interface InvitationSentEvent {
	userId: string;
	email: string;
	/** The user who invited, null when the system did (onboarding's hire invites as the accepting user). */
	invitedBy: string | null;
}
