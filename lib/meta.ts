/**
 * What every request carries through the cluster in ctx.meta. The gateway sets `user` from the
 * access token; services read the tenant from here, never from client parameters.
 */
import { performance } from "node:perf_hooks";
import type { Context } from "moleculer";
import { UnauthorizedError } from "./errors";
import { type Role, STAFF_ROLES } from "./roles";

export interface AuthUser {
	id: string;
	tenantId: string;
	roles: Role[];
	employeeId: string | null;
	/** The refresh-token family (login session) the access token belongs to. */
	sessionId: string;
}

export interface RequestMeta {
	user?: AuthUser | null;
	/** Client IP as the gateway saw it, for audit and login throttling. */
	clientIp?: string;
	$statusCode?: number;
	/** The Location of a created resource (moleculer-web sends it with a 201). */
	$location?: string;
	$responseHeaders?: Record<string, string>;
}

export type RosterContext<P = unknown> = Context<P, RequestMeta>;

/**
 * What an action requires of its caller, checked by the gateway before the call:
 * `false` for public routes, otherwise an authenticated user with one of `roles` (any role when omitted).
 */
export type ActionAuth = false | { roles?: Role[] };

declare module "moleculer" {
	interface ActionSchema {
		auth?: ActionAuth;
		/**
		 * The answer carries credentials (tokens): the gateway sends it, and the route's errors,
		 * with `Cache-Control: no-store`, so no browser or proxy cache keeps a copy.
		 */
		noStore?: boolean;
	}
}

/**
 * When the caller stops waiting for this call, in performance.now() time; undefined without a
 * timeout. Moleculer counts a call's timeout from when it reached this node (startHrTime).
 */
export function callDeadline(ctx: Context): number | undefined {
	const timeout = ctx.options?.timeout;
	const started = (ctx as Context & { startHrTime?: [number, number] }).startHrTime;
	if (!timeout || timeout <= 0 || !started) return undefined;
	const [seconds, nanos] = process.hrtime(started);
	return performance.now() + timeout - (seconds * 1e3 + nanos / 1e6);
}

/** The authenticated caller; a 401 when an action that needs one is called without. */
export function requireUser(ctx: RosterContext): AuthUser {
	const user = ctx.meta.user;
	if (!user) throw new UnauthorizedError();
	return user;
}

/**
 * The id of the caller that background work (a channel consumer, a job) acts as. No user has
 * it: ids are UUIDs, and the gateway builds ctx.meta.user only from a session identity
 * answers for a signed access token, so no request can ever carry it.
 */
export const SYSTEM_USER_ID = "system";

/**
 * The meta of a call made by background work for `tenantId`: a consumer has no user, and the
 * internal actions it calls scope their queries by the caller's tenant. It acts as hr, which
 * sees the tenant's records and holds no power over its owners and admins.
 */
export function systemCaller(tenantId: string): { user: AuthUser } {
	return { user: { id: SYSTEM_USER_ID, tenantId, roles: ["hr"], employeeId: null, sessionId: SYSTEM_USER_ID } };
}

/** Owner, admin and hr see and manage the whole tenant. */
export function isStaff(user: AuthUser): boolean {
	return user.roles.some(role => STAFF_ROLES.includes(role));
}

export function hasRole(user: AuthUser, role: Role): boolean {
	return user.roles.includes(role);
}

/** Answers 201 Created with the new resource's Location. */
export function created(ctx: RosterContext, location: string): void {
	ctx.meta.$statusCode = 201;
	ctx.meta.$location = location;
}
