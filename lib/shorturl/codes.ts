/**
 * Short codes: random base62 strings from the operating system's CSPRNG, so knowing one code
 * says nothing about any other (the seed's counter-based codes could be walked in sequence).
 * Uniqueness is the database's job: the code has a unique index, and a collision is retried
 * with a fresh code (services/data/shorturl.service.ts).
 */
import { randomInt } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * 8 characters: 62^8 ≈ 2.2e14 codes (47 bits). With a million live links a guess hits one in
 * 4.6e-9 of tries, and guesses go through the gateway's per-IP limit for anonymous requests.
 */
export const CODE_LENGTH = 8;

/** Codes a URL may carry: anything else is answered 404 without a lookup. */
export const CODE_PATTERN = /^[0-9A-Za-z]{1,32}$/;

/** A fresh random code; randomInt draws without modulo bias. */
export function randomCode(length = CODE_LENGTH): string {
	let code = "";
	for (let i = 0; i < length; i++) code += ALPHABET[randomInt(ALPHABET.length)];
	return code;
}
