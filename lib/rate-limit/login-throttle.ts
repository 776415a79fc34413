/**
 * Brute-force protection for the login: failed attempts are counted per account from one IP
 * (a guessed password) and per IP over all accounts (one client trying many accounts).
 *
 * Each attempt reserves its failure before the password is checked, in one atomic step per
 * counter: a check made first and a failure counted after the call would let every attempt
 * in flight pass the check. A success, or an attempt that never reached the password check,
 * gives its point back. Once a counter's maximum is reached, the logins it covers wait a
 * whole window.
 */
import type { RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitConfig } from "../config";
import type { Counter, CounterStore } from "./types";

export interface LoginThrottle {
	attempt(email: string, ip: string): Promise<number>;
	failed(email: string, ip: string): Promise<void>;
	succeeded(email: string, ip: string): Promise<void>;
	aborted(email: string, ip: string): Promise<void>;
}

/**
 * One limit on failures. `reserved` holds the failures plus the attempts in flight, and is only
 * ever added to or given back, never overwritten: a block written over it would forget points
 * that attempts in flight give back later, and let as many extra attempts through. So the
 * block is a flag of its own, which can last a whole window from the failure that set it.
 */
interface FailureLimit {
	reserved: Counter;
	blocked: Counter;
}

/** The names differ before their first ":", so no key of one can be a key of the other. */
function failureLimit(store: CounterStore, name: string, points: number, windowSeconds: number): FailureLimit {
	return {
		reserved: store.counter(name, points, windowSeconds),
		// block() raises it over its one point for the time given.
		blocked: store.counter(`${name}-block`, 1, windowSeconds)
	};
}

/** The IP goes first: it holds no "|", so no email can make two pairs share a key. */
function accountKey(email: string, ip: string): string {
	return `${ip}|${email.trim().toLowerCase()}`;
}

/** At least a second: a caller told 0 would go ahead without a point reserved. */
function secondsLeft(res: RateLimiterRes): number {
	return Math.max(Math.ceil(res.msBeforeNext / 1000), 1);
}

/** Reserves one point; answers the seconds to wait, 0 when this limit lets the attempt go ahead. */
async function reserve(limit: FailureLimit, key: string): Promise<number> {
	const [reserved, blocked] = await Promise.all([limit.reserved.penalty(key), limit.blocked.get(key)]);
	const over = reserved.consumedPoints > limit.reserved.points ? secondsLeft(reserved) : 0;
	const flagged = blocked !== null && blocked.consumedPoints > limit.blocked.points ? secondsLeft(blocked) : 0;
	return Math.max(over, flagged);
}

/**
 * Attempts still in flight count here as they did when reserving: the maximum is reached once
 * no further attempt could go ahead. A failure in flight when the block was set renews it, so
 * the block may outlast its window by the time one login takes.
 */
async function blockIfReached(limit: FailureLimit, key: string): Promise<void> {
	const res = await limit.reserved.get(key);
	if (res !== null && res.consumedPoints >= limit.reserved.points) await limit.blocked.block(key, limit.reserved.duration);
}

export function loginThrottle(store: CounterStore, config: RateLimitConfig): LoginThrottle {
	const byAccount = failureLimit(store, "login:account", config.loginFailsPerAccount, config.loginWindowSeconds);
	const byIp = failureLimit(store, "login:ip", config.loginFailsPerIp, config.loginWindowSeconds);
	const limits = (email: string, ip: string): Array<[FailureLimit, string]> => [
		[byAccount, accountKey(email, ip)],
		[byIp, ip]
	];
	const giveBack = async (email: string, ip: string): Promise<void> => {
		await Promise.all(limits(email, ip).map(([limit, key]) => limit.reserved.reward(key)));
	};
	return {
		async attempt(email, ip) {
			const waits = await Promise.all(limits(email, ip).map(([limit, key]) => reserve(limit, key)));
			const wait = Math.max(...waits);
			// A refused attempt costs nothing: retrying a blocked account must not use up the IP's.
			if (wait > 0) await giveBack(email, ip);
			return wait;
		},
		async failed(email, ip) {
			await Promise.all(limits(email, ip).map(([limit, key]) => blockIfReached(limit, key)));
		},
		async succeeded(email, ip) {
			const key = accountKey(email, ip);
			await Promise.all([byAccount.reserved.delete(key), byAccount.blocked.delete(key), byIp.reserved.reward(ip)]);
		},
		aborted: giveBack
	};
}
