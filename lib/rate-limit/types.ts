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
	/**
	 * Before a login is checked: reserves a failure on the account+IP and the IP counters, and
	 * answers 0 when the login may go ahead (the points stay reserved until one of the three
	 * calls below), or the seconds it must wait (nothing stays reserved).
	 */
	loginAttempt(email: string, ip: string): Promise<number>;
	/** The reserved login failed: its points stay counted, and may block for a whole window. */
	loginFailed(email: string, ip: string): Promise<void>;
	/** The reserved login succeeded: clears the account+IP count and gives the IP's point back. */
	loginSucceeded(email: string, ip: string): Promise<void>;
	/** The reserved login ended before its password was checked: gives both points back. */
	loginAborted(email: string, ip: string): Promise<void>;
	/** Where the counters live, and whether Redis answers: for the gateway's readiness. */
	storeStatus(): StoreStatus;
	/** Quit the Redis connection if one was opened. */
	close(): Promise<void>;
}

/** In this process by design, or in Redis; `degraded` says why Redis is not answering now. */
export type StoreStatus = { store: "memory" } | { store: "redis"; degraded?: string };

export interface LimiterLogger {
	info(...a: unknown[]): void;
	warn(...a: unknown[]): void;
	error(...a: unknown[]): void;
}

/** The calls made on one counter; the memory and the Redis store answer them alike. */
export type Counter = Pick<RateLimiterAbstract, "points" | "duration" | "consume" | "penalty" | "reward" | "get" | "block" | "delete">;

/** Where counters live: this process, or a Redis shared by every gateway node. */
export interface CounterStore {
	/** `points` per `durationSeconds` window, its keys kept apart from other counters by `name`. */
	counter(name: string, points: number, durationSeconds: number): Counter;
	status(): StoreStatus;
	close(): Promise<void>;
}
