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

/** While the insurance answers, one call this often still goes to Redis, to find out that it answers again. */
const PROBE_INTERVAL_MS = 1000;

export class StoreHealth {
	private usingFallback = false;
	/** Until the first connection is made or fails, the insurance answering is expected, not news. */
	private connecting = true;
	private lastError: string | undefined;
	/** While falling back: when the next call may go to Redis. */
	private nextProbeAt = 0;
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

	/**
	 * Whether a call should go straight to the insurance: while it answers for Redis, but for one
	 * call a second. A stalled Redis keeps its connection open, so every call sent to it would wait
	 * the whole command timeout before the insurance answered: every request 500 ms slower.
	 */
	skipRedis(): boolean {
		if (!this.usingFallback) return false;
		if (Date.now() < this.nextProbeAt) return true;
		this.nextProbeAt = Date.now() + PROBE_INTERVAL_MS;
		return false;
	}

	/** The insurance calls this for each call it answers in place of Redis. */
	insuring(options: object): void {
		this.insured.add(options);
		if (!this.usingFallback) this.nextProbeAt = Date.now() + PROBE_INTERVAL_MS;
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
