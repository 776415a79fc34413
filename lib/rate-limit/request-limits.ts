/** Counting one API request against its client's counter, as a verdict the gateway can send. */
import { RateLimiterRes } from "rate-limiter-flexible";
import type { Counter, LimiterLogger, RateLimitVerdict } from "./types";

function verdict(allowed: boolean, counter: Counter, res: RateLimiterRes): RateLimitVerdict {
	return {
		allowed,
		limit: counter.points,
		remaining: Math.max(res.remainingPoints, 0),
		// msBeforeNext is -1 for a key that never expires; ours always do, but never send -1.
		resetSeconds: Math.max(Math.ceil(res.msBeforeNext / 1000), 0)
	};
}

export async function countRequest(counter: Counter, key: string, logger: LimiterLogger): Promise<RateLimitVerdict> {
	try {
		return verdict(true, counter, await counter.consume(key));
	} catch (rejection) {
		// rate-limiter-flexible rejects with a RateLimiterRes when the key is over its limit.
		if (rejection instanceof RateLimiterRes) return verdict(false, counter, rejection);
		// Neither Redis nor the in-process insurance answered, which should not happen: the API
		// staying up matters more than one unlimited request.
		logger.error("Rate limiter failed, letting the request through:", rejection);
		return { allowed: true, limit: counter.points, remaining: counter.points, resetSeconds: counter.duration };
	}
}
