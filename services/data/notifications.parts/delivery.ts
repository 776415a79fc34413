/**
 * Email and text messages: the consumer of the delivery events that inbox entries carry in
 * their outbox (feed.ts). A send that fails throws, so the channel retries it with growing
 * waits and, past CHANNEL_MAX_RETRIES, moves it to the dead-letter queue, from which an admin
 * replays it once the cause is fixed (GET/POST /admin/dead-letters): never silently dropped.
 *
 * Once in effect: handleOnce records a sent delivery, so a redelivery or a second replay does
 * not send it again. A node that dies between the send and the record sends it once more on
 * the next delivery: the file sinks then rewrite the same file, and SMTP sends the same
 * Message-ID (smtp-transport.ts).
 */
import type { ServiceSchema } from "moleculer";
import { envelopeOf } from "../../../lib/channels/events";
import { handleOnce } from "../../../lib/channels/handled";
import { config } from "../../../lib/config";
import { deliveryTransports } from "../../../lib/notifications/transport";
import { DELIVERY_CHANNEL, type DeliveryEvent, HANDLED_EVENTS, type NotificationsThis } from "./shared";

/** The consumer of deliveries (mixed into the service's own `channels`: see notifications.service.ts). */
export const DeliveryChannels: ServiceSchema["channels"] = {
	[DELIVERY_CHANNEL]: {
		async handler(this: NotificationsThis, event: DeliveryEvent): Promise<void> {
			if (!envelopeOf(event)) throw new Error("Not a delivery: no eventId or tenantId");
			await handleOnce(this.store(HANDLED_EVENTS), this.fullName, event, async () => {
				const { medium, to, subject, text, eventId: id } = event;
				const transport = medium === "email" ? this.transports.mail : this.transports.sms;
				const count = (result: "sent" | "failed") => {
					if (this.broker.isMetricsEnabled()) this.broker.metrics.increment(DELIVERIES_METRIC, { medium, transport: transport.kind, result });
				};
				try {
					if (medium === "email") await this.transports.mail.send({ id, to, subject, text });
					else await this.transports.sms.send({ id, to, text });
				} catch (err) {
					count("failed");
					throw err;
				}
				count("sent");
				this.logger.info(`Notification ${event.notificationId}: ${medium} sent (${transport.kind})`);
			});
		}
	}
};

/** Sends and failed sends, per medium, transport and result (a retried delivery counts each try). */
export const DELIVERIES_METRIC = "roster.notifications.deliveries.total";

/** The transports, per node: opened when the service is created, closed when it stops. */
export const DeliveryPart: Partial<ServiceSchema> = {
	created() {
		(this as NotificationsThis).transports = deliveryTransports(config().mail);
		if (this.broker.isMetricsEnabled() && !this.broker.metrics.getMetric(DELIVERIES_METRIC)) {
			this.broker.metrics.register({
				name: DELIVERIES_METRIC,
				type: "counter",
				labelNames: ["medium", "transport", "result"],
				description: "Notification mail and text messages sent, and sends that failed (each is retried, then dead-lettered)"
			});
		}
	},

	async stopped() {
		const { mail, sms } = (this as NotificationsThis).transports;
		await Promise.all([mail.close(), sms.close()]);
	}
};
