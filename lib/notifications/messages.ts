/**
 * What a notification says, per domain event: plain text, the same in the inbox, the mail and
 * the text message. Names come from the records the consumer looked up; a record that is gone
 * leaves a neutral word rather than no notification.
 */
import { personName } from "../display-names";
import type { EmployeeHiredEvent } from "../names/app";
import type { EmployeeSummary } from "../names/employees";
import type { InvitationSentEvent } from "../names/identity";
import type { ImportFinishedEvent } from "../names/imports";
import type { LeaveDecidedEvent, LeaveRequestedEvent } from "../names/leave";
import type { Notification, NotificationType } from "../names/notifications";
import type { InterviewReminderEvent, InterviewScheduledEvent } from "../names/recruitment";

export interface NotificationContent {
	type: NotificationType;
	title: string;
	body: string;
	data: Notification["data"];
}

const nameOr = (employee: EmployeeSummary | undefined, fallback = "An employee"): string => (employee ? personName(employee) : fallback);

const days = (n: number) => `${n} day${n === 1 ? "" : "s"}`;
const span = (start: string, end: string) => (start === end ? start : `${start} to ${end}`);

export function leaveRequested(event: LeaveRequestedEvent, employee: EmployeeSummary | undefined): NotificationContent {
	return {
		type: "leave.requested",
		title: "Leave request to decide",
		body: `${nameOr(employee)} asks for ${days(event.days)} of leave, ${span(event.startDate, event.endDate)}.`,
		data: { requestId: event.requestId, employeeId: event.employeeId }
	};
}

export function leaveDecided(event: LeaveDecidedEvent): NotificationContent {
	return {
		type: "leave.decided",
		title: `Leave request ${event.status}`,
		body: `Your leave request was ${event.status}.`,
		data: { requestId: event.requestId, employeeId: event.employeeId, status: event.status }
	};
}

/** To whoever asked for the leave on the employee's behalf (staff): whose request it was. */
export function leaveDecidedOnBehalf(event: LeaveDecidedEvent, employee: EmployeeSummary | undefined): NotificationContent {
	return {
		...leaveDecided(event),
		body: `The leave request you filed for ${nameOr(employee, "an employee")} was ${event.status}.`
	};
}

/** Where an interview notification leads: the interview, its application, opening and candidate. */
const interviewData = (event: InterviewScheduledEvent | InterviewReminderEvent): Notification["data"] => ({
	interviewId: event.interviewId,
	applicationId: event.applicationId,
	openingId: event.openingId,
	candidateId: event.candidateId,
	scheduledAt: event.scheduledAt
});

export function interviewScheduled(event: InterviewScheduledEvent): NotificationContent {
	return {
		type: "interview.scheduled",
		title: "Interview scheduled",
		body: `You are on the panel of an interview at ${event.scheduledAt}.`,
		data: interviewData(event)
	};
}

export function interviewReminder(event: InterviewReminderEvent): NotificationContent {
	return {
		type: "interview.reminder",
		title: "Interview coming up",
		body: `Reminder: you are on the panel of an interview at ${event.scheduledAt}.`,
		data: interviewData(event)
	};
}

export function employeeHired(event: EmployeeHiredEvent, hire: EmployeeSummary | undefined): NotificationContent {
	return {
		type: "employee.hired",
		title: "New hire",
		body: `${nameOr(hire, "A new employee")} was hired${hire ? ` and starts on ${hire.hireDate}` : ""}.`,
		data: { employeeId: event.employeeId, offerId: event.offerId, managerId: event.managerId, departmentId: event.departmentId }
	};
}

export function invitationSent(event: InvitationSentEvent): NotificationContent {
	return {
		type: "invitation.sent",
		title: "Invitation sent",
		body: `An invitation to join was sent to ${event.email}.`,
		data: { userId: event.userId, email: event.email }
	};
}

/** A mail's subject: the title, after the company it is from ("Acme: Leave request approved"). */
export function mailSubject(content: { title: string }, companyName: string | undefined): string {
	return companyName ? `${companyName}: ${content.title}` : content.title;
}

/** A text message is short: the title and as much of the body as fits in one SMS. */
export function smsText(content: { title: string; body: string }): string {
	const text = `${content.title}: ${content.body}`;
	return text.length <= 160 ? text : `${text.slice(0, 159)}…`;
}

export function importFinished(event: ImportFinishedEvent): NotificationContent {
	const { total, imported, updated, skipped, failed } = event.counts;
	return {
		type: "import.finished",
		title: failed > 0 ? "Employee import finished with errors" : "Employee import finished",
		body: `${total} rows: ${imported} imported, ${updated} updated, ${skipped} unchanged, ${failed} failed.`,
		data: { importId: event.importId, total, imported, updated, skipped, failed }
	};
}
