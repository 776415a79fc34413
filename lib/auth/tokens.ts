/**
 * Access tokens are short-lived JWTs (HS256, jose) that any gateway node verifies locally.
 * Refresh tokens are opaque: `<sessionId>.<secret>`; only a SHA-256 of the secret is stored,
 * which is enough because the secret is 256 random bits, not a user-chosen password.
 */
import { type KeyObject, createHash, createSecretKey, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { Role } from "../roles";

export interface AccessClaims {
	userId: string;
	tenantId: string;
	roles: Role[];
	employeeId: string | null;
	sessionId: string;
}

export interface TokenSettings {
	secret: string;
	issuer: string;
	audience: string;
	accessTtlSeconds: number;
}

const ALGORITHM = "HS256";
const keyCache = new Map<string, KeyObject>();

/** One KeyObject per secret: given bytes, jose makes a new one on every sign and verify. */
function key(secret: string): KeyObject {
	let k = keyCache.get(secret);
	if (!k) {
		k = createSecretKey(Buffer.from(secret, "utf8"));
		keyCache.set(secret, k);
	}
	return k;
}

export function signAccessToken(claims: AccessClaims, settings: TokenSettings): Promise<string> {
	return new SignJWT({ tid: claims.tenantId, roles: claims.roles, eid: claims.employeeId, sid: claims.sessionId })
		.setProtectedHeader({ alg: ALGORITHM })
		.setSubject(claims.userId)
		.setIssuer(settings.issuer)
		.setAudience(settings.audience)
		.setIssuedAt()
		.setJti(randomUUID())
		.setExpirationTime(`${settings.accessTtlSeconds}s`)
		.sign(key(settings.secret));
}

export type TokenProblem = "expired" | "invalid";

/**
 * jose checks `exp` and `iat` only when they are there: a token without `exp` would never
 * expire. The issuer and audience options make `iss` and `aud` required as well.
 */
const REQUIRED_CLAIMS = ["exp", "iat"];

type VerifySettings = Pick<TokenSettings, "secret" | "issuer" | "audience">;

interface Verified {
	settings: VerifySettings;
	claims: AccessClaims;
	expiresAt: number;
}

/**
 * Tokens that verified, by their exact text: a client sends the same token with every request
 * until it expires, and the same text under the same settings always verifies the same way, but
 * for the clock. So a remembered token is checked against its `exp` on every use and nothing
 * else is skipped: a changed byte is another text, and whether its session still stands is the
 * session check's to say, not this one's. Only valid tokens are kept, so guessing cannot fill it.
 */
const verified = new Map<string, Verified>();
const MAX_VERIFIED = 10_000;

function remembered(token: string, settings: VerifySettings): AccessClaims | TokenProblem | undefined {
	const known = verified.get(token);
	if (!known || known.settings !== settings) return undefined;
	if (Date.now() < known.expiresAt) return known.claims;
	verified.delete(token);
	return "expired";
}

function remember(token: string, settings: VerifySettings, claims: AccessClaims, exp: number): void {
	// A Map keeps insertion order: past the bound, the longest-known token goes first.
	if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
	verified.set(token, { settings, claims, expiresAt: exp * 1000 });
}

/** The claims of a valid token, or why it is not valid. Never throws. */
export async function verifyAccessToken(token: string, settings: VerifySettings): Promise<AccessClaims | TokenProblem> {
	return remembered(token, settings) ?? verifyAnew(token, settings);
}

async function verifyAnew(token: string, settings: VerifySettings): Promise<AccessClaims | TokenProblem> {
	try {
		const { payload } = await jwtVerify(token, key(settings.secret), {
			issuer: settings.issuer,
			audience: settings.audience,
			requiredClaims: REQUIRED_CLAIMS,
			algorithms: [ALGORITHM]
		});
		const { sub, tid, sid, roles, eid } = payload;
		if (typeof sub !== "string" || typeof tid !== "string" || typeof sid !== "string" || !Array.isArray(roles)) {
			return "invalid";
		}
		// Frozen: every request that presents this token gets this same object.
		const claims: AccessClaims = Object.freeze({
			userId: sub,
			tenantId: tid,
			sessionId: sid,
			roles: Object.freeze([...roles]) as Role[],
			employeeId: typeof eid === "string" ? eid : null
		});
		remember(token, settings, claims, payload.exp!);
		return claims;
	} catch (err) {
		return err instanceof joseErrors.JWTExpired ? "expired" : "invalid";
	}
}

export interface RefreshToken {
	token: string;
	sessionId: string;
	hash: string;
}

export function hashSecret(secret: string): string {
	return createHash("sha256").update(secret).digest("base64url");
}

export function newRefreshToken(sessionId: string = randomUUID()): RefreshToken {
	const secret = randomBytes(32).toString("base64url");
	return { token: `${sessionId}.${secret}`, sessionId, hash: hashSecret(secret) };
}

/** Splits a presented refresh token; null when it is not of our shape. */
export function parseRefreshToken(token: string): { sessionId: string; hash: string } | null {
	const match = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(token);
	if (!match) return null;
	return { sessionId: match[1], hash: hashSecret(match[2]) };
}

export function sameHash(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
}
