/**
 * A data service whose main collection carries an outbox (lib/channels/outbox.ts): after a
 * write that carried an event, `publishEvents(id)` publishes it at once, and every node of the
 * service sweeps each second for events left waiting (lib/channels/outbox-relay.ts). Mix in
 * after DbMixin, and give the collection OUTBOX_INDEX.
 */
import type { Service, ServiceSchema } from "moleculer";
import { OutboxRelay } from "../lib/channels/outbox-relay";
import { publishEvent } from "../lib/channels/publish";
import type { Store } from "../lib/store";

export interface OutboxMethods {
	/** Publishes the events the document `id` holds, without waiting for it. */
	publishEvents(id: string): void;
}

const SWEEP_INTERVAL_MS = 1000;

type Owner = Service & { adapter: Store; outbox?: OutboxRelay; outboxTimer?: NodeJS.Timeout; outboxSweep?: Promise<unknown> };

function relayOf(service: Owner): OutboxRelay {
	// JetStream drops a second publish with the same id within its duplicate window (two minutes).
	service.outbox ??= new OutboxRelay(service.adapter, (channel, event) => publishEvent(service.broker, channel, event, { msgID: event.eventId }), service.logger);
	return service.outbox;
}

export function OutboxMixin(): Partial<ServiceSchema> {
	return {
		methods: {
			publishEvents(this: Owner, id: string): void {
				relayOf(this).flush(id);
			}
		},

		started(this: Service) {
			const self = this as Owner;
			const relay = relayOf(self);
			self.outboxTimer = setInterval(() => {
				// One sweep at a time: a slow store must not stack them up.
				self.outboxSweep ??= relay
					.sweep()
					.catch((err: Error) => self.logger.debug("Outbox sweep failed:", err.message))
					.finally(() => (self.outboxSweep = undefined));
			}, SWEEP_INTERVAL_MS);
			self.outboxTimer.unref();
		},

		async stopped(this: Service) {
			const self = this as Owner;
			clearInterval(self.outboxTimer);
			await self.outboxSweep;
			await self.outbox?.drain();
		}
	};
}
