/**
 * Brute-force protection for the login: failed attempts are counted per account from one IP
 * (a guessed password) and per IP over all accounts (one client trying many accounts). Once a
 * counter reaches its maximum, logins it covers wait a whole window.
 */
import type { RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitConfig } from "../config";
import type { Counter, CounterStore } from "./types";

export interface LoginThrottle {
	retryAfter(email: string, ip: string): Promise<number>;
	failed(email: string, ip: string): Promise<void>;
	succeeded(email: string, ip: string): Promise<void>;
}

/** The IP goes first: it holds no "|", so no email can make two pairs share a key. */
function accountKey(email: string, ip: string): string {
	return `${ip}|${email.trim().toLowerCase()}`;
}

/** Seconds left on a counter's block, 0 when it is below its maximum. */
function blockedFor(res: RateLimiterRes | null, counter: Counter): number {
	if (res === null || res.consumedPoints < counter.points) return 0;
	return Math.max(Math.ceil(res.msBeforeNext / 1000), 0);
}

async function countFailure(counter: Counter, key: string): Promise<void> {
	const res = await counter.penalty(key);
	// The failure that reaches the maximum blocks for a whole window, not for whatever is left
	// of the window the first failure opened. Later failures leave that block as it is.
	if (res.consumedPoints === counter.points) await counter.block(key, counter.duration);
}

export function loginThrottle(store: CounterStore, config: RateLimitConfig): LoginThrottle {
	const byAccount = store.counter("login:account", config.loginFailsPerAccount, config.loginWindowSeconds);
	const byIp = store.counter("login:ip", config.loginFailsPerIp, config.loginWindowSeconds);
	return {
		async retryAfter(email, ip) {
			const [account, fromIp] = await Promise.all([byAccount.get(accountKey(email, ip)), byIp.get(ip)]);
			return Math.max(blockedFor(account, byAccount), blockedFor(fromIp, byIp));
		},
		async failed(email, ip) {
			await Promise.all([countFailure(byAccount, accountKey(email, ip)), countFailure(byIp, ip)]);
		},
		async succeeded(email, ip) {
			await byAccount.delete(accountKey(email, ip));
		}
	};
}
