/**
 * Headers the gateway adds on its own account rather than an action's: browser-facing
 * protections that no handler should have to remember.
 */
import type { ServerResponse } from "node:http";

/**
 * On every response, whoever answers it: a browser must take a body for the type it is sent
 * as, never sniff a JSON body that echoes client input into HTML or script.
 */
export function setEveryResponseHeaders(res: ServerResponse): void {
	res.setHeader("X-Content-Type-Options", "nosniff");
}
