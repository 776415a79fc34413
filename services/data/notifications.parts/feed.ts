/**
 * The inbox is fed by domain events (durable channels): each consumer works out who is told,
 * and `notify` stores one entry per recipient, pushes it to the realtime nodes, and queues its
 * email and text message as the recipient chose.
 *
 * Whom to tell and how to reach them: recipients.ts.
 *
 * Exactly once in effect: handleOnce skips an event already recorded; an event redelivered
 * after a crash between an entry's insert and the record finds the entry under its
 * deterministic id (notificationId) and adds nothing, not even a seq.
 */
import type { ServiceSchema } from "moleculer";
import { type DomainEvent, type EventEnvelope, envelopeOf } from "../../../lib/channels/events";
import { handleOnce } from "../../../lib/channels/handled";
import { type PendingEvent, insertWithEvents, pendingEvent } from "../../../lib/channels/outbox";
import { now } from "../../../lib/entity";
import {
	AppEvents,
	type DeliveryChoice,
	type ImportFinishedEvent,
	ImportEvents,
	type EmployeeHiredEvent,
	IdentityEvents,
	type InterviewReminderEvent,
	type InterviewScheduledEvent,
	type InvitationSentEvent,
	type LeaveDecidedEvent,
	LeaveEvents,
	type LeaveRequestedEvent,
	RealtimeEvents,
	type RealtimePush,
	RecruitmentEvents
} from "../../../lib/names";
import * as Messages from "../../../lib/notifications/messages";
import { channelsFor } from "../../../lib/notifications/preferences";
import { isUniqueViolation } from "../../../lib/store";
import { withLease } from "../../../lib/store/lease";
import type { RecipientsMethods } from "./recipients";
import {
	COUNTERS,
	DELIVERY_CHANNEL,
	HANDLED_EVENTS,
	LOCKS,
	type NotificationDoc,
	type NotificationsThis,
	type Recipient,
	notificationId,
	notificationJSON,
	userKey
} from "./shared";

interface FeedMethods {
	deliveriesOf(doc: NotificationDoc, choice: DeliveryChoice, to: Recipient | undefined): PendingEvent[];
	storeEntry(
		event: EventEnvelope,
		userId: string,
		content: Messages.NotificationContent,
		deliveries: (doc: NotificationDoc) => PendingEvent[]
	): Promise<NotificationDoc | null>;
}

type FeedThis = NotificationsThis & RecipientsMethods & FeedMethods;

/** A channel consumer of `T` events that runs `effect` once per event. */
function consumer<T>(effect: (this: FeedThis, event: DomainEvent<T>) => Promise<void>) {
	return {
		async handler(this: FeedThis, event: DomainEvent<T>): Promise<void> {
			// Not ours to guess a tenant for: dead-lettered (after the retries) where an operator sees it.
			if (!envelopeOf(event)) throw new Error("Not a domain event: no eventId or tenantId");
			await handleOnce(this.store(HANDLED_EVENTS), this.fullName, event, () => effect.apply(this, [event]));
		}
	};
}

/** The consumers of domain events (mixed into the service's own `channels`: see notifications.service.ts). */
export const FeedChannels: ServiceSchema["channels"] = {
	/** To the approver: the employee's manager while employed, else the tenant's staff. */
	[LeaveEvents.requested]: consumer<LeaveRequestedEvent>(async function (event) {
		const [employee] = await this.summaries(event.tenantId, [event.employeeId]);
		await this.notify(event, await this.approversOf(event, employee), Messages.leaveRequested(event, employee));
	}),

	/**
	 * To the employee whose leave it is (their account) and to the requester when staff asked on
	 * their behalf, each in their own words, but never to whoever decided (a cancellation of one's
	 * own tells nobody).
	 */
	[LeaveEvents.requestDecided]: consumer<LeaveDecidedEvent>(async function (event) {
		const [employee] = await this.summaries(event.tenantId, [event.employeeId]);
		const own = employee?.userId;
		if (own && own !== event.decidedBy) await this.notify(event, [own], Messages.leaveDecided(event));
		if (event.requestedBy !== own && event.requestedBy !== event.decidedBy) {
			await this.notify(event, [event.requestedBy], Messages.leaveDecidedOnBehalf(event, employee));
		}
	}),

	/** To each interviewer who has an account. */
	[RecruitmentEvents.interviewScheduled]: consumer<InterviewScheduledEvent>(async function (event) {
		const interviewers = await this.summaries(event.tenantId, event.interviewerIds);
		await this.notify(
			event,
			interviewers.map(i => i.userId).filter((u): u is string => !!u),
			Messages.interviewScheduled(event)
		);
	}),

	/** The day before (the interviewReminders job), to each interviewer who has an account. */
	[RecruitmentEvents.interviewReminder]: consumer<InterviewReminderEvent>(async function (event) {
		const interviewers = await this.summaries(event.tenantId, event.interviewerIds);
		await this.notify(
			event,
			interviewers.map(i => i.userId).filter((u): u is string => !!u),
			Messages.interviewReminder(event)
		);
	}),

	/** To the tenant's staff and the new hire's manager while employed (not to the new hire). */
	[AppEvents.employeeHired]: consumer<EmployeeHiredEvent>(async function (event) {
		const [hire, manager] = await this.summaries(event.tenantId, [event.employeeId, ...(event.managerId ? [event.managerId] : [])]).then(found => [
			found.find(e => e.id === event.employeeId),
			found.find(e => e.id === event.managerId)
		]);
		const staff = await this.staffUserIds(event.tenantId);
		const told = [...staff, ...(manager?.status === "active" && manager.userId ? [manager.userId] : [])].filter(u => u !== event.userId);
		await this.notify(event, told, Messages.employeeHired(event, hire));
	}),

	/** To whoever started the import. */
	[ImportEvents.finished]: consumer<ImportFinishedEvent>(async function (event) {
		await this.notify(event, [event.userId], Messages.importFinished(event));
	}),

	/** To whoever invited, when a person did. */
	[IdentityEvents.invitationSent]: consumer<InvitationSentEvent>(async function (event) {
		const told = event.invitedBy && event.invitedBy !== event.userId ? [event.invitedBy] : [];
		await this.notify(event, told, Messages.invitationSent(event));
	})
};

export const FeedPart: Partial<ServiceSchema> = {
	methods: {
		/**
		 * One entry per recipient (each once), pushed to the realtime nodes, with a delivery event
		 * per channel the recipient chose for this type riding in the entry's own outbox.
		 */
		async notify(this: FeedThis, event: EventEnvelope, userIds: string[], content: Messages.NotificationContent): Promise<void> {
			const { tenantId } = event;
			const users = [...new Set(userIds)];
			if (users.length === 0) return;
			const prefs = await this.preferencesOf(tenantId, users);
			const choices = new Map(users.map(userId => [userId, channelsFor(prefs.get(userId)!, content.type)]));
			const reach = [...choices.values()].some(c => c.email || c.sms) ? await this.recipients(tenantId, users) : [];
			for (const userId of users) {
				const doc = await this.storeEntry(event, userId, content, (doc: NotificationDoc) =>
					this.deliveriesOf(
						doc,
						choices.get(userId)!,
						reach.find(r => r.userId === userId)
					)
				);
				if (!doc) continue;
				if (doc._outbox) this.publishEvents(doc._id);
				const push: RealtimePush = { tenantId, userIds: [userId], message: { type: "notification", notification: notificationJSON(doc) } };
				// Live push is a courtesy: a node that misses it has no socket that needed it, and a client replays from the inbox.
				this.broker.broadcast(RealtimeEvents.push, push).catch((err: Error) => this.logger.warn(`Realtime push of ${doc._id} failed:`, err.message));
			}
		},

		/**
		 * Stores the user's entry of this event, unless it is there: answers it, or null. Under the
		 * user's inbox lease, so entries are stored in the order of their seq: a client that saw
		 * seq 7 has seen 1 to 6 as well, even when two consumers (two channels, two nodes) write to
		 * one inbox at once. The counter keeps seqs unique even for a holder whose lease ran out.
		 */
		async storeEntry(
			this: FeedThis,
			event: EventEnvelope,
			userId: string,
			content: Messages.NotificationContent,
			deliveries: (doc: NotificationDoc) => PendingEvent[]
		): Promise<NotificationDoc | null> {
			const { tenantId } = event;
			const _id = notificationId(event.eventId, userId);
			return withLease(this.store(LOCKS), `inbox:${userKey(tenantId, userId)}`, async () => {
				// Made by an earlier delivery of this event that died before its record: done already.
				if (await this.adapter.findById(_id)) return null;
				const doc: NotificationDoc = {
					_id,
					tenantId,
					userId,
					seq: await this.nextSeq(tenantId, userId),
					type: content.type,
					title: content.title,
					body: content.body,
					data: content.data,
					read: false,
					readAt: null,
					eventId: event.eventId,
					createdAt: now()
				};
				const pending = deliveries(doc);
				const stored = pending.length > 0 ? insertWithEvents(doc, pending) : doc;
				try {
					await this.adapter.insert(stored);
				} catch (err) {
					// A lease that ran out let a redelivery of the event on another node insert it meanwhile.
					if (isUniqueViolation(err)) return null;
					throw err;
				}
				return stored;
			});
		},

		/** The email and text message of an entry, as its recipient chose and as far as they can be reached. */
		deliveriesOf(this: FeedThis, doc: NotificationDoc, choice: DeliveryChoice, to: Recipient | undefined): PendingEvent[] {
			const pending: PendingEvent[] = [];
			const base = { notificationId: doc._id, userId: doc.userId, subject: doc.title };
			if (choice.email) {
				if (to?.email) {
					const subject = Messages.mailSubject(doc, to.companyName);
					pending.push(pendingEvent(DELIVERY_CHANNEL, doc.tenantId, { ...base, subject, medium: "email", to: to.email, text: `${doc.body}\n` }));
				} else this.logger.info(`Notification ${doc._id}: user ${doc.userId} has no active account to mail, email skipped`);
			}
			if (choice.sms) {
				if (to?.phone)
					pending.push(pendingEvent(DELIVERY_CHANNEL, doc.tenantId, { ...base, medium: "sms", to: to.phone, text: Messages.smsText(doc) }));
				else this.logger.info(`Notification ${doc._id}: user ${doc.userId} has no phone on record, SMS skipped`);
			}
			return pending;
		},

		/**
		 * The user's next seq, from a counter bumped in one atomic update: two nodes never hand out
		 * the same one. A consumer that dies after bumping leaves a gap, which readers allow.
		 */
		async nextSeq(this: FeedThis, tenantId: string, userId: string): Promise<number> {
			const counters = this.store(COUNTERS);
			const key = userKey(tenantId, userId);
			if (!(await counters.findById(key))) {
				// Two first notifications at once: one insert wins, the other's unique violation is harmless.
				await counters.insert({ _id: key, tenantId, last: 0 }).catch((err: unknown) => {
					if (!isUniqueViolation(err)) throw err;
				});
			}
			const counter: { last: number } = await counters.updateById(key, { $inc: { last: 1 } });
			return counter.last;
		}
	}
};
