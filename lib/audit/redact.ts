/**
 * What the audit trail never holds in clear: passwords and their hashes, tokens, secrets,
 * national ids, and the links and URLs that carry a token (activation links, mailed short
 * links). Decided by field name, here only, for every context: a value under such a name, at
 * any depth, is recorded as "changed", so the trail still says that it changed, never to what.
 */

/** Field names (any case, anywhere in the name) whose values are secrets. */
const SECRET_NAME = /pass(word)?|hash|token|secret|national_?id|link|url|otp|^code$/i;

export const REDACTED = "changed";

export function isSecretField(name: string): boolean {
	return SECRET_NAME.test(name);
}

/** `value` with every secret field (at any depth) replaced by "changed". */
export function redactValue(field: string, value: unknown): unknown {
	if (isSecretField(field)) return value === null || value === undefined ? value : REDACTED;
	if (Array.isArray(value)) return value.map(item => redactValue("", item));
	if (value !== null && typeof value === "object") {
		return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, redactValue(key, inner)]));
	}
	return value;
}
