/** Actions and events of the recruitment context. */
export const RecruitmentActions = {
	/** Internal { id } → Application of the caller's tenant, 404 otherwise. */
	getApplication: "recruitment.getApplication",
	/** Internal { id, stage } → Application; the data service stores, the pipeline decides what is allowed. */
	setStage: "recruitment.setStage",
	/** Internal { id } → Offer of the caller's tenant, 404 otherwise. */
	getOffer: "recruitment.getOffer",
	/** Internal { id, status, employeeId? } → Offer. */
	setOfferStatus: "recruitment.setOfferStatus",
	/** Internal { id } → Candidate of the caller's tenant, 404 otherwise. */
	getCandidate: "recruitment.getCandidate",
	/** Internal { id } → JobOpening of the caller's tenant, 404 otherwise. */
	getOpening: "recruitment.getOpening",
	/** Internal: creates an interview { applicationId, scheduledAt, interviewers[] } → Interview (201). */
	createInterview: "recruitment.createInterview"
} as const;

export const RecruitmentEvents = {
	/** { tenantId, applicationId, from, to } */
	stageChanged: "recruitment.application.stageChanged"
} as const;

export const STAGES = ["applied", "screening", "interview", "offer", "hired", "rejected", "withdrawn"] as const;
export type Stage = (typeof STAGES)[number];
