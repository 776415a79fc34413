/**
 * The gateway's rate limits: requests per anonymous client and per user, and failed logins.
 * Counters live in Redis when one is configured, so every gateway node enforces one limit,
 * and in this process otherwise.
 */
import type { RateLimitConfig } from "../config";
import { loginThrottle } from "./login-throttle";
import { memoryStore } from "./memory-store";
import { redisStore } from "./redis-store";
import { countRequest } from "./request-limits";
import type { GatewayLimiters, LimiterLogger } from "./types";

export type { GatewayLimiters, LimiterLogger, RateLimitVerdict, StoreStatus } from "./types";
export { FALLBACK_MESSAGE, RECOVERED_MESSAGE } from "./store-health";

export const DEFAULT_KEY_PREFIX = "roster:rl";

export function createGatewayLimiters(opts: { config: RateLimitConfig; redisUrl?: string; keyPrefix?: string; logger: LimiterLogger }): GatewayLimiters {
	const { config, redisUrl, logger } = opts;
	const keyPrefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX;
	const store = redisUrl ? redisStore(redisUrl, keyPrefix, logger) : memoryStore(keyPrefix);
	const requests = {
		anonymous: store.counter("anonymous", config.anonymousPoints, config.windowSeconds),
		user: store.counter("user", config.userPoints, config.windowSeconds)
	};
	const logins = loginThrottle(store, config);
	return {
		consume: (kind, key) => countRequest(requests[kind], key, logger),
		loginAttempt: (email, ip) => logins.attempt(email, ip),
		loginFailed: (email, ip) => logins.failed(email, ip),
		loginSucceeded: (email, ip) => logins.succeeded(email, ip),
		loginAborted: (email, ip) => logins.aborted(email, ip),
		storeStatus: () => store.status(),
		close: () => store.close()
	};
}
