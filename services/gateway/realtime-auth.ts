/**
 * Who a WebSocket connect request is, checked exactly as the REST gateway checks a request: the
 * access token's signature, issuer, audience and expiry (lib/auth/tokens.ts), then its session
 * (session-check.ts: a logout, a revoked session or a disabled user ends it). The verdict is a
 * user, or the documented close code that says why not.
 */
import type { Context } from "moleculer";
import { verifyAccessToken } from "../../lib/auth/tokens";
import type { Config } from "../../lib/config";
import type { AuthUser, RequestMeta } from "../../lib/meta";
import { CloseCodes } from "../../lib/realtime/protocol";
import type { SessionCheck } from "./session-check";

export type AuthVerdict = { user: AuthUser } | { refused: number };

export async function authenticateSocket(
	ctx: Context<unknown, RequestMeta>,
	token: string | undefined,
	jwt: Config["jwt"],
	sessions: SessionCheck
): Promise<AuthVerdict> {
	if (token === undefined) return { refused: CloseCodes.noToken };
	if (token === "") return { refused: CloseCodes.invalidToken };
	const claims = await verifyAccessToken(token, jwt);
	if (claims === "expired") return { refused: CloseCodes.tokenExpired };
	if (claims === "invalid") return { refused: CloseCodes.invalidToken };
	try {
		const user = await sessions.user(ctx, claims);
		return user ? { user } : { refused: CloseCodes.invalidToken };
	} catch {
		// Identity could not say: neither admit nor tell the client its token is bad.
		return { refused: CloseCodes.unavailable };
	}
}

/** Whether the session of an open socket still stands; undefined when that cannot be told now. */
export async function sessionStands(ctx: Context<unknown, RequestMeta>, user: AuthUser, sessions: SessionCheck): Promise<boolean | undefined> {
	try {
		const current = await sessions.user(ctx, { sessionId: user.sessionId, tenantId: user.tenantId });
		return current !== null && current.id === user.id;
	} catch {
		return undefined;
	}
}
