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

/**
 * On every answer to a request that carries credentials: what it holds is someone's (a national
 * id, an address, a salary), and no browser or proxy cache may keep it. An action may still say
 * otherwise for its own answer ($responseHeaders are applied after).
 */
export function keepPrivate(res: ServerResponse): void {
	res.setHeader("Cache-Control", "private, no-store");
}
