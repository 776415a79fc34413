/** The rate-limit library's public shapes, and the one store seam its parts share. */
import type { RateLimiterAbstract } from "rate-limiter-flexible";

export interface RateLimitVerdict {
	allowed: boolean;
	/** Points per window. */
	limit: number;
	/** Points left in this window, >= 0. */
	remaining: number;
	/** Seconds until the window resets (rounded up, >= 0). */
	resetSeconds: number;
}

export interface GatewayLimiters {
	/** Count one request for an anonymous client (key = IP) or an authenticated user (key = user id). */
	consume(kind: "anonymous" | "user", key: string): Promise<RateLimitVerdict>;
	/** Seconds the login for (email, ip) must wait, 0 when it may proceed. Does not consume. */
	loginRetryAfter(email: string, ip: string): Promise<number>;
	/** Record a failed login: counts per account+IP and per IP. */
	loginFailed(email: string, ip: string): Promise<void>;
	/** A successful login clears the account+IP failure counter. */
	loginSucceeded(email: string, ip: string): Promise<void>;
	/** Quit the Redis connection if one was opened. */
	close(): Promise<void>;
}

export interface LimiterLogger {
	info(...a: unknown[]): void;
	warn(...a: unknown[]): void;
	error(...a: unknown[]): void;
}

/** The calls made on one counter; the memory and the Redis store answer them alike. */
export type Counter = Pick<
	RateLimiterAbstract,
	"points" | "duration" | "consume" | "penalty" | "get" | "block" | "delete"
>;

/** Where counters live: this process, or a Redis shared by every gateway node. */
export interface CounterStore {
	/** `points` per `durationSeconds` window, its keys kept apart from other counters by `name`. */
	counter(name: string, points: number, durationSeconds: number): Counter;
	close(): Promise<void>;
}
