/**
 * Knows, call by call, whether Redis or the in-process insurance answered, and logs the
 * switch between them once each way. A log line per request would flood the logs during an
 * outage; and connection events alone would miss failures that leave the connection open,
 * such as commands timing out against a stalled Redis.
 */
import { RateLimiterRes } from "rate-limiter-flexible";
import type { LimiterLogger } from "./types";

export type CallOptions = { [key: string]: unknown };

export const FALLBACK_MESSAGE = "Redis rate-limit store unreachable, using in-process limits";
export const RECOVERED_MESSAGE = "Redis rate-limit store reachable again, limits are shared across nodes";

export class StoreHealth {
	private usingFallback = false;
	/** Until the first connection is made or fails, the insurance answering is expected, not news. */
	private connecting = true;
	private lastError: string | undefined;
	/**
	 * The options objects of the calls the insurance answered. rate-limiter-flexible hands the
	 * insurance the caller's own options object, which makes it a per-call marker.
	 */
	private readonly insured = new WeakSet<object>();

	constructor(private readonly logger: LimiterLogger) {}

	noteReady(): void {
		this.connecting = false;
		this.lastError = undefined;
	}

	/** Kept to explain the next fallback; not logged, as ioredis reports every reconnect attempt. */
	noteError(err: Error): void {
		this.connecting = false;
		this.lastError = err.message;
	}

	/**
	 * Why the counters are not shared right now, or undefined when Redis answers. `connection`
	 * is the client's state: a connection lost is news before any call has fallen back.
	 */
	degraded(connection: string): string | undefined {
		if (connection !== "ready") return `Redis ${connection}${this.lastError ? ` (${this.lastError})` : ""}, limits are per node`;
		if (this.usingFallback) return "Redis does not answer, limits are per node";
		return undefined;
	}

	/** The insurance calls this for each call it answers in place of Redis. */
	insuring(options: object): void {
		this.insured.add(options);
		if (this.usingFallback || this.connecting) return;
		this.usingFallback = true;
		if (this.lastError) this.logger.warn(FALLBACK_MESSAGE, `(${this.lastError})`);
		else this.logger.warn(FALLBACK_MESSAGE);
	}

	/** Runs one limiter call with an options object of its own, then notes who answered it. */
	async watch<T>(call: (options: CallOptions) => Promise<T>, given?: CallOptions): Promise<T> {
		const options: CallOptions = { ...given };
		try {
			const result = await call(options);
			this.answered(options);
			return result;
		} catch (err) {
			// Over the limit is an answer too; only an Error means that no store answered.
			if (err instanceof RateLimiterRes) this.answered(options);
			throw err;
		}
	}

	private answered(options: object): void {
		if (!this.usingFallback || this.insured.has(options)) return;
		this.usingFallback = false;
		this.lastError = undefined;
		this.logger.info(RECOVERED_MESSAGE);
	}
}
