/**
 * The recruiting pipeline's stage rules, on plain data so they are easy to test. An application
 * moves forward one stage at a time along applied → screening → interview → offer; it may be
 * rejected or withdrawn from any active stage; "hired" is reached only by accepting an offer
 * (onboarding), never by a move; a rejected or withdrawn application may be reopened by staff
 * only, to an active stage no later than the one it had reached.
 */
import type { Stage } from "../names/recruitment";

/** The stages an application passes through in order while it is still in play. */
export const ACTIVE_STAGES = ["applied", "screening", "interview", "offer"] as const;
export type ActiveStage = (typeof ACTIVE_STAGES)[number];

/** Ends of the road that staff may undo (reopen). */
export const CLOSED_STAGES = ["rejected", "withdrawn"] as const;
export type ClosedStage = (typeof CLOSED_STAGES)[number];

export const isActive = (stage: Stage): stage is ActiveStage => (ACTIVE_STAGES as readonly Stage[]).includes(stage);
export const isClosed = (stage: Stage): stage is ClosedStage => (CLOSED_STAGES as readonly Stage[]).includes(stage);
/** Hired, rejected and withdrawn: nothing moves on from them without a reopen (and hired never does). */
export const isTerminal = (stage: Stage): boolean => !isActive(stage);

const order = (stage: ActiveStage): number => ACTIVE_STAGES.indexOf(stage);

export type MoveRefusal =
	"sameStage" | "hiredByOfferOnly" | "fromHired" | "closedToClosed" | "skipsStages" | "backwards" | "reopenNeedsStaff" | "reopenBeyondReached";

export interface MoveRules {
	/** Whether the mover may reopen a rejected or withdrawn application (owner, admin, hr). */
	mayReopen: boolean;
	/** The active stage a closed application left; a reopen goes no further. Unknown: applied. */
	closedFrom?: Stage | null;
}

export type MoveVerdict =
	| { allowed: true; reopen: boolean }
	| { allowed: false; refusal: MoveRefusal; message: string; /** a role problem (403), not an illegal move (409) */ forbidden: boolean };

const refuse = (refusal: MoveRefusal, message: string, forbidden = false): MoveVerdict => ({ allowed: false, refusal, message, forbidden });

/** May an application in stage `from` be moved to `to` by this mover? */
export function checkMove(from: Stage, to: Stage, rules: MoveRules): MoveVerdict {
	if (from === to) return refuse("sameStage", `The application is already in '${to}'`);
	if (to === "hired") return refuse("hiredByOfferOnly", "An application becomes 'hired' only when its offer is accepted");
	if (from === "hired") return refuse("fromHired", "A hired application does not move any more");

	if (isClosed(from)) {
		if (isClosed(to)) return refuse("closedToClosed", `A '${from}' application must be reopened before it can become '${to}'`);
		if (!rules.mayReopen) return refuse("reopenNeedsStaff", "Only owner, admin or hr may reopen a rejected or withdrawn application", true);
		const reached = rules.closedFrom && isActive(rules.closedFrom) ? rules.closedFrom : "applied";
		if (order(to as ActiveStage) > order(reached)) {
			return refuse("reopenBeyondReached", `A reopened application goes back to a stage it had reached ('${reached}' at most)`);
		}
		return { allowed: true, reopen: true };
	}

	// From an active stage: one step forward, or out of the race.
	if (isClosed(to)) return { allowed: true, reopen: false };
	const step = order(to as ActiveStage) - order(from as ActiveStage);
	if (step > 1)
		return refuse("skipsStages", `An application moves one stage at a time: '${from}' goes to '${ACTIVE_STAGES[order(from as ActiveStage) + 1]}' next`);
	if (step < 1) return refuse("backwards", `An application does not move back from '${from}' to '${to}'`);
	return { allowed: true, reopen: false };
}

/**
 * The stage an application is in once an interview is scheduled for it: an application before
 * "interview" jumps there (scheduling is the screening's outcome), one at "interview" or
 * "offer" stays; null when it is over (hired, rejected, withdrawn) and cannot be interviewed.
 */
export function stageAfterScheduling(from: Stage): Stage | null {
	if (!isActive(from)) return null;
	return order(from) < order("interview") ? "interview" : from;
}
