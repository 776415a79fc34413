/**
 * Headers the gateway adds on its own account rather than an action's: browser-facing
 * protections that no handler should have to remember.
 */
import type { ServerResponse } from "node:http";

/** The one spelling of the request id header on every answer (clients and logs compare strings). */
export const REQUEST_ID_HEADER = "X-Request-Id";

/**
 * On every response, whoever answers it: a browser must take a body for the type it is sent
 * as, never sniff a JSON body that echoes client input into HTML or script.
 */
export function setEveryResponseHeaders(res: ServerResponse): void {
	res.setHeader("X-Content-Type-Options", "nosniff");
}

/**
 * On every answer of an action marked `noStore` (lib/meta.ts), errors included: a response that
 * holds a token must not be kept by any cache (RFC 6749 section 5.1). Pragma is for HTTP/1.0 caches.
 */
export function forbidStoring(res: ServerResponse): void {
	res.setHeader("Cache-Control", "no-store");
	res.setHeader("Pragma", "no-cache");
}
