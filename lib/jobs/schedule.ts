/**
 * When a job is due. A slot is one scheduled instant of a job's cron pattern (UTC): the run that
 * belongs to it is named by both (`${job}:${slot ISO}`), so every node that sees the slot names the
 * same run and only one of them can claim it (lib/jobs/runs.ts).
 */
import { Cron } from "croner";

/** A pattern croner accepts (5 fields, or 6 with seconds first), read in UTC; throws with croner's reason otherwise. */
export function cronOf(pattern: string): Cron {
	return new Cron(pattern, { timezone: "UTC", paused: true, mode: "5-or-6-parts" });
}

/** A timer that calls `fire` at every slot of `pattern` (UTC); it does not keep the process alive. */
export function cronTimer(pattern: string, fire: (self: Cron) => void): Cron {
	return new Cron(pattern, { timezone: "UTC", unref: true, catch: true, mode: "5-or-6-parts" }, fire);
}

/** Throws unless `pattern` is a cron pattern a job may use. */
export function checkPattern(pattern: string): void {
	cronOf(pattern);
}

/**
 * The latest slot at or before `now`, if it is no older than `catchUpMs`: the one slot a node
 * runs when it finds it not yet run (the slot just due, or the latest one missed while every
 * node was down; older missed slots are skipped, not replayed one by one).
 */
export function latestDue(cron: Cron, now: Date, catchUpMs: number): Date | null {
	// croner counts a slot "before" a reference only from the next millisecond on.
	const [slot] = cron.previousRuns(1, new Date(now.getTime() + 1));
	if (!slot || now.getTime() - slot.getTime() > catchUpMs) return null;
	return slot;
}

/** The run's id in the service's job-runs collection: unique per job and slot on every backend. */
export function runId(job: string, slot: Date): string {
	return `${job}:${slot.toISOString()}`;
}
