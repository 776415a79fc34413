/**
 * The rate-limit headers, and which answers the limiter counts: every request except the
 * health endpoints (probes must never be refused) and CORS preflights (a browser sends them on
 * its own, they are no client's doing). A request refused before it was authenticated (a body
 * that is no JSON, an unknown path, a wrong method) is counted when it is answered, so every
 * counted answer carries the headers the README promises.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RateLimitVerdict } from "../../lib/rate-limit";

export const RATE_LIMIT_HEADERS = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"] as const;

export function setRateLimitHeaders(res: ServerResponse, verdict: RateLimitVerdict): void {
	res.setHeader(RATE_LIMIT_HEADERS[0], String(verdict.limit));
	res.setHeader(RATE_LIMIT_HEADERS[1], String(verdict.remaining));
	res.setHeader(RATE_LIMIT_HEADERS[2], String(verdict.resetSeconds));
}

/** The route names whose answers are never counted (api.service.ts's routes). */
const UNCOUNTED_ROUTES = new Set(["health"]);

/** A refusal still to be counted: not counted yet, not a health check, not a preflight. */
export function refusalToCount(req: IncomingMessage & { $route?: { opts?: { name?: string } } }, res: ServerResponse): boolean {
	if (res.hasHeader(RATE_LIMIT_HEADERS[0])) return false;
	if (UNCOUNTED_ROUTES.has(req.$route?.opts?.name ?? "")) return false;
	return !(req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined);
}
