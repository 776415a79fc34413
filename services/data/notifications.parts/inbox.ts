/**
 * The caller's inbox over REST, and the replay the realtime service asks for. Every query
 * names the caller's tenant and user: another user's entry, in this company or another, is
 * as absent as a missing one (404).
 */
import type { ServiceSchema } from "moleculer";
import { auditUpdate } from "../../../lib/audit/record";
import { recordAhead } from "../../../lib/audit/removal";
import { updateWithEvent } from "../../../lib/channels/outbox";
import { now } from "../../../lib/entity";
import { NotFoundError } from "../../../lib/errors";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { type Notification, RealtimeEvents, type RealtimePush } from "../../../lib/names/notifications";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { id, optionalBoolean } from "../../../lib/params";
import { type NotificationDoc, type NotificationsThis, notificationJSON } from "./shared";
import { json } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Notifications from "../../../lib/openapi/contexts/notifications";

interface ListParamsWithFilter extends ListParams {
	unread?: boolean;
}
interface IdParams {
	id: string;
}
interface SinceParams {
	after?: string;
	limit?: number;
}

/** What `since` answers at most at once: a client that missed more asks again after the last. */
export const SINCE_MAX = 500;

export const InboxPart: Partial<ServiceSchema> = {
	actions: {
		/** Newest first; `unread=true` for the unread ones only, `unread=false` for the read ones. */
		list: {
			rest: "GET /notifications",
			openapi: { responses: { 200: json(page(Notifications.Notification)) } },
			auth: {},
			params: { $$strict: true, ...listParams, unread: optionalBoolean },
			async handler(this: NotificationsThis, ctx: RosterContext<ListParamsWithFilter>): Promise<ListResult<Notification>> {
				const { id: userId, tenantId } = requireUser(ctx);
				const query: Record<string, unknown> = { tenantId, userId };
				if (ctx.params.unread !== undefined) query.read = !ctx.params.unread;
				const sort = parseSort(ctx.params.sort, ["seq", "createdAt"], "-seq");
				return paginate(this.adapter, query, ctx.params, sort, notificationJSON);
			}
		},

		unreadCount: {
			rest: "GET /notifications/unread-count",
			openapi: { responses: { 200: json(Notifications.UnreadCount) } },
			auth: {},
			params: { $$strict: true },
			async handler(this: NotificationsThis, ctx: RosterContext): Promise<{ unread: number }> {
				const { id: userId, tenantId } = requireUser(ctx);
				return { unread: await this.adapter.count({ query: { tenantId, userId, read: false } }) };
			}
		},

		/** Marks one entry read (again is fine: it stays read, with its first readAt). */
		markRead: {
			rest: "POST /notifications/:id/read",
			openapi: { responses: { 200: json(Notifications.Notification) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: NotificationsThis, ctx: RosterContext<IdParams>): Promise<Notification> {
				const { id: userId, tenantId } = requireUser(ctx);
				const mine = { _id: ctx.params.id, tenantId, userId };
				const set = { read: true, readAt: now() };
				const unread = { ...mine, read: false, readAt: null };
				const marked = await this.adapter.updateMany(
					{ ...mine, read: false },
					updateWithEvent({ $set: set }, auditUpdate(ctx, "notification", unread, set))
				);
				const doc: NotificationDoc | null = await this.adapter.findOne(mine);
				if (!doc) throw new NotFoundError("Notification", ctx.params.id);
				if (marked > 0) {
					this.publishEvents(doc._id);
					await this.readElsewhere(tenantId, userId, { ids: [doc._id] });
				}
				return notificationJSON(doc);
			}
		},

		markAllRead: {
			rest: "POST /notifications/read-all",
			openapi: { responses: { 200: json(Notifications.Marked) } },
			auth: {},
			params: { $$strict: true },
			async handler(this: NotificationsThis, ctx: RosterContext): Promise<{ marked: number }> {
				const { id: userId, tenantId } = requireUser(ctx);
				const query = { tenantId, userId, read: false };
				const unread = await this.adapter.count({ query });
				if (unread === 0) return { marked: 0 };
				// One record for the call, on the user's inbox: how many were unread, none after.
				const inbox = { _id: userId, tenantId, unread };
				await recordAhead(this, tenantId, [auditUpdate(ctx, "notificationInbox", inbox, { unread: 0 })]);
				const marked = await this.adapter.updateMany(query, { $set: { read: true, readAt: now() } });
				if (marked > 0) await this.readElsewhere(tenantId, userId, { all: true });
				return { marked };
			}
		},

		/**
		 * Internal, for the realtime service: the caller's entries after the one `after` names (from
		 * the first without it), oldest first. An `after` that is no entry of the caller's is 404:
		 * a client cannot learn another user's seq through it.
		 */
		since: {
			visibility: "public",
			readOnly: true,
			params: { after: { ...id, optional: true }, limit: { type: "number", integer: true, min: 1, max: SINCE_MAX, optional: true, convert: true } },
			async handler(this: NotificationsThis, ctx: RosterContext<SinceParams>): Promise<Notification[]> {
				const { id: userId, tenantId } = requireUser(ctx);
				let afterSeq = 0;
				if (ctx.params.after) {
					const last: NotificationDoc | null = await this.adapter.findOne({ _id: ctx.params.after, tenantId, userId });
					if (!last) throw new NotFoundError("Notification", ctx.params.after);
					afterSeq = last.seq;
				}
				const docs: NotificationDoc[] = await this.adapter.find({
					query: { tenantId, userId, seq: { $gt: afterSeq } },
					sort: ["seq"],
					limit: ctx.params.limit ?? SINCE_MAX
				});
				return docs.map(notificationJSON);
			}
		}
	},

	methods: {
		/**
		 * Tells the user's other sockets (another tab, the phone) what was read, and how many are
		 * left unread, so their badges follow. A courtesy like every push: a lost one is corrected
		 * by the next read of the inbox.
		 */
		async readElsewhere(this: NotificationsThis, tenantId: string, userId: string, what: { ids: string[] } | { all: true }): Promise<void> {
			const unread = await this.adapter.count({ query: { tenantId, userId, read: false } });
			const push: RealtimePush = { tenantId, userIds: [userId], message: { type: "notifications.read", ...what, unread } };
			this.broker.broadcast(RealtimeEvents.push, push).catch((err: Error) => this.logger.warn("Realtime push of a read failed:", err.message));
		}
	}
};
