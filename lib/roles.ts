/** The roles of a tenant's users, highest first. */
export const ROLES = ["owner", "admin", "hr", "manager", "employee"] as const;
export type Role = (typeof ROLES)[number];

const rank = (role: Role): number => ROLES.length - ROLES.indexOf(role);

/** Roles that may manage users and see the whole tenant. */
export const STAFF_ROLES: Role[] = ["owner", "admin", "hr"];

/** Roles that run the tenant's account itself: its failed background work (dead letters), for one. */
export const ADMIN_ROLES: Role[] = ["owner", "admin"];

/** A user may grant only roles at or below their own. */
export function canGrant(granter: Role, role: Role): boolean {
	return rank(granter) >= rank(role);
}

export function isRole(value: unknown): value is Role {
	return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
