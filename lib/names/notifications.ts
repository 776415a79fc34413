/**
 * The notifications context: a per-user inbox fed by domain events, and what the realtime
 * service (gateway layer) needs from it to push and to replay.
 */
export const NotificationActions = {
	/** Published GET /notifications: the caller's inbox, newest first ({ unread?, limit, offset }). */
	list: "notifications.list",
	/** Published GET /notifications/unread-count → { unread }. */
	unreadCount: "notifications.unreadCount",
	/** Published POST /notifications/:id/read → Notification. */
	markRead: "notifications.markRead",
	/** Published POST /notifications/read-all → { marked }. */
	markAllRead: "notifications.markAllRead",
	/**
	 * Internal { after?: string, limit } → Notification[] of the caller, oldest first, strictly after
	 * the notification `after` (by seq); the realtime service replays a reconnecting client with it.
	 */
	since: "notifications.since",
	/** Published GET /notifications/preferences → NotificationPreferences of the caller. */
	preferences: "notifications.preferences",
	/** Published PUT /notifications/preferences: NotificationPreferences → NotificationPreferences. */
	updatePreferences: "notifications.updatePreferences"
} as const;

/** What a notification is about (its `type`). */
export const NOTIFICATION_TYPES = [
	"leave.requested",
	"leave.decided",
	"interview.scheduled",
	"interview.reminder",
	"employee.hired",
	"invitation.sent",
	"import.finished"
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** The channels besides the inbox (which always gets every notification). */
export interface DeliveryChoice {
	email: boolean;
	sms: boolean;
}

/** A user's choice of channels: for every type, and per type where it differs. */
export interface NotificationPreferences extends DeliveryChoice {
	types: Partial<Record<NotificationType, Partial<DeliveryChoice>>>;
}

/**
 * Plain Moleculer events, broadcast to every realtime node (not durable: a node that misses one
 * has no socket that needed it; a client that was offline replays from the inbox).
 */
export const RealtimeEvents = {
	/** RealtimePush: deliver `message` to the sockets of `userIds` of the tenant, or to all of the tenant's when omitted. */
	push: "realtime.push"
} as const;

export interface Notification {
	id: string;
	/** Per user, 1, 2, 3…: the order of the user's inbox, and what a reconnecting client resumes after. */
	seq: number;
	/** What happened: "leave.requested", "leave.decided", "interview.scheduled", "employee.hired", "invitation.sent", "import.finished". */
	type: string;
	title: string;
	body: string;
	/** Ids the client needs to open what it is about (requestId, interviewId, employeeId…). */
	data: Record<string, string | number | null>;
	read: boolean;
	createdAt: string;
}

export interface RealtimePush {
	tenantId: string;
	/** Omitted: every socket of the tenant. */
	userIds?: string[];
	message: { type: string; [field: string]: unknown };
}
