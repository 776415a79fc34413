/**
 * Each user's choice of channels (lib/notifications/preferences.ts): read and replaced whole by
 * the user, per tenant (one person in two companies chooses for each).
 */
import type { ServiceSchema } from "moleculer";
import { auditCreation, auditUpdate } from "../../../lib/audit/record";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { now } from "../../../lib/entity";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { NOTIFICATION_TYPES, type NotificationPreferences } from "../../../lib/names/notifications";
import { isUniqueViolation } from "../../../lib/store";
import { type NotificationsThis, PREFERENCES, type PreferencesDoc, preferencesJSON, typeRows, userKey } from "./shared";
import { json } from "../../../lib/openapi/responses";
import * as Notifications from "../../../lib/openapi/contexts/notifications";

const choice = { type: "boolean" } as const;
const optionalChoice = { type: "boolean", optional: true } as const;

/** Per type, either channel may be left to the general choice. */
const typeChoices = {
	type: "object",
	optional: true,
	strict: true,
	props: Object.fromEntries(
		NOTIFICATION_TYPES.map(type => [type, { type: "object", optional: true, strict: true, props: { email: optionalChoice, sms: optionalChoice } }])
	)
} as const;

export const PreferencesPart: Partial<ServiceSchema> = {
	actions: {
		preferences: {
			rest: "GET /notifications/preferences",
			openapi: { responses: { 200: json(Notifications.Preferences) } },
			auth: {},
			params: { $$strict: true },
			async handler(this: NotificationsThis, ctx: RosterContext): Promise<NotificationPreferences> {
				const { id: userId, tenantId } = requireUser(ctx);
				return preferencesJSON(await this.store(PREFERENCES).findById(userKey(tenantId, userId)));
			}
		},

		/** Replaces the caller's choice: `email` and `sms` are required, `types` narrows them per type. */
		updatePreferences: {
			rest: "PUT /notifications/preferences",
			openapi: { responses: { 200: json(Notifications.Preferences) } },
			auth: {},
			params: { $$strict: true, email: choice, sms: choice, types: typeChoices },
			async handler(this: NotificationsThis, ctx: RosterContext<NotificationPreferences>): Promise<NotificationPreferences> {
				const { id: userId, tenantId } = requireUser(ctx);
				const { email, sms, types = {} } = ctx.params;
				const _id = userKey(tenantId, userId);
				const store = this.store(PREFERENCES);
				const set = { email, sms, types: typeRows(types), updatedAt: now() };
				// On the trail under the user's id (the document's is tenant:user), each write with its record.
				const update = async (before: PreferencesDoc | null) =>
					before
						? store.updateMany(
								{ _id, updatedAt: before.updatedAt },
								updateWithEvent({ $set: set }, auditUpdate(ctx, "notificationPreferences", { ...before, _id: userId }, set))
							)
						: 0;
				// An upsert in two steps: of two first writes at once, one inserts and the other updates.
				if ((await update(await store.findById(_id))) === 0) {
					const doc = { _id, tenantId, userId, ...set };
					await store
						.insert(insertWithEvent(doc, auditCreation(ctx, "notificationPreferences", { ...doc, _id: userId })))
						.catch(async (err: unknown) => {
							if (!isUniqueViolation(err)) throw err;
							await update(await store.findById(_id));
						});
				}
				this.publishEvents(_id, PREFERENCES);
				return preferencesJSON(await store.findById(_id));
			}
		}
	}
};
