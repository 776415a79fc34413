/**
 * A token bucket in this process: `ratePerSecond` tokens a second, at most `burst` kept, one
 * spent per call. Used by the callers of an action that declares `callerRateLimit`
 * (middlewares/caller-rate-limit.middleware.ts); time is passed in, so tests need no clock.
 */
export interface TokenBucketLimit {
	ratePerSecond: number;
	burst: number;
}

export class TokenBucket {
	private tokens: number;
	private refilledAt: number;

	constructor(
		readonly limit: TokenBucketLimit,
		now: number
	) {
		this.tokens = limit.burst;
		this.refilledAt = now;
	}

	/** Spends a token: 0 when there was one, otherwise the ms until there is. */
	take(now: number): number {
		const elapsed = Math.max(0, now - this.refilledAt);
		this.tokens = Math.min(this.limit.burst, this.tokens + (elapsed * this.limit.ratePerSecond) / 1000);
		this.refilledAt = now;
		if (this.tokens >= 1) {
			this.tokens -= 1;
			return 0;
		}
		return Math.ceil(((1 - this.tokens) * 1000) / this.limit.ratePerSecond);
	}
}
