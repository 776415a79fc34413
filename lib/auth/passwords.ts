/** Password hashing (argon2id) and the minimum strength a new password must have. */
import argon2 from "argon2";

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/** Verified against when the account does not exist, so a miss costs as long as a hit. */
let decoyHash: Promise<string> | undefined;

export function hashPassword(password: string): Promise<string> {
	return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
	if (!hash) {
		decoyHash ??= hashPassword("decoy-password-for-timing");
		await argon2.verify(await decoyHash, password).catch(() => false);
		return false;
	}
	return argon2.verify(hash, password).catch(() => false);
}

/**
 * Why a password is too weak, or null when it is acceptable. Long passphrases pass on length
 * alone; shorter passwords need three kinds of character.
 */
export function passwordWeakness(password: string, email?: string): string | null {
	if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
	if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
	if (new Set(password).size < 5) return "must not repeat the same few characters";
	const local = email?.split("@")[0]?.toLowerCase();
	if (local && local.length >= 4 && password.toLowerCase().includes(local)) return "must not contain the email address";
	if (password.length >= 16) return null;
	const kinds = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter(re => re.test(password)).length;
	if (kinds < 3) return "needs three of: lower case, upper case, digits, symbols (or 16+ characters)";
	return null;
}
