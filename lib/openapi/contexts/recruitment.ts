/** What recruitment answers: openings, candidates, applications, interviews, offers and an accepted offer's hire. */
import { CANDIDATE_SOURCES, INTERVIEW_RESULTS, OFFER_STATUSES, OPENING_STATUSES, STAGES } from "../../names/recruitment";
import { ONBOARDING_STATES, ONBOARDING_STEPS } from "../../names/onboarding";
import { arrayOf, bool, closed, day, enumeration, int, nullableDay, nullableStr, nullableTimestamp, str, timestamp } from "../schemas";
import { Employee } from "./employees";
import { User } from "./identity";

const nullableNum = { type: ["number", "null"] };
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: "null" }] });

export const JobOpening = closed({
	id: str,
	title: str,
	departmentId: str,
	hiringManagerId: str,
	headcount: int,
	status: enumeration(OPENING_STATUSES),
	description: nullableStr,
	createdAt: timestamp,
	updatedAt: timestamp
});

export const Candidate = closed({
	id: str,
	firstName: str,
	lastName: str,
	email: str,
	phone: nullableStr,
	source: enumeration(CANDIDATE_SOURCES),
	resumeUrl: nullableStr,
	consentToKeepData: bool,
	consentGivenAt: nullableTimestamp,
	createdAt: timestamp,
	updatedAt: timestamp
});

const stageChange = closed({ from: enumeration(STAGES), to: enumeration(STAGES), at: timestamp, by: str, reason: nullableStr });

const application = {
	id: str,
	candidateId: str,
	openingId: str,
	stage: enumeration(STAGES),
	closedFrom: { type: ["string", "null"], enum: [...STAGES, null] },
	note: nullableStr,
	history: arrayOf(stageChange),
	stageChangedAt: timestamp,
	createdAt: timestamp,
	updatedAt: timestamp
};

export const Application = closed(application);

/** An application with who applied, to what (null when that record is gone). */
export const ApplicationView = closed({
	...application,
	candidate: nullable(closed({ id: str, firstName: str, lastName: str, email: str })),
	opening: nullable(closed({ id: str, title: str, status: enumeration(OPENING_STATUSES) }))
});

export const Interview = closed({
	id: str,
	applicationId: str,
	openingId: str,
	scheduledAt: timestamp,
	interviewerIds: arrayOf(str),
	feedback: nullableStr,
	result: enumeration(INTERVIEW_RESULTS),
	remindedAt: nullableTimestamp,
	createdAt: timestamp,
	updatedAt: timestamp
});

const onboardingView = closed({
	sagaId: str,
	state: enumeration(ONBOARDING_STATES),
	step: enumeration(ONBOARDING_STEPS),
	employeeId: str,
	userId: str,
	attempts: int,
	error: nullableStr,
	leaseUntil: int,
	startedAt: timestamp,
	updatedAt: timestamp
});

export const Offer = closed(
	{
		id: str,
		applicationId: str,
		candidateId: str,
		openingId: str,
		title: nullableStr,
		positionId: nullableStr,
		salary: nullableNum,
		currency: nullableStr,
		startDate: day,
		expiresAt: nullableDay,
		status: enumeration(OFFER_STATUSES),
		employeeId: nullableStr,
		userId: nullableStr,
		onboarding: nullable(onboardingView),
		createdBy: str,
		createdAt: timestamp,
		updatedAt: timestamp
	},
	["onboarding"]
);

/** An accepted offer: the new employee and their user account. */
export const Onboarded = closed({ offer: Offer, employee: Employee, user: User });
