/**
 * The secrets in activation, invitation and reset links: 256 random bits, stored only as a
 * SHA-256 (like refresh tokens, the secret is not a password, so a fast hash is enough), each
 * usable once and only until it expires.
 */
import { randomBytes } from "node:crypto";
import { hashSecret } from "./tokens";

export interface LinkToken {
	/** What goes into the link. */
	token: string;
	/** What is stored, and looked up by. */
	hash: string;
}

export function newLinkToken(): LinkToken {
	const token = randomBytes(32).toString("base64url");
	return { token, hash: hashSecret(token) };
}

/** The stored hash of a presented token; null when it is not of our shape. */
export function linkTokenHash(token: string): string | null {
	return /^[A-Za-z0-9_-]{43}$/.test(token) ? hashSecret(token) : null;
}
