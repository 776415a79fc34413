/**
 * Interview reminders (a scheduled job, mixins/scheduled-jobs.mixin.ts): every pending
 * interview that starts after the slot and before the end of the next UTC day gets one
 * reminder, a durable `recruitment.interview.reminder` event for its interviewers (the
 * notifications service tells them). Run hourly, an interview is reminded the day before, or
 * within the hour when it was booked later than that; a reschedule clears `remindedAt`, so the
 * new time is reminded again.
 *
 * Idempotent: the reminder is one conditional update, `remindedAt` unset → the slot, that carries
 * the event in the interview's own outbox (lib/channels/outbox.ts), so an interview is reminded,
 * and its event stored, exactly once however often the job runs.
 */
import { auditUpdate, jobAudit } from "../../../lib/audit/record";
import { Jobs } from "../../../lib/names/jobs";
import { pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { findManyInTenant } from "../../../lib/entity";
import { type InterviewReminderEvent, RecruitmentEvents } from "../../../lib/names/recruitment";
import { reminderWindow } from "../../../lib/recruitment/reminders";
import type { OutboxMethods } from "../../../mixins/outbox.mixin";
import type { JobDefinition } from "../../../mixins/scheduled-jobs.mixin";
import { APPLICATIONS, type ApplicationDoc, INTERVIEWS, type InterviewDoc, type RecruitmentThis } from "./shared";

const PAGE = 200;

/** The job's writes on the audit trail: "system", named (lib/audit/record.ts jobAudit). */
const AUDIT = jobAudit(Jobs.interviewReminders);

/** Not reminded yet: null, or absent on an interview stored before reminders existed. */
const NOT_REMINDED = { $or: [{ remindedAt: null }, { remindedAt: { $exists: false } }] };

type ReminderThis = RecruitmentThis & OutboxMethods;

export const interviewReminders: JobDefinition<ReminderThis> = {
	schedule: "0 * * * *",
	// A slot older than two hours would remind too late to matter; the next slot covers the rest.
	catchUpMs: 2 * 3600_000,
	async handler(this: ReminderThis, slot: Date): Promise<Record<string, unknown>> {
		const { from, to } = reminderWindow(slot);
		const due = (tenantId?: string) => ({ ...(tenantId ? { tenantId } : {}), result: "pending", scheduledAt: { $gt: from, $lt: to }, ...NOT_REMINDED });
		let reminded = 0;
		let skipped = 0;
		const tenants = await this.store(INTERVIEWS).countBy(due(), ["tenantId"]);
		for (const { tenantId } of tenants) {
			const counts = await remindTenant(this, tenantId as string, due(tenantId as string), slot);
			reminded += counts.reminded;
			skipped += counts.skipped;
		}
		return { from, to, tenants: tenants.length, reminded, skipped };
	}
};

async function remindTenant(service: ReminderThis, tenantId: string, query: object, slot: Date): Promise<{ reminded: number; skipped: number }> {
	const interviews = service.store(INTERVIEWS);
	let reminded = 0;
	let skipped = 0;
	// Each reminded interview leaves the query's set; only those another write changed meanwhile stay, and are stepped over.
	for (;;) {
		const page: InterviewDoc[] = await interviews.find({ query, sort: ["scheduledAt"], limit: PAGE, offset: skipped });
		if (page.length === 0) return { reminded, skipped };
		const apps: ApplicationDoc[] = await findManyInTenant(
			service.store(APPLICATIONS),
			tenantId,
			page.map(i => i.applicationId)
		);
		const candidateOf = new Map(apps.map(a => [a._id, a.candidateId]));
		for (const interview of page) {
			const payload: InterviewReminderEvent = {
				interviewId: interview._id,
				applicationId: interview.applicationId,
				openingId: interview.openingId,
				candidateId: candidateOf.get(interview.applicationId) ?? null,
				scheduledAt: interview.scheduledAt,
				interviewerIds: interview.interviewerIds
			};
			// Only while it is still the interview we read: not reminded, at this time, not yet held.
			const changed = await interviews.updateMany(
				{ _id: interview._id, tenantId, scheduledAt: interview.scheduledAt, result: "pending", ...NOT_REMINDED },
				updateWithEvent(
					updateWithEvent({ $set: { remindedAt: slot.toISOString() } }, pendingEvent(RecruitmentEvents.interviewReminder, tenantId, payload)),
					auditUpdate(AUDIT, "interview", interview, { remindedAt: slot.toISOString() })
				)
			);
			if (changed === 1) {
				reminded++;
				service.publishEvents(interview._id, INTERVIEWS);
			} else {
				skipped++;
			}
		}
	}
}
