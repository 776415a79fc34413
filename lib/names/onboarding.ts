/**
 * Onboarding's saga log, kept on the offer it is about (recruitment owns the offer; onboarding
 * holds no collections). The recruitment actions below write it with conditional updates, so
 * of two nodes exactly one holds a saga at a time, and a node that lost it cannot write again.
 */
import type { AuthUser } from "../meta";
import type { Offer } from "./recruitment";

export const OnboardingSagaActions = {
	/**
	 * Internal { id, sagaId, employeeId, userId, leaseMs } → SagaOffer: the claim. A sent offer
	 * becomes accepted with a running saga (step "hire") held by the caller, in one conditional
	 * update: of two concurrent accepts one gets it, the other a 409 (stale).
	 */
	start: "recruitment.startOnboarding",
	/**
	 * Internal { id, sagaId, holder, step?, state?, error?, leaseMs } → SagaOffer: records the
	 * step about to run (or the move to compensating) and extends the lease, only while the
	 * caller still holds the saga; 409 (reason leaseLost) otherwise.
	 */
	record: "recruitment.recordOnboarding",
	/** Internal { id, sagaId, holder, leaseMs } → SagaOffer: takes over a saga whose lease ran out; 409 (leaseLost) when another node did first or it is alive. */
	takeOver: "recruitment.takeOverOnboarding",
	/**
	 * Internal { id, sagaId, holder, managerId, departmentId } → Offer: the commit point. The
	 * saga's ids go onto the offer, the saga is done, and employee.hired waits in the offer's
	 * outbox, all in one write. Again after it happened: the same offer, nothing new.
	 */
	commit: "recruitment.commitOnboarding",
	/** Internal { id, sagaId, holder, error } → Offer: every step undone; the offer is sent again, the saga compensated. */
	rollBack: "recruitment.rollBackOnboarding",
	/** Internal { limit } → SagaOffer[] of every tenant: sagas running or compensating whose lease ran out (their holder died). */
	stalled: "recruitment.stalledOnboardings"
} as const;

/** In order; a saga's `step` is the one under way: its effect may or may not have happened, every one before it has. */
export const ONBOARDING_STEPS = ["hire", "invite", "entitlements", "stage", "commit"] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

export const ONBOARDING_STATES = ["running", "compensating", "done", "compensated"] as const;
export type OnboardingState = (typeof ONBOARDING_STATES)[number];

/** What a client sees of the saga on the offer (GET /offers/:id): enough for an operator to tell where a hire stands. */
export interface OnboardingSagaView {
	sagaId: string;
	state: OnboardingState;
	step: OnboardingStep;
	/** Chosen before the steps run, so a successor can tell whether a step happened and undo exactly that. */
	employeeId: string;
	userId: string;
	/** Times another node (or a retried request) took the saga over. */
	attempts: number;
	/** Why it is compensating, compensated, or waiting to be retried. */
	error: string | null;
	/** Epoch ms until which its holder owns it; past that, any onboarding node takes it over. */
	leaseUntil: number;
	startedAt: string;
	updatedAt: string;
}

/** The whole record, for onboarding: also who holds it and as whom it acts. */
export interface OnboardingSaga extends OnboardingSagaView {
	holder: string;
	/** The user whose accept started it: a successor acts as them (their tenant, their role). */
	actor: AuthUser;
}

export interface SagaOffer {
	offer: Offer;
	saga: OnboardingSaga;
}
