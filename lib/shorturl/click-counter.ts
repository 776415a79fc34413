/**
 * Clicks on short links, counted without slowing the redirect: a redirect only bumps a number
 * in this node's memory; every second the node adds what it counted to one document per
 * (link, UTC day) in the shared store, with an atomic $inc. Every node adds into the same
 * documents, so two nodes count into the same totals.
 *
 * Why batched rather than one background write per click: a popular link then costs the store
 * one write per node per second instead of one per click, and a burst of redirects never queues
 * behind the database. The price: a node killed with SIGKILL loses at most its last second of
 * counts (a clean stop flushes them). Clicks are statistics nobody was promised; a redirect
 * never waits for, or fails because of, counting. While the store is unreachable the counts stay
 * here and go out with a later flush (one entry per link and day, so memory stays bounded by
 * the links clicked, not by the clicks).
 */
import { type Store, isUniqueViolation } from "../store";

export const CLICK_FLUSH_MS = 1000;

export interface ClickDoc {
	/** `<linkId>:<day>`: one document per link and day, so parallel first clicks cannot make two. */
	_id: string;
	linkId: string;
	tenantId: string | null;
	/** UTC day, YYYY-MM-DD. */
	day: string;
	clicks: number;
}

interface Pending {
	linkId: string;
	tenantId: string | null;
	day: string;
	clicks: number;
}

export class ClickCounter {
	private pending = new Map<string, Pending>();
	private timer?: NodeJS.Timeout;
	private flushing?: Promise<void>;
	private failing = false;

	constructor(
		private readonly store: Store,
		private readonly warn: (message: string) => void,
		private readonly intervalMs = CLICK_FLUSH_MS
	) {}

	/** Counts one click now; never throws, never waits. */
	count(link: { id: string; tenantId: string | null }, at = new Date()): void {
		const day = at.toISOString().slice(0, 10);
		const key = `${link.id}:${day}`;
		const entry = this.pending.get(key);
		if (entry) entry.clicks++;
		else this.pending.set(key, { linkId: link.id, tenantId: link.tenantId, day, clicks: 1 });
	}

	start(): void {
		this.timer = setInterval(() => void this.flush(), this.intervalMs);
		this.timer.unref();
	}

	/** Stops the timer and writes what is left. */
	async stop(): Promise<void> {
		clearInterval(this.timer);
		await this.flush();
	}

	/** Adds the counts so far to the store; one flush at a time (a slow store skips ticks, it does not pile them up). */
	flush(): Promise<void> {
		this.flushing ??= this.writePending().finally(() => (this.flushing = undefined));
		return this.flushing;
	}

	private async writePending(): Promise<void> {
		if (this.pending.size === 0) return;
		const batch = this.pending;
		this.pending = new Map();
		let failed = 0;
		for (const [key, entry] of batch) {
			try {
				await this.add(key, entry);
			} catch (err) {
				failed++;
				// Back into the counts, to go out with a later flush.
				const later = this.pending.get(key);
				if (later) later.clicks += entry.clicks;
				else this.pending.set(key, entry);
				if (!this.failing) this.warn(`Could not store short-link clicks, keeping them for the next flush: ${(err as Error).message}`);
			}
		}
		this.failing = failed > 0;
	}

	/** An atomic increment of the day's document, created by whichever node gets there first. */
	private async add(key: string, entry: Pending): Promise<void> {
		const increment = { $inc: { clicks: entry.clicks } };
		if ((await this.store.updateMany({ _id: key }, increment)) > 0) return;
		const doc: ClickDoc = { _id: key, linkId: entry.linkId, tenantId: entry.tenantId, day: entry.day, clicks: entry.clicks };
		try {
			await this.store.insert(doc);
		} catch (err) {
			// Another node created it meanwhile: add to theirs.
			if (!isUniqueViolation(err)) throw err;
			await this.store.updateMany({ _id: key }, increment);
		}
	}
}
