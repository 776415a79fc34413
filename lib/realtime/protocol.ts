/**
 * The real-time channel's wire protocol (docs/realtime.md is the client's description of it):
 * one JSON object per WebSocket text message, each with a `type`.
 */
import type { Notification } from "../names/notifications";

/** Where the realtime node accepts WebSocket upgrades, on its own port (REALTIME_PORT). */
export const REALTIME_PATH = "/realtime";

/** The subprotocol a client offers (and the server selects) when it passes its token as `bearer.<token>` beside it. */
export const SUBPROTOCOL = "roster.v1";
export const BEARER_PROTOCOL_PREFIX = "bearer.";

/**
 * Why the server closed a socket. 4000–4999 are the application's own (RFC 6455 §7.4.2); each
 * mirrors the HTTP status a REST call would get, so a client's handling reads the same.
 */
export const CloseCodes = {
	/** Server stopping (standard): reconnect, another node answers. */
	goingAway: 1001,
	/** A `after` that is not a notification id, or another malformed connect URL. */
	badRequest: 4400,
	/** No access token on the connect request. */
	noToken: 4401,
	/** The token is not one of ours, or its session is over (logged out, revoked, user disabled). Log in again. */
	invalidToken: 4403,
	/** The token has expired: refresh it and reconnect. */
	tokenExpired: 4419,
	/** The user already holds the most sockets allowed (REALTIME_MAX_CONNECTIONS_PER_USER), over every node. */
	tooManyConnections: 4429,
	/** The client did not read fast enough: more than REALTIME_MAX_BUFFER bytes waited to be sent to it. */
	slowConsumer: 4408,
	/** The session could not be checked (identity unreachable): reconnect after a moment. */
	unavailable: 4503
} as const;

export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];

/** The short reason sent with each code (a close reason is at most 123 bytes). */
export const CloseReasons: Record<CloseCode, string> = {
	1001: "server stopping",
	4400: "bad request",
	4401: "access token required",
	4403: "invalid access token",
	4419: "access token expired",
	4429: "too many connections",
	4408: "slow consumer",
	4503: "service unavailable"
};

/** Server → client. */
export type ServerMessage =
	| { type: "welcome"; connectionId: string; userId: string; tenantId: string; heartbeatSeconds: number }
	| { type: "notification"; notification: Notification }
	/** Replay after `after` is done: `replayed` notifications were sent; `more` when the client should reload its inbox. */
	| { type: "synced"; replayed: number; more: boolean }
	/** Replay could not run: live messages still flow; the client should reload its inbox over REST later. */
	| { type: "replay-unavailable"; reason: "notifications-unavailable" | "invalid-after"; replayed: number }
	| { type: "pong" }
	| { type: "error"; message: string }
	| { type: string; [field: string]: unknown };

/** Client → server: only an application-level ping, for clients that cannot see WebSocket pings. */
export type ClientMessage = { type: "ping" };

/** A notification id as the inbox hands them out (UUID-like); anything else in `after` is refused. */
const NOTIFICATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function validAfter(after: string): boolean {
	return NOTIFICATION_ID.test(after);
}

/**
 * The notification a pushed message carries, when it carries one: `{ type: "notification",
 * notification: { id, seq, … } }`. Only those take part in ordering and de-duplication.
 */
export function carriedNotification(message: unknown): { id: string; seq: number } | undefined {
	if (typeof message !== "object" || message === null) return undefined;
	const inner = (message as { notification?: unknown }).notification;
	if (typeof inner !== "object" || inner === null) return undefined;
	const { id, seq } = inner as { id?: unknown; seq?: unknown };
	return typeof id === "string" && typeof seq === "number" ? { id, seq } : undefined;
}
