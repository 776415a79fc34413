/**
 * Which error statuses a route may answer, from what the gateway knows of it: every route may
 * be refused with 405 (wrong method on a known path), fail with 500 or 504 (the body names only
 * the kind) or find no node to serve it (503); a rate-limited
 * one with 429; one that needs a token with 401 and 403 (a role, or a rule on the record); one
 * with a params schema with 422 (strict: even an unknown field is refused); one that takes
 * parameters with 404 (a record it names is not in the company); one whose method carries a
 * JSON body with 400, 413 and 415; a write with 409. An action adds others in `openapi.errors`.
 */
import type { ResponseSpec } from "./types";

export const ERROR_DESCRIPTIONS: Record<number, string> = {
	400: "The body is not a JSON object or array",
	401: "No valid access token",
	403: "The caller's role or relation to the record does not allow this",
	404: "Not found in the caller's company",
	405: "Wrong method for this path (the Allow header names the right ones)",
	409: "Conflicts with the current state",
	410: "The link was used already or has expired",
	413: "The body is too large",
	415: "Unsupported media type or charset",
	422: "Invalid parameters or a business rule refused the request (the error's type says which)",
	429: "Too many requests (Retry-After says when to come back)",
	500: "Internal error (the body names only its kind)",
	503: "No node can serve this request right now, or the node is shedding load (Retry-After)",
	504: "No answer in time; the request may still have taken effect"
};

export interface RouteTraits {
	method: string;
	/** The route needs no token (signup, login, health, short links). */
	public: boolean;
	/** The gateway counts it against a rate limit. */
	limited: boolean;
	/** The action checks its params (every published one does, strictly). */
	validated: boolean;
	hasParams: boolean;
	/** The route parses a JSON body (POST, PUT, PATCH outside the upload route). */
	jsonBody: boolean;
	extra?: number[];
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function errorStatuses(route: RouteTraits): number[] {
	const statuses = new Set<number>([405, 500, 503, 504, ...(route.extra ?? [])]);
	if (route.limited) statuses.add(429);
	if (!route.public) [401, 403].forEach(s => statuses.add(s));
	if (route.validated) statuses.add(422);
	if (route.hasParams) statuses.add(404);
	if (route.jsonBody) [400, 413, 415].forEach(s => statuses.add(s));
	if (WRITES.has(route.method)) statuses.add(409);
	return [...statuses].sort((a, b) => a - b);
}

export function errorResponse(status: number): ResponseSpec & { $ref?: never } {
	return { description: ERROR_DESCRIPTIONS[status] ?? "Error" };
}
