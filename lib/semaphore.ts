/**
 * A semaphore with a bounded queue: at most `concurrency` tasks run at once, at most `maxQueue`
 * wait, first come first served; past that, run() rejects at once with the caller's error.
 * A waiting task may carry a deadline (its caller's timeout): once that has passed it is dropped
 * instead of started, so a slow queue does no work for callers that have given up.
 *
 * Written here rather than taken from npm: p-limit and p-queue bound nothing (a full queue is
 * the caller's check on pendingCount, which p-limit only settles a microtask later, so a burst
 * arriving in one tick reads it wrong) and are ESM-only; async-sema has no bound either.
 * Here the counts change synchronously, so the bound holds for any burst.
 */
import { performance } from "node:perf_hooks";

/** Why a task was not run: the queue was full, or its deadline passed while it waited. */
export type Refusal = "full" | "expired";

interface Waiter {
	deadline: number;
	start(): void;
	expire(): void;
}

export class BoundedSemaphore {
	private active = 0;
	private waiting: Waiter[] = [];

	constructor(
		readonly concurrency: number,
		readonly maxQueue: number
	) {
		if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number >= 1 (got ${concurrency})`);
		if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError(`maxQueue must be a whole number >= 0 (got ${maxQueue})`);
	}

	/** Tasks running now. */
	get running(): number {
		return this.active;
	}

	/** Tasks waiting for a slot. */
	get queued(): number {
		return this.waiting.length;
	}

	/**
	 * Runs `task` in a free slot, or after the tasks queued before it. Rejects with `refuse("full")`
	 * past the queue, and with `refuse("expired")` when `deadline` (performance.now() time) passes
	 * before a slot does.
	 */
	async run<T>(task: () => Promise<T>, refuse: (why: Refusal) => Error = why => new Error(`Not run: ${why}`), deadline = Infinity): Promise<T> {
		if (this.active < this.concurrency) {
			this.active++;
		} else {
			if (this.waiting.length >= this.maxQueue) this.dropExpired();
			if (this.waiting.length >= this.maxQueue) throw refuse("full");
			// release() hands its slot over: `active` already counts this task when it resumes.
			await new Promise<void>((start, reject) => this.waiting.push({ deadline, start, expire: () => reject(refuse("expired")) }));
		}
		try {
			return await task();
		} finally {
			this.release();
		}
	}

	private release(): void {
		for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
			if (next.deadline > performance.now()) return next.start();
			next.expire();
		}
		this.active--;
	}

	private dropExpired(): void {
		const now = performance.now();
		const expired = this.waiting.filter(w => w.deadline <= now);
		if (expired.length === 0) return;
		this.waiting = this.waiting.filter(w => w.deadline > now);
		for (const waiter of expired) waiter.expire();
	}
}
