/**
 * Notifications: each user's inbox, fed by domain events, pushed live to the realtime nodes,
 * and sent by email and text message as the user chose. The model is in
 * services/data/notifications.parts/shared.ts; each part file holds one job:
 *
 * - inbox.ts: the caller's inbox over REST, and the replay the realtime service asks for;
 * - preferences.ts: each user's choice of channels;
 * - feed.ts: the consumers of domain events, and storing the entries;
 * - recipients.ts: who is told, and how they are reached;
 * - delivery.ts: sending the email and text messages, with retries and dead letters.
 */
import type { ServiceSchema } from "moleculer";
import { auditOutboxCollection, auditOutboxName } from "../../lib/audit/removal";
import { handledEventsCollection } from "../../lib/channels/handled";
import { OUTBOX_INDEX } from "../../lib/channels/outbox";
import { pruneHandledEventsJob } from "../../lib/channels/retention";
import { ScheduledJobsMixin, jobRunsCollection } from "../../mixins/scheduled-jobs.mixin";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin } from "../../mixins/outbox.mixin";
import { DeliveryChannels, DeliveryPart } from "./notifications.parts/delivery";
import { FeedChannels, FeedPart } from "./notifications.parts/feed";
import { InboxPart } from "./notifications.parts/inbox";
import { PreferencesPart } from "./notifications.parts/preferences";
import { RecipientsPart } from "./notifications.parts/recipients";
import { COUNTERS, LOCKS, NOTIFICATIONS, PREFERENCES } from "./notifications.parts/shared";

const NotificationsService: ServiceSchema = {
	name: "notifications",

	mixins: [
		// Before the db mixin (see the mixin): the daily prune of handled-event records.
		ScheduledJobsMixin("notifications", { notificationsHandledPrune: pruneHandledEventsJob("notifications") }),
		DbMixin(
			"notifications",
			{
				name: NOTIFICATIONS,
				strings: ["tenantId", "userId", "type", "createdAt"],
				indexes: [
					// The inbox newest first, `since` oldest first after a seq: one index serves both.
					{ fields: { tenantId: 1, userId: 1, seq: -1 } },
					// The unread filter and the unread count.
					{ fields: { tenantId: 1, userId: 1, read: 1, seq: -1 } },
					// Deliveries not yet relayed (lib/channels/outbox.ts).
					OUTBOX_INDEX
				]
			},
			[
				{ name: COUNTERS },
				{ name: PREFERENCES, indexes: [OUTBOX_INDEX] },
				handledEventsCollection("notifications"),
				{ name: LOCKS },
				jobRunsCollection("notifications"),
				auditOutboxCollection("notifications")
			]
		),
		// Each entry carries its email and text message in the same insert, and its read mark's audit
		// record (lib/channels/outbox.ts); preferences carry their audit records, the audit outbox the
		// summary of a "mark all read" (lib/audit/removal.ts).
		OutboxMixin({ collections: [PREFERENCES], notes: [auditOutboxName("notifications")] }),
		InboxPart,
		PreferencesPart,
		FeedPart,
		RecipientsPart,
		DeliveryPart
	],

	settings: {
		rest: "/"
	},

	// Here, not in the parts: Moleculer merges a schema key it does not know (`channels`) by
	// letting one mixin's replace another's, so two parts' channels would lose one of them.
	channels: { ...FeedChannels, ...DeliveryChannels }
};

export default NotificationsService;
