/**
 * A semaphore with a bounded queue: at most `concurrency` tasks run at once, at most `maxQueue`
 * wait, first come first served; past that, run() rejects at once with the caller's error.
 *
 * Written here rather than taken from npm: p-limit and p-queue bound nothing (a full queue is
 * the caller's check on pendingCount, which p-limit only settles a microtask later, so a burst
 * arriving in one tick reads it wrong) and are ESM-only; async-sema has no bound either.
 * Here the counts change synchronously, so the bound holds for any burst.
 */
export class BoundedSemaphore {
	private active = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(readonly concurrency: number, readonly maxQueue: number) {
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

	/** Runs `task` in a free slot, or after the tasks queued before it; `full()` is thrown past the queue. */
	async run<T>(task: () => Promise<T>, full: () => Error = () => new Error("The queue is full")): Promise<T> {
		if (this.active < this.concurrency) {
			this.active++;
		} else {
			if (this.waiting.length >= this.maxQueue) throw full();
			// release() hands its slot over: `active` already counts this task when it resumes.
			await new Promise<void>(resolve => this.waiting.push(resolve));
		}
		try {
			return await task();
		} finally {
			this.release();
		}
	}

	private release(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.active--;
	}
}
