/**
 * The recent latency of one action's remote calls: the last `size` answers, and a percentile of
 * them. A hedged read waits that long (its p90) before it sends a backup. A ring of samples
 * rather than a histogram: a hundred numbers are cheap to keep and to sort, and old samples
 * leave by themselves, so a node that got faster or slower is followed within `size` calls.
 */
export interface LatencyWindowOptions {
	/** Answers kept. */
	size: number;
	/** Fewer answers than this say nothing yet: `percentile` is undefined. */
	minSamples: number;
}

/** Sorting on every call would cost more than the call's own bookkeeping: every this many new samples. */
const RESORT_EVERY = 16;

export class LatencyWindow {
	private readonly samples: number[] = [];
	private next = 0;
	private sorted: number[] = [];
	private sinceSort = 0;

	constructor(private readonly opts: LatencyWindowOptions) {}

	/** One answer's latency, in ms. */
	add(ms: number): void {
		if (this.samples.length < this.opts.size) this.samples.push(ms);
		else this.samples[this.next] = ms;
		this.next = (this.next + 1) % this.opts.size;
		this.sinceSort++;
	}

	get count(): number {
		return this.samples.length;
	}

	/** The p-th percentile (0 to 100) of the samples kept, or undefined while there are too few. */
	percentile(p: number): number | undefined {
		if (this.samples.length < this.opts.minSamples) return undefined;
		if (this.sinceSort >= RESORT_EVERY || this.sorted.length < this.opts.minSamples) {
			this.sorted = [...this.samples].sort((a, b) => a - b);
			this.sinceSort = 0;
		}
		const rank = Math.ceil((p / 100) * this.sorted.length) - 1;
		return this.sorted[Math.min(this.sorted.length - 1, Math.max(0, rank))];
	}
}
