/** Actions and events of the recruitment context. */
import type { OnboardingSagaView } from "./onboarding";

export const RecruitmentActions = {
	/** Internal { id } → Application of the caller's tenant (no role scoping), 404 otherwise. */
	getApplication: "recruitment.getApplication",
	/**
	 * Internal { id, stage, expect?, reason? } → Application; the data service stores, the pipeline
	 * decides what is allowed. The write only lands while the stage is still `expect` (the stage
	 * read first when omitted), so of two concurrent moves one wins and the other is a 409.
	 */
	setStage: "recruitment.setStage",
	/** Internal { id } → Offer of the caller's tenant, 404 otherwise. */
	getOffer: "recruitment.getOffer",
	/**
	 * Internal { id, status, expect?, employeeId?, userId? } → Offer. With `expect`, the write only
	 * lands while the status is still `expect` (409 otherwise), so an offer is claimed exactly
	 * once. No transition table here: the caller decides (onboarding may also roll back).
	 */
	setOfferStatus: "recruitment.setOfferStatus",
	/** Internal { id } → Candidate of the caller's tenant, 404 otherwise. */
	getCandidate: "recruitment.getCandidate",
	/** Internal { id } → JobOpening of the caller's tenant, 404 otherwise. */
	getOpening: "recruitment.getOpening",
	/**
	 * Internal { applicationId, scheduledAt, interviewerIds[] } → Interview (201). 422 naming the
	 * field for an unknown application or interviewer; it does not touch the application's stage.
	 */
	createInterview: "recruitment.createInterview",
	/** Internal { id } → { removed }: removes an interview created moments ago (the pipeline's compensation). */
	undoCreateInterview: "recruitment.undoCreateInterview",
	/** Internal { applicationId } → { withdrawn }: every draft or sent offer of the application becomes withdrawn. */
	withdrawOffers: "recruitment.withdrawOffers",
	/** Internal { departmentId } → how many openings not closed (draft or open) hire into the department (org refuses to delete it then). */
	countOpeningsInDepartment: "recruitment.countOpeningsInDepartment",
	/** Internal { positionId } → how many offers not yet answered (draft or sent) hire into the position (org refuses to delete it then). */
	countOffersForPosition: "recruitment.countOffersForPosition"
} as const;

/** Durable domain events (channels, published from the aggregate's outbox). */
export const RecruitmentEvents = {
	/** StageChangedEvent */
	stageChanged: "recruitment.application.stageChanged",
	/** InterviewScheduledEvent when an interview is created. */
	interviewScheduled: "recruitment.interview.scheduled",
	/**
	 * InterviewReminderEvent, once per interview (again after a reschedule) by the interviewReminders
	 * job: the interview starts before the end of the next UTC day. For the interviewers.
	 */
	interviewReminder: "recruitment.interview.reminder"
} as const;

export interface InterviewReminderEvent {
	interviewId: string;
	applicationId: string;
	openingId: string;
	/** null if the application is gone. */
	candidateId: string | null;
	/** ISO 8601 instant. */
	scheduledAt: string;
	/** Employee ids: whom to remind. */
	interviewerIds: string[];
}

export interface InterviewScheduledEvent {
	interviewId: string;
	applicationId: string;
	openingId: string;
	candidateId: string;
	/** ISO 8601 instant. */
	scheduledAt: string;
	/** Employee ids. */
	interviewerIds: string[];
}

export const STAGES = ["applied", "screening", "interview", "offer", "hired", "rejected", "withdrawn"] as const;
export type Stage = (typeof STAGES)[number];

export const OPENING_STATUSES = ["draft", "open", "closed"] as const;
export type OpeningStatus = (typeof OPENING_STATUSES)[number];

export const CANDIDATE_SOURCES = ["referral", "job_board", "agency", "website", "other"] as const;
export type CandidateSource = (typeof CANDIDATE_SOURCES)[number];

export const INTERVIEW_RESULTS = ["pending", "pass", "fail", "no_show"] as const;
export type InterviewResult = (typeof INTERVIEW_RESULTS)[number];

export const OFFER_STATUSES = ["draft", "sent", "accepted", "declined", "withdrawn"] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

export interface StageChangedEvent {
	tenantId: string;
	applicationId: string;
	openingId: string;
	candidateId: string;
	from: Stage;
	to: Stage;
	reason: string | null;
	/** The user who moved it. */
	movedBy: string;
}

export interface JobOpening {
	id: string;
	title: string;
	departmentId: string;
	hiringManagerId: string;
	headcount: number;
	status: OpeningStatus;
	description: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface Candidate {
	id: string;
	firstName: string;
	lastName: string;
	email: string;
	phone: string | null;
	source: CandidateSource;
	resumeUrl: string | null;
	consentToKeepData: boolean;
	/** When consent was last given; null while there is none. */
	consentGivenAt: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface StageChange {
	from: Stage;
	to: Stage;
	at: string;
	by: string;
	reason: string | null;
}

export interface Application {
	id: string;
	candidateId: string;
	openingId: string;
	stage: Stage;
	/** The active stage it left when it became rejected or withdrawn: how far a reopen may go. */
	closedFrom: Stage | null;
	note: string | null;
	history: StageChange[];
	stageChangedAt: string;
	createdAt: string;
	updatedAt: string;
}

export interface Interview {
	id: string;
	applicationId: string;
	/** Copied from the application, so a manager's interviews are one query. */
	openingId: string;
	scheduledAt: string;
	interviewerIds: string[];
	feedback: string | null;
	result: InterviewResult;
	/** When the interviewers were reminded of it (the slot of the reminder job), null until then or since a reschedule. */
	remindedAt: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface Offer {
	id: string;
	applicationId: string;
	candidateId: string;
	openingId: string;
	title: string | null;
	positionId: string | null;
	salary: number | null;
	currency: string | null;
	startDate: string;
	expiresAt: string | null;
	status: OfferStatus;
	/** Set by onboarding when the offer is accepted: the new employee and their user account. */
	employeeId: string | null;
	userId: string | null;
	/** The onboarding saga of its latest accept, if any (lib/names/onboarding.ts). */
	onboarding?: OnboardingSagaView | null;
	createdBy: string;
	createdAt: string;
	updatedAt: string;
}
