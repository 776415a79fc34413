/**
 * What a WebSocket connect request says: the access token and the notification to resume after.
 *
 * Browsers cannot set headers on a WebSocket, and some mini-program runtimes cannot either, so
 * the token is accepted three ways, first found wins: `Authorization: Bearer <token>` (native
 * apps, servers), a `bearer.<token>` entry among the offered subprotocols (browsers: it stays out
 * of URLs and so out of access logs), and the `access_token` query parameter (everything else).
 */
import type { IncomingMessage } from "node:http";
import { BEARER_PROTOCOL_PREFIX } from "./protocol";

export interface Handshake {
	/** undefined: none presented; "": presented but empty or malformed (refused as invalid). */
	token?: string;
	/** The last notification id the client saw, from `?after=`. */
	after?: string;
	path: string;
}

function headerToken(req: IncomingMessage): string | undefined {
	const header = req.headers.authorization;
	if (header === undefined) return undefined;
	return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "";
}

function protocolToken(req: IncomingMessage): string | undefined {
	const offered = req.headers["sec-websocket-protocol"];
	if (!offered) return undefined;
	const entry = offered
		.split(",")
		.map(p => p.trim())
		.find(p => p.startsWith(BEARER_PROTOCOL_PREFIX));
	return entry?.slice(BEARER_PROTOCOL_PREFIX.length);
}

/**
 * The request target as a URL, or null when it is none: an absolute-form target such as
 * `http://[` or `http://x:99999/` makes URL throw, and in a plain request handler an uncaught
 * throw ends the process. Only the path and the query matter here, never the host.
 */
export function requestUrl(req: IncomingMessage): URL | null {
	try {
		return new URL(req.url ?? "/", "http://realtime.invalid");
	} catch {
		return null;
	}
}

/** The upgrade request's token, `after` and path; null for a request target that is no URL. */
export function readHandshake(req: IncomingMessage): Handshake | null {
	const url = requestUrl(req);
	if (!url) return null;
	const queryToken = url.searchParams.get("access_token") ?? undefined;
	const after = url.searchParams.get("after") ?? undefined;
	return {
		token: headerToken(req) ?? protocolToken(req) ?? queryToken,
		after: after === "" ? undefined : after,
		path: url.pathname
	};
}
