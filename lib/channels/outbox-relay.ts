/**
 * Publishes the events that wait in a collection's documents (outbox.ts) and removes them.
 *
 * Right after a write, the writer asks for its document (`flush`); every node running the
 * service also sweeps, each second, for documents whose events have waited past a grace
 * period: the writer died, or the publish failed (NATS away, no stream yet). Before
 * publishing, a relay claims the document with a conditional update that moves
 * `_outboxSince` into the future (a lease): another node's sweep skips it until the lease
 * runs out, so two nodes do not publish the same events side by side. A batch insert (an
 * import's hires) writes its documents already claimed, under a lease of the relay's, and
 * hands them to `publishClaimed`: the claim rides in the insert. Events are removed only
 * if no new one arrived meanwhile (`_outboxSeq` unchanged); otherwise they stay and go out
 * again with the new one.
 *
 * So publishing is at least once: a relay that dies after publishing and before removing, a
 * lease that runs out during a stuck publish, or two writers of one document, each publish an
 * event again. Consumers are idempotent by event id (handled.ts), and on NATS JetStream drops
 * a second publish of one event id within its two-minute duplicate window.
 */
import type { LoggerInstance } from "moleculer";
import type { Store } from "../store";
import type { DomainEvent } from "./events";
import type { OutboxFields, PendingEvent } from "./outbox";

export type Publish = (channel: string, event: DomainEvent) => Promise<void>;

export interface RelayTiming {
	/** A sweep leaves alone events younger than this: their writer is publishing them. */
	graceMs: number;
	/** How long a claim keeps other relays away. */
	leaseMs: number;
	/** Documents per sweep. */
	batch: number;
}

export const DEFAULT_TIMING: RelayTiming = { graceMs: 2000, leaseMs: 15_000, batch: 50 };

export interface RelayOptions {
	/**
	 * The collection's documents exist only to carry their events (an audit note, lib/audit/removal.ts):
	 * once the events are out, the document goes with them instead of staying behind, emptied, for ever.
	 */
	notes?: boolean;
}

type OutboxDoc = OutboxFields & { _id: string };

export class OutboxRelay {
	private readonly flushing = new Set<Promise<unknown>>();
	private lastWarning = 0;

	constructor(
		private readonly store: Store,
		private readonly publish: Publish,
		private readonly logger: LoggerInstance,
		private readonly timing: RelayTiming = DEFAULT_TIMING,
		private readonly options: RelayOptions = {}
	) {}

	/** Publishes what the document `id` holds, in the background; a failure waits for a sweep. */
	flush(id: string): void {
		const done = this.store
			.findById(id)
			.then((doc: OutboxDoc | null) => (doc?._outbox?.length ? this.relay(doc) : undefined))
			.catch(err => this.warn(`Events of ${id} not published yet (a sweep will retry):`, err))
			.finally(() => this.flushing.delete(done));
		this.flushing.add(done);
	}

	/**
	 * A lease for documents that their writer inserts already claimed (publishClaimed): no other
	 * claim shares it (the fraction), and no sweep takes them before it runs out.
	 */
	lease(): number {
		return Date.now() + this.timing.leaseMs + Math.random();
	}

	/**
	 * Publishes the events of documents inserted with `_outboxSince: lease`, from the documents as
	 * the writer wrote them: no read and no claim, only the removal. If this process dies first,
	 * a sweep publishes them once the lease has run out, as it does for a relay that died.
	 */
	publishClaimed(docs: OutboxDoc[], lease: number): void {
		const done = this.publishLeased(
			docs.filter(doc => doc._outbox?.length),
			lease
		)
			.catch(err => this.warn(`Events of ${docs.length} documents not published yet (a sweep will retry):`, err))
			.finally(() => this.flushing.delete(done));
		this.flushing.add(done);
	}

	/** Publishes events that waited past the grace period; answers how many documents it relayed. */
	async sweep(): Promise<number> {
		const due: OutboxDoc[] = await this.store.find({
			query: { _outboxSince: { $lte: Date.now() - this.timing.graceMs } },
			sort: ["_outboxSince"],
			limit: this.timing.batch
		});
		let relayed = 0;
		for (const doc of due) {
			try {
				if (await this.relay(doc)) relayed++;
			} catch (err) {
				this.warn(`Events of ${doc._id} not published yet:`, err);
			}
		}
		return relayed;
	}

	/** Waits for the flushes under way (a stopping service). */
	async drain(): Promise<void> {
		await Promise.all([...this.flushing]);
	}

	private async relay(doc: OutboxDoc): Promise<boolean> {
		const lease = Date.now() + this.timing.leaseMs;
		const claimed = await this.store.updateMany({ _id: doc._id, _outboxSince: doc._outboxSince }, { $set: { _outboxSince: lease } });
		if (claimed !== 1) return false;
		const events: PendingEvent[] = doc._outbox ?? [];
		const last = doc._outboxSeq ?? events.length;
		try {
			for (const [i, { channel, event }] of events.entries()) {
				await this.publish(channel, { ...event, seq: last - (events.length - 1 - i) });
			}
		} catch (err) {
			// Back to waiting, so the next sweep after the grace period tries again (not only after the lease).
			await this.store.updateMany({ _id: doc._id, _outboxSince: lease }, { $set: { _outboxSince: Date.now() } }).catch(() => undefined);
			throw err;
		}
		await this.clear({ _id: doc._id, _outboxSeq: doc._outboxSeq });
		return true;
	}

	/** The published events leave the documents `query` matches; notes go with them. */
	private clear(query: object): Promise<number> {
		return this.options.notes ? this.store.removeMany(query) : this.store.updateMany(query, { $unset: { _outbox: 1, _outboxSince: 1 } });
	}

	/** Removes the notes whose events went out before notes were removed with them (an older version's). */
	async removePublishedNotes(): Promise<number> {
		return this.options.notes ? this.store.removeMany({ _outboxSince: { $exists: false } }) : 0;
	}

	/** Publishes the events of documents claimed under `lease`, then removes them (but those that got a new event meanwhile). */
	private async publishLeased(docs: OutboxDoc[], lease: number): Promise<void> {
		if (docs.length === 0) return;
		const ids = docs.map(doc => doc._id);
		try {
			for (const doc of docs) {
				const events: PendingEvent[] = doc._outbox ?? [];
				const last = doc._outboxSeq ?? events.length;
				for (const [i, { channel, event }] of events.entries()) {
					await this.publish(channel, { ...event, seq: last - (events.length - 1 - i) });
				}
			}
		} catch (err) {
			// Back to waiting, so the next sweep after the grace period tries again (not only after the lease).
			await this.store.updateMany({ _id: { $in: ids }, _outboxSince: lease }, { $set: { _outboxSince: Date.now() } }).catch(() => undefined);
			throw err;
		}
		// A document that got a new event meanwhile has a new `_outboxSince` (updateWithEvent): it keeps its events.
		await this.clear({ _id: { $in: ids }, _outboxSince: lease });
	}

	/** At most one line every 10 s: a NATS outage would otherwise log one per document per second. */
	private warn(message: string, err: unknown): void {
		if (Date.now() - this.lastWarning < 10_000) return;
		this.lastWarning = Date.now();
		this.logger.warn(message, (err as Error).message);
	}
}
