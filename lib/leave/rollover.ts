/**
 * The yearly roll-over's arithmetic (services/data/leave.parts/rollover.ts runs it): on
 * 1 January each entitlement of the year that ended brings its remainder into the new year, up
 * to the leave type's carry-over cap, exactly once per (employee, leave type, year).
 */
import { type Allowance, type DaysHeld, balanceOf, carryOver } from "./balance";
import type { Employment } from "./employment";

/** The year a roll-over at `slot` closes: the one before the slot's (UTC) year. */
export function closingYear(slot: Date): number {
	return slot.getUTCFullYear() - 1;
}

/** What the closing year's entitlement brings into the next: its remainder (requests that hold days deducted), capped. */
export function carriedInto(entitlement: Allowance, held: readonly DaysHeld[], cap: number): number {
	return carryOver(balanceOf(entitlement, held).remaining, cap);
}

/** Whether the employee still works in `nextYear`: not when their employment ended before it began. */
export function employedIn(employment: Employment | undefined, nextYear: number): boolean {
	if (!employment) return false;
	return employment.terminationDate === null || employment.terminationDate >= `${nextYear}-01-01`;
}

/** The next year's entitlement as the roll-over sees it: absent, or one that may already have had it. */
export interface NextEntitlement {
	/** The year whose carry-over it has received (the roll-over, or a grant that computed it). */
	rolledOverFrom?: number | null;
}

export type RolloverAction =
	/** None exists: make it, with the type's allowance and the carry-over. */
	| { kind: "create"; carriedOver: number }
	/**
	 * Someone made it (a grant, HR by hand): leave their days alone and add the carry-over once,
	 * none too: the mark that it is added lets a later change of the closed year move it.
	 */
	| { kind: "add"; carriedOver: number }
	/** It has had this year's carry-over. */
	| { kind: "none" };

export function rolloverAction(next: NextEntitlement | null, closing: number, carried: number): RolloverAction {
	if (!next) return { kind: "create", carriedOver: carried };
	if (next.rolledOverFrom === closing) return { kind: "none" };
	return { kind: "add", carriedOver: carried };
}
