/**
 * A user's choice of channels for notifications. The inbox always gets everything; email is
 * on and SMS off until the user says otherwise, and a type may differ from the user's general
 * choice (mail for leave decisions only, say).
 */
import type { DeliveryChoice, NotificationPreferences, NotificationType } from "../names/notifications";

export const DEFAULT_PREFERENCES: NotificationPreferences = { email: true, sms: false, types: {} };

/** The channels a notification of `type` goes to for a user with these preferences. */
export function channelsFor(prefs: NotificationPreferences, type: NotificationType): DeliveryChoice {
	const own = prefs.types[type] ?? {};
	return { email: own.email ?? prefs.email, sms: own.sms ?? prefs.sms };
}
