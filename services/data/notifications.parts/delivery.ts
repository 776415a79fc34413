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
				if (medium === "email") await this.transports.mail.send({ id, to, subject, text });
				else await this.transports.sms.send({ id, to, text });
				this.logger.info(`Notification ${event.notificationId}: ${medium} sent (${medium === "email" ? this.transports.mail.kind : this.transports.sms.kind})`);
			});
		}
	}
};

/** The transports, per node: opened when the service is created, closed when it stops. */
export const DeliveryPart: Partial<ServiceSchema> = {
	created() {
		(this as NotificationsThis).transports = deliveryTransports(config().mail);
	},

	async stopped() {
		const { mail, sms } = (this as NotificationsThis).transports;
		await Promise.all([mail.close(), sms.close()]);
	}
};
