/**
 * What the password strength check (zxcvbn) costs a signup or a new user, in this process.
 *
 *   npm run bench:password-strength        (ROUNDS=5; each round checks the same 300 passwords)
 *
 * Times the first check (loading the estimator: its dictionaries are ranked then), then every
 * check of a mix of 300 passwords a round: random ones of 24 characters (a password manager's), short
 * passphrases, common ones that are refused, and long ones of up to 128 characters (the worst
 * case: the estimator looks at the first 32). Prints p50, p90, p99, max and mean per round, and
 * the medians over the rounds.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { passwordWeakness } from "../lib/auth/password-strength";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const EMAIL = "someone.else@example.test";
const NAME = "Some One Else";

const mix: string[] = [];
for (let i = 0; i < 60; i++) {
	mix.push(randomBytes(18).toString("base64url"), `Sturdy-Password-${i}`, `Glacier-Otter-Mango-${i}`, `Password${i}!`);
	mix.push(i % 2 ? randomBytes(96).toString("base64url").slice(0, 128) : `correct horse battery staple ${i} `.repeat(5).slice(0, 128));
}

const round = (ms: number) => Math.round(ms * 100) / 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const started = performance.now();
passwordWeakness("First-Check-Password-1", EMAIL, NAME);
console.log(`first check (builds the estimator): ${round(performance.now() - started)} ms`);

const rows: Record<string, number>[] = [];
for (let r = 0; r < ROUNDS; r++) {
	const times = mix.map(password => {
		const at = performance.now();
		passwordWeakness(password, EMAIL, NAME);
		return performance.now() - at;
	});
	const sorted = [...times].sort((a, b) => a - b);
	const at = (q: number) => round(sorted[Math.floor(q * (sorted.length - 1))]);
	rows.push({ p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean: round(times.reduce((a, b) => a + b) / times.length) });
}
console.table(rows);
const keys = Object.keys(rows[0]);
console.log("median of rounds (ms):", Object.fromEntries(keys.map(key => [key, median(rows.map(row => row[key]))])));
