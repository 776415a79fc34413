/**
 * A data service whose collections carry an outbox (lib/channels/outbox.ts): after a write that
 * carried an event, `publishEvents(id)` publishes it at once, and every node of the service
 * sweeps each second for events left waiting (lib/channels/outbox-relay.ts). Mix in after
 * DbMixin, and give each such collection OUTBOX_INDEX. The main collection has an outbox unless
 * `main: false`; name further ones with `collections`.
 */
import type { Service, ServiceSchema } from "moleculer";
import { DEFAULT_TIMING, OutboxRelay } from "../lib/channels/outbox-relay";
import { publishEvent } from "../lib/channels/publish";
import type { DbService } from "./db.mixin";

export interface OutboxMethods {
	/** Publishes the events the document `id` of `collection` (the main one when omitted) holds, without waiting for it. */
	publishEvents(id: string, collection?: string): void;
	/** A lease under which a batch insert claims its documents' events for publishClaimed (the relay's claim, in the insert). */
	outboxLease(collection?: string): number;
	/** Publishes the events of documents just inserted with `_outboxSince: lease` (outboxLease), from the documents as written. */
	publishClaimed(docs: Array<{ _id: string }>, lease: number, collection?: string): void;
}

export interface OutboxOptions {
	/** Whether the main collection's documents carry events (its relay sweeps each second): true by default. */
	main?: boolean;
	/** Further collections (by name) whose documents carry events. */
	collections?: string[];
	/** Collections (by name) whose documents exist only to carry events (audit notes): removed once published. */
	notes?: string[];
}

const SWEEP_INTERVAL_MS = 1000;
const MAIN = "";

type Owner = DbService & { outboxes?: Map<string, OutboxRelay>; outboxTimer?: NodeJS.Timeout; outboxSweep?: Promise<unknown> };

function relaysOf(service: Owner, options: OutboxOptions): Map<string, OutboxRelay> {
	if (!service.outboxes) {
		// JetStream drops a second publish with the same id within its duplicate window (two minutes).
		const relay = (store: DbService["adapter"], notes = false) =>
			new OutboxRelay(store, (channel, event) => publishEvent(service.broker, channel, event, { msgID: event.eventId }), service.logger, DEFAULT_TIMING, {
				notes
			});
		service.outboxes = new Map(options.main === false ? [] : [[MAIN, relay(service.adapter)]]);
		for (const name of options.collections ?? []) service.outboxes.set(name, relay(service.store(name)));
		for (const name of options.notes ?? []) service.outboxes.set(name, relay(service.store(name), true));
	}
	return service.outboxes;
}

function relayOf(service: Owner, options: OutboxOptions, collection: string | undefined): OutboxRelay {
	const relay = relaysOf(service, options).get(collection ?? MAIN);
	if (!relay) throw new Error(`The collection '${collection}' has no outbox (OutboxMixin collections)`);
	return relay;
}

export function OutboxMixin(options: OutboxOptions = {}): Partial<ServiceSchema> {
	return {
		methods: {
			publishEvents(this: Owner, id: string, collection?: string): void {
				relayOf(this, options, collection).flush(id);
			},

			outboxLease(this: Owner, collection?: string): number {
				return relayOf(this, options, collection).lease();
			},

			publishClaimed(this: Owner, docs: Array<{ _id: string }>, lease: number, collection?: string): void {
				if (docs.length > 0) relayOf(this, options, collection).publishClaimed(docs, lease);
			}
		},

		started(this: Service) {
			const self = this as Owner;
			const relays = [...relaysOf(self, options).values()];
			// In the background, as a first sweep: a start does not wait on it.
			self.outboxSweep = Promise.all(relays.map(relay => relay.removePublishedNotes()))
				.catch((err: Error) => self.logger.debug("Removing published notes failed:", err.message))
				.finally(() => (self.outboxSweep = undefined));
			self.outboxTimer = setInterval(() => {
				// One sweep at a time: a slow store must not stack them up.
				self.outboxSweep ??= Promise.all(relays.map(relay => relay.sweep()))
					.catch((err: Error) => self.logger.debug("Outbox sweep failed:", err.message))
					.finally(() => (self.outboxSweep = undefined));
			}, SWEEP_INTERVAL_MS);
			self.outboxTimer.unref();
		},

		async stopped(this: Service) {
			const self = this as Owner;
			clearInterval(self.outboxTimer);
			await self.outboxSweep;
			await Promise.all([...(self.outboxes?.values() ?? [])].map(relay => relay.drain()));
		}
	};
}
