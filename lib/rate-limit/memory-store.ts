/** Counters in this process: the store when no Redis is configured (one node, dev, tests). */
import { RateLimiterMemory } from "rate-limiter-flexible";
import type { CounterStore } from "./types";

export function memoryStore(keyPrefix: string): CounterStore {
	return {
		counter: (name, points, duration) => new RateLimiterMemory({ keyPrefix: `${keyPrefix}:${name}`, points, duration }),
		status: () => ({ store: "memory" }),
		// Nothing to release: expiry timers in RateLimiterMemory are unref'd.
		close: async () => undefined
	};
}
