/**
 * Recruitment: job openings, candidates, their applications (the aggregate root of the
 * pipeline), interviews and offers. This service stores and validates; which stage moves are
 * allowed is the recruiting pipeline's business (services/app/recruiting.service.ts), which
 * calls setStage here. Owner, admin and hr see the whole tenant; a manager sees the openings
 * they hire for and those openings' applications and interviews, while their own employment is
 * active (a terminated manager, like an employee, works on none); employees see nothing here.
 *
 * One service, split by aggregate: each file of services/data/recruitment.parts/ holds one
 * aggregate's actions and methods and is mixed in below (they are not *.service.ts, so the
 * runner does not load them as services of their own; and the folder is not named plain
 * "recruitment", or the runner would take SERVICES=data/recruitment for it).
 */
import type { ServiceSchema } from "moleculer";
import { OUTBOX_INDEX } from "../../lib/channels/outbox";
import { auditOutboxCollection, auditOutboxName } from "../../lib/audit/removal";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin } from "../../mixins/outbox.mixin";
import { ScheduledJobsMixin, jobRunsCollection } from "../../mixins/scheduled-jobs.mixin";
import { ApplicationsPart } from "./recruitment.parts/applications";
import { CandidatesPart } from "./recruitment.parts/candidates";
import { FunnelPart } from "./recruitment.parts/funnel";
import { InterviewsPart } from "./recruitment.parts/interviews";
import { OffersPart } from "./recruitment.parts/offers";
import { OnboardingSagasPart } from "./recruitment.parts/onboarding-sagas";
import { OpeningsPart } from "./recruitment.parts/openings";
import { interviewReminders } from "./recruitment.parts/reminders";
import { APPLICATIONS, CANDIDATES, INTERVIEWS, LOCKS, OFFERS, OPENINGS, SharedPart } from "./recruitment.parts/shared";

export type { ApplicationView } from "./recruitment.parts/shared";

const RecruitmentService: ServiceSchema = {
	name: "recruitment",

	// Moleculer merges same-named actions and methods silently (the earlier mixin wins), so each
	// part's names are its own and none reuses the db mixin's.
	mixins: [
		// Interview reminders, once per cluster (recruitment.parts/reminders.ts); before the db
		// mixin, so it starts after the collections connect and stops before they close.
		ScheduledJobsMixin("recruitment", { interviewReminders }),
		// Openings and candidates carry only their audit records in their outboxes (lib/audit/record.ts).
		DbMixin("recruitment", { name: OPENINGS, indexes: [{ fields: { tenantId: 1, hiringManagerId: 1 } }, OUTBOX_INDEX] }, [
			{ name: CANDIDATES, indexes: [{ fields: { tenantId: 1, email: 1 }, unique: true }, OUTBOX_INDEX] },
			{
				name: APPLICATIONS,
				indexes: [{ fields: { tenantId: 1, candidateId: 1, openingId: 1 }, unique: true }, { fields: { tenantId: 1, openingId: 1 } }, OUTBOX_INDEX]
			},
			{
				name: INTERVIEWS,
				// By start time: the reminder job's window (reminders.ts).
				indexes: [{ fields: { tenantId: 1, applicationId: 1 } }, { fields: { tenantId: 1, scheduledAt: 1 } }, OUTBOX_INDEX],
				arrays: ["interviewerIds"]
			},
			{
				name: OFFERS,
				// onboardingDue: the sweep for stalled onboarding sagas; the outbox: employee.hired at a hire's commit.
				indexes: [
					{ fields: { tenantId: 1, liveKey: 1 }, unique: true },
					{ fields: { tenantId: 1, applicationId: 1 } },
					{ fields: { onboardingDue: 1 } },
					OUTBOX_INDEX
				]
			},
			// Per-application leases: an accept's claim and a move that closes the application (shared.ts).
			{ name: LOCKS },
			jobRunsCollection("recruitment"),
			auditOutboxCollection("recruitment")
		]),
		// Stage moves, new interviews, reminders and hires carry their events in the write that makes them (lib/channels/outbox.ts).
		OutboxMixin({ collections: [CANDIDATES, APPLICATIONS, INTERVIEWS, OFFERS], notes: [auditOutboxName("recruitment")] }),
		SharedPart,
		OpeningsPart,
		CandidatesPart,
		ApplicationsPart,
		InterviewsPart,
		OffersPart,
		OnboardingSagasPart,
		FunnelPart
	],

	settings: {
		rest: "/"
	}
};

export default RecruitmentService;
