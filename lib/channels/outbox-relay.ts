/**
 * Publishes the events that wait in a collection's documents (outbox.ts) and removes them.
 *
 * Right after a write, the writer asks for its document (`flush`); every node running the
 * service also sweeps, each second, for documents whose events have waited past a grace
 * period: the writer died, or the publish failed (NATS away, no stream yet). Before
 * publishing, a relay claims the document with a conditional update that moves
 * `_outboxSince` into the future (a lease): another node's sweep skips it until the lease
 * runs out, so two nodes do not publish the same events side by side. Events are removed only
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

type OutboxDoc = OutboxFields & { _id: string };

export class OutboxRelay {
	private readonly flushing = new Set<Promise<unknown>>();
	private lastWarning = 0;

	constructor(
		private readonly store: Store,
		private readonly publish: Publish,
		private readonly logger: LoggerInstance,
		private readonly timing: RelayTiming = DEFAULT_TIMING
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
	 * flush for many documents written together (a batch insert that gave them one `_outboxSince`):
	 * one read, one claim and one removal for all of them instead of three writes each.
	 */
	flushMany(ids: string[]): void {
		const done = this.store
			.find({ query: { _id: { $in: ids } } })
			.then((docs: OutboxDoc[]) => this.relayMany(docs.filter(doc => doc._outbox?.length)))
			.catch(err => this.warn(`Events of ${ids.length} documents not published yet (a sweep will retry):`, err))
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
		await this.store.updateMany({ _id: doc._id, _outboxSeq: doc._outboxSeq }, { $unset: { _outbox: 1, _outboxSince: 1 } });
		return true;
	}

	/** relay for documents that wait since the same instant, claimed together. */
	private async relayMany(docs: OutboxDoc[]): Promise<void> {
		const since = docs[0]?._outboxSince;
		const together = docs.filter(doc => doc._outboxSince === since);
		for (const doc of docs.filter(doc => doc._outboxSince !== since)) await this.relay(doc);
		if (together.length <= 1) {
			if (together.length === 1) await this.relay(together[0]);
			return;
		}
		// A lease no other claim can share (the fraction), so the claimed documents can be told apart
		// when a sweep took some of them first.
		const lease = Date.now() + this.timing.leaseMs + Math.random();
		const ids = together.map(doc => doc._id);
		const claimed = await this.store.updateMany({ _id: { $in: ids }, _outboxSince: since }, { $set: { _outboxSince: lease } });
		if (claimed === 0) return;
		const mine: OutboxDoc[] = claimed === together.length ? together : await this.store.find({ query: { _id: { $in: ids }, _outboxSince: lease } });
		const mineIds = mine.map(doc => doc._id);
		try {
			for (const doc of mine) {
				const events: PendingEvent[] = doc._outbox ?? [];
				const last = doc._outboxSeq ?? events.length;
				for (const [i, { channel, event }] of events.entries()) {
					await this.publish(channel, { ...event, seq: last - (events.length - 1 - i) });
				}
			}
		} catch (err) {
			await this.store.updateMany({ _id: { $in: mineIds }, _outboxSince: lease }, { $set: { _outboxSince: Date.now() } }).catch(() => undefined);
			throw err;
		}
		// A document that got a new event meanwhile has a new `_outboxSince` (updateWithEvent): it keeps its events.
		await this.store.updateMany({ _id: { $in: mineIds }, _outboxSince: lease }, { $unset: { _outbox: 1, _outboxSince: 1 } });
	}

	/** At most one line every 10 s: a NATS outage would otherwise log one per document per second. */
	private warn(message: string, err: unknown): void {
		if (Date.now() - this.lastWarning < 10_000) return;
		this.lastWarning = Date.now();
		this.logger.warn(message, (err as Error).message);
	}
}
