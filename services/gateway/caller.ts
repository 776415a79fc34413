/**
 * How the gateway turns a request into the caller of an action, in the pieces the REPL's `as`
 * command (scripts/repl/as-user.ts) uses too: a call from there carries the same meta and meets
 * the same role check as one through HTTP. The user itself comes from the access token's
 * session (session-check.ts).
 */
import { ForbiddenError } from "../../lib/errors";
import type { ActionAuth, RequestMeta } from "../../lib/meta";
import type { Role } from "../../lib/roles";

/** The meta every call of a request starts with, before authentication adds the user. */
export function requestMeta(clientIp: string): RequestMeta {
	return { clientIp };
}

/** A 403 unless the caller holds one of the roles the action names (any role when it names none). */
export function checkRoles(auth: ActionAuth | undefined, roles: Role[]): void {
	if (auth === false || !auth?.roles) return;
	if (!roles.some(role => auth.roles!.includes(role))) {
		throw new ForbiddenError("Your role does not allow this", { required: auth.roles });
	}
}

/** The tenant comes from the token alone: a tenantId a client sends is dropped, never trusted. */
export function dropClientTenant(params: Record<string, unknown>): void {
	// Only when there: a delete turns the params into a slow dictionary object for the whole call.
	if ("tenantId" in params) delete params.tenantId;
}
