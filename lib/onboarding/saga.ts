/**
 * The onboarding saga's decisions, on plain data: which steps still run forward, which ones a
 * compensation undoes, and what a failure leads to. services/app/onboarding.service.ts runs
 * them; the log lives on the offer (lib/names/onboarding.ts).
 *
 * Why this is safe to resume anywhere: the saga records a step BEFORE it runs it, and every
 * step and every undo is idempotent (the employee and the user are made under ids the saga
 * chose at the claim; the grant adds only what is missing; the stage move is skipped when it
 * happened). So a successor never needs to know whether the recorded step happened: going
 * forward it runs that step again, compensating it undoes it (an undo of what never happened
 * is a no-op), and every step before it happened for sure.
 *
 * Ids chosen up front rather than a look-up by natural key (the work email in the tenant):
 * an employee found by email may be someone else's (hired by hand meanwhile), and a successor
 * compensating would then remove a colleague; an id the saga chose is its own beyond doubt.
 */
import { ONBOARDING_STEPS, type OnboardingSagaView, type OnboardingStep } from "../names/onboarding";

/** The forward steps of a saga whose recorded step is `step`, that one included. */
export function stepsFrom(step: OnboardingStep): OnboardingStep[] {
	return ONBOARDING_STEPS.slice(ONBOARDING_STEPS.indexOf(step));
}

/**
 * What a compensation undoes, newest first: every step up to the recorded one (which may have
 * happened). The commit is never undone: once the hire is recorded on the offer it is final,
 * and a saga at "commit" that did not commit has nothing of its own to undo there.
 */
export function stepsToUndo(step: OnboardingStep): Exclude<OnboardingStep, "commit">[] {
	const upTo = ONBOARDING_STEPS.slice(0, ONBOARDING_STEPS.indexOf(step) + 1);
	return upTo.filter((s): s is Exclude<OnboardingStep, "commit"> => s !== "commit").reverse();
}

/** The application stages a step accepts when it (re)starts: "hired" only once the stage step may have run. */
export function expectedStages(step: OnboardingStep): string[] {
	if (step === "stage") return ["offer", "hired"];
	if (step === "commit") return ["hired"];
	return ["offer"];
}

/** A saga nobody owns any more: still under way, and its holder's lease ran out (the holder died or gave it up). */
export function isStalled(saga: Pick<OnboardingSagaView, "state" | "leaseUntil"> | null | undefined, now: number): boolean {
	return !!saga && (saga.state === "running" || saga.state === "compensating") && saga.leaseUntil < now;
}

/**
 * A failure that may pass if tried again: no node for a service, a timeout, a 5xx. A 4xx
 * (a conflict, a reference gone, a rule broken) will fail the same way each time.
 */
export function isTransient(err: unknown): boolean {
	const e = err as { retryable?: boolean; code?: unknown } | null;
	if (e?.retryable) return true;
	return typeof e?.code !== "number" || e.code >= 500 || e.code === 408 || e.code === 429;
}

/** Takeovers of a saga whose steps keep failing transiently before it is compensated instead. */
export const MAX_ATTEMPTS = 5;

export type Origin = "request" | "recovery";

/**
 * After a forward step failed. A request compensates at once: its client is answered the
 * error and expects nothing to have happened, so it can retry. Recovery, with nobody waiting,
 * goes on with what the candidate asked for: a transient failure is retried later (the lease
 * left to run out), up to MAX_ATTEMPTS takeovers; a failure that will not pass is compensated.
 */
export function afterFailure(origin: Origin, err: unknown, attempts: number): "compensate" | "retryLater" {
	if (origin === "request") return "compensate";
	return isTransient(err) && attempts < MAX_ATTEMPTS ? "retryLater" : "compensate";
}

/** How long a saga waits before its next takeover after a transient failure: doubling, from the sweep interval up to the lease. */
export function retryDelay(attempts: number, sweepIntervalMs: number, leaseMs: number): number {
	return Math.min(sweepIntervalMs * 2 ** Math.max(0, attempts - 1), Math.max(leaseMs, sweepIntervalMs));
}

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
