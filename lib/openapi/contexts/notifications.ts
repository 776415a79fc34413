/** What the notifications context answers: the inbox and the delivery preferences. */
import { NOTIFICATION_TYPES } from "../../names/notifications";
import { bool, closed, int, str, timestamp } from "../schemas";

export const Notification = closed({
	id: str,
	seq: int,
	type: str,
	title: str,
	body: str,
	data: { type: "object", additionalProperties: { type: ["string", "number", "null"] } },
	read: bool,
	createdAt: timestamp
});

const choice = { email: bool, sms: bool };

export const Preferences = closed({
	...choice,
	types: {
		type: "object",
		propertyNames: { enum: [...NOTIFICATION_TYPES] },
		additionalProperties: closed(choice, ["email", "sms"])
	}
});

export const UnreadCount = closed({ unread: int });

export const Marked = closed({ marked: int });
