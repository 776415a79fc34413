/**
 * How strong a new password must be, judged by zxcvbn's estimate of the guesses an attacker
 * needs (common passwords, keyboard patterns, repeats, sequences, dates, l33t, and the user's
 * own email and name) rather than by kinds of character, which "Password123!" has all of.
 *
 * The estimator is built once per process, on first use (its dictionaries are ranked then: about
 * 50 ms, after some 100 ms to load them with this module). A check then takes a few milliseconds,
 * synchronously (docs/benchmarks.md).
 */
import { type TranslationKeys, ZxcvbnFactory, type ZxcvbnResult } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/** zxcvbn's score 3 of 0..4: at least 10^8 guesses, "safely unguessable" behind a slow hash such as argon2. */
export const PASSWORD_MIN_SCORE = 3;
/** Where score 3 starts, in guesses (log10), for the estimate made without separators below. */
const MIN_GUESSES_LOG10 = 8;

/**
 * Each run of separators is one of about ten characters an attacker's word-list rules try
 * between words: a factor of ten, where zxcvbn counts 10^4 for every extra piece of a password.
 */
const SEPARATORS = /[\s,;:|/\\_.-]+/g;
const SEPARATOR_GUESSES_LOG10 = 1;

/**
 * Bounds on the estimator's work, which grows fast with length. Its l33t matcher tries up to 100
 * substitutions by default (250 ms for a long password here); ten still find "P@ssw0rd". Only
 * the first 32 characters are matched (256 by default): a longer password is judged by them,
 * which can only make it look weaker, never stronger. A check then takes about 2 ms on average,
 * under 10 ms at p99; with 64 characters, p99 was 20 ms (docs/benchmarks.md).
 */
const OPTIONS = { l33tMaxSubstitutions: 10, maxLength: 32 } as const;

/** zxcvbn's warnings, worded to follow "The 'password' is too easy to guess: ". */
const WARNINGS: Record<keyof TranslationKeys["warnings"], string> = {
	straightRow: "straight rows of keys are easy to guess",
	keyPattern: "short keyboard patterns are easy to guess",
	simpleRepeat: 'repeated characters like "aaa" are easy to guess',
	extendedRepeat: 'repeated patterns like "abcabcabc" are easy to guess',
	sequences: 'sequences like "abc" or "6543" are easy to guess',
	recentYears: "recent years are easy to guess",
	dates: "dates are easy to guess",
	topTen: "this is a heavily used password",
	topHundred: "this is a frequently used password",
	common: "this is a commonly used password",
	similarToCommon: "this is similar to a commonly used password",
	wordByItself: "single words are easy to guess",
	namesByThemselves: "single names or surnames are easy to guess",
	commonNames: "common names and surnames are easy to guess",
	userInputs: "it holds your name or email address",
	pwned: "this password was exposed in a data breach"
};
const NO_WARNING = "add another word or two, uncommon ones";

let estimator: ZxcvbnFactory | undefined;

function zxcvbn(): ZxcvbnFactory {
	estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, ...OPTIONS });
	return estimator;
}

/** What zxcvbn should not find in the password: the email, its local part and the name, whole and word by word. */
function personalInputs(email?: string, name?: string): string[] {
	const local = email?.split("@")[0] ?? "";
	const words = [local, name ?? ""].flatMap(text => text.split(/[^\p{L}\p{N}]+/u)).filter(word => word.length >= 3);
	return [...new Set([email, local, name, ...words].filter((input): input is string => !!input).map(input => input.toLowerCase()))];
}

function tooGuessable(result: ZxcvbnResult): string {
	const warning = result.feedback.warning as keyof typeof WARNINGS | null;
	return `is too easy to guess: ${(warning && WARNINGS[warning]) || NO_WARNING}`;
}

/** The email's local part or the name, whole, in the password, separators aside ("olivia.owner", "OliviaOwner-7"). */
function holds(password: string, personal: string | undefined): boolean {
	const whole = personal?.toLowerCase().replace(SEPARATORS, "");
	return !!whole && whole.length >= 4 && password.toLowerCase().replace(SEPARATORS, "").includes(whole);
}

/**
 * Why a password is too weak, or null when it is acceptable: outside 10..128 characters,
 * holding the email's local part or the name, or below zxcvbn's score 3, with the user's email
 * and name counted as known to the attacker.
 *
 * zxcvbn rates "password-password" 10^8 guesses: each extra piece of a password costs 10^4 in
 * its model, so a separator between two words lifts them past score 2. Word-list attacks join
 * words with separators for almost nothing, so the password is judged again with its separators
 * taken out, each worth a factor of ten: "passwordpassword" is a repeat, refused, while
 * "Correct-Horse-Battery-9" and a random "Kx8-pQ2vLm" keep their strength.
 */
export function passwordWeakness(password: string, email?: string, name?: string): string | null {
	if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
	if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
	if (holds(password, email?.split("@")[0])) return "must not contain the email address";
	if (holds(password, name)) return "must not contain your name";
	const inputs = personalInputs(email, name);
	const whole = zxcvbn().check(password, inputs);
	if (whole.score < PASSWORD_MIN_SCORE) return tooGuessable(whole);
	const separators = password.match(SEPARATORS)?.length ?? 0;
	if (separators === 0) return null;
	const joined = zxcvbn().check(password.replace(SEPARATORS, ""), inputs);
	if (joined.guessesLog10 + separators * SEPARATOR_GUESSES_LOG10 < MIN_GUESSES_LOG10) return tooGuessable(joined);
	return null;
}
