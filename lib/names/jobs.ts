/**
 * Scheduled jobs (mixins/scheduled-jobs.mixin.ts): each runs once per cluster at each of its
 * slots, in the data service that owns its data. The names are what JOB_SCHEDULES overrides
 * (lib/config.ts) and what `<service>.runJob` and the REPL's `jobs` command take.
 */
export const Jobs = {
	/** recruitment: a reminder for every interview from the slot to the end of the next UTC day, once per interview. */
	interviewReminders: "interviewReminders",
	/** leave: on 1 January, each employee's entitlements of the year before roll into the new year, carry-over capped per leave type. */
	leaveRollover: "leaveRollover",
	/** identity: invitations whose link expired are marked expired (HR sees them, and may invite again); long-dead links are removed. */
	expireInvitations: "expireInvitations",
	/** identity: handled-event records past their keeping time (lib/channels/retention.ts). */
	identityHandledPrune: "identityHandledPrune",
	/** notifications: handled-event records past their keeping time. */
	notificationsHandledPrune: "notificationsHandledPrune",
	/** audit: audit records older than AUDIT_RETENTION_DAYS (none when it is 0). */
	auditPrune: "auditPrune",
	/** deadLetters: replayed dead letters after 30 days, unreplayed ones after 90. */
	deadLettersPrune: "deadLettersPrune"
} as const;

export type JobName = (typeof Jobs)[keyof typeof Jobs];

export const JOB_NAMES = Object.values(Jobs) as JobName[];

/** The service that runs each job: `${service}.runJob` runs it by hand. */
export const JobServices: Record<JobName, string> = {
	interviewReminders: "recruitment",
	leaveRollover: "leave",
	expireInvitations: "identity",
	identityHandledPrune: "identity",
	notificationsHandledPrune: "notifications",
	auditPrune: "audit",
	deadLettersPrune: "deadLetters"
};
