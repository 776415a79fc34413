/**
 * Each user's choice of channels (lib/notifications/preferences.ts): read and replaced whole by
 * the user, per tenant (one person in two companies chooses for each).
 */
import type { ServiceSchema } from "moleculer";
import { now } from "../../../lib/entity";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { NOTIFICATION_TYPES, type NotificationPreferences } from "../../../lib/names/notifications";
import { isUniqueViolation } from "../../../lib/store";
import { type NotificationsThis, PREFERENCES, preferencesJSON, typeRows, userKey } from "./shared";
import { json } from "../../../lib/openapi/responses";
import * as Notifications from "../../../lib/openapi/contexts/notifications";

const choice = { type: "boolean" } as const;
const optionalChoice = { type: "boolean", optional: true } as const;

/** Per type, either channel may be left to the general choice. */
const typeChoices = {
	type: "object",
	optional: true,
	strict: true,
	props: Object.fromEntries(NOTIFICATION_TYPES.map(type => [type, { type: "object", optional: true, strict: true, props: { email: optionalChoice, sms: optionalChoice } }]))
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
				// An upsert in two steps: of two first writes at once, one inserts and the other updates.
				if ((await store.updateMany({ _id }, { $set: set })) === 0) {
					await store.insert({ _id, tenantId, userId, ...set }).catch(async (err: unknown) => {
						if (!isUniqueViolation(err)) throw err;
						await store.updateMany({ _id }, { $set: set });
					});
				}
				return preferencesJSON(await store.findById(_id));
			}
		}
	}
};
