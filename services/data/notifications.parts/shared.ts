/**
 * Notifications, what its parts share: the collections, the documents, the service's `this`.
 *
 * The model: one inbox entry per (event, recipient), numbered per user (`seq`, 1, 2, 3…) so a
 * reconnecting realtime client resumes after the last one it saw. An entry whose recipient
 * chose email or SMS carries one delivery event per channel in its own outbox; the delivery
 * consumer sends it through a transport (lib/notifications/transport.ts).
 */
import { createHash } from "node:crypto";
import type { DomainEvent, EventEnvelope } from "../../../lib/channels/events";
import { handledEventsCollection } from "../../../lib/channels/handled";
import type { OutboxFields } from "../../../lib/channels/outbox";
import type { DeliveryChoice, Notification, NotificationPreferences, NotificationType } from "../../../lib/names/notifications";
import { DEFAULT_PREFERENCES } from "../../../lib/notifications/preferences";
import type { NotificationContent } from "../../../lib/notifications/messages";
import type { DeliveryTransports } from "../../../lib/notifications/transport";
import type { DbService } from "../../../mixins/db.mixin";
import type { OutboxMethods } from "../../../mixins/outbox.mixin";

export const NOTIFICATIONS = "notifications";
/** One document per user: the last seq handed out, bumped atomically. */
export const COUNTERS = "notification_counters";
export const PREFERENCES = "notification_preferences";
export const HANDLED_EVENTS = handledEventsCollection("notifications").name;
/** Lease rows (lib/store/lease.ts): one per inbox being written, so entries are stored in seq order. */
export const LOCKS = "notification_locks";

/** The channel of email and SMS deliveries, published from the inbox entries' outbox. */
export const DELIVERY_CHANNEL = "notifications.delivery";

export interface NotificationDoc extends OutboxFields {
	_id: string;
	tenantId: string;
	userId: string;
	seq: number;
	type: NotificationType;
	title: string;
	body: string;
	data: Notification["data"];
	read: boolean;
	readAt: string | null;
	/** The domain event that made it. */
	eventId: string;
	createdAt: string;
}

/** A type's own choice, as stored: a list, since type names hold dots, which NeDB and MongoDB refuse in field names. */
export type TypeChoiceRow = Partial<DeliveryChoice> & { type: NotificationType };

export interface PreferencesDoc extends DeliveryChoice {
	/** userKey(tenantId, userId) */
	_id: string;
	tenantId: string;
	userId: string;
	types: TypeChoiceRow[];
	updatedAt: string;
}

export const typeRows = (types: NotificationPreferences["types"]): TypeChoiceRow[] =>
	Object.entries(types).map(([type, choice]) => ({ type: type as NotificationType, ...choice }));

export function preferencesJSON(doc: PreferencesDoc | null | undefined): NotificationPreferences {
	if (!doc) return { ...DEFAULT_PREFERENCES, types: {} };
	return { email: doc.email, sms: doc.sms, types: Object.fromEntries((doc.types ?? []).map(({ type, ...choice }) => [type, choice])) };
}

/** One email or text message to send: what the delivery consumer needs, nothing to look up. */
export type DeliveryEvent = DomainEvent<{
	notificationId: string;
	userId: string;
	medium: "email" | "sms";
	to: string;
	subject: string;
	text: string;
}>;

/** A recipient of a notification, and where their mail and text messages go if they chose those. */
export interface Recipient {
	userId: string;
	email: string | null;
	phone: string | null;
	/** Their company's name, which a mail's subject names: a person in two companies must tell which one wrote. */
	companyName: string;
}

export interface NotificationsMethods {
	notify(event: EventEnvelope, userIds: string[], content: NotificationContent): Promise<void>;
	nextSeq(tenantId: string, userId: string): Promise<number>;
	readElsewhere(tenantId: string, userId: string, what: { ids: string[] } | { all: true }): Promise<void>;
}

export type NotificationsThis = DbService & OutboxMethods & NotificationsMethods & { transports: DeliveryTransports };

/** One document per user of a tenant (preferences, the seq counter) is keyed so. */
export const userKey = (tenantId: string, userId: string) => `${tenantId}:${userId}`;

/**
 * The entry of one event for one recipient, in the shape of a UUID: a redelivered event (or a
 * consumer that died between inserting and recording) lands on the same id, which is unique.
 */
export function notificationId(eventId: string, userId: string): string {
	const hex = createHash("sha256").update(`${eventId}\n${userId}`).digest("hex");
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function notificationJSON(doc: NotificationDoc): Notification {
	return { id: doc._id, seq: doc.seq, type: doc.type, title: doc.title, body: doc.body, data: doc.data, read: doc.read, createdAt: doc.createdAt };
}
