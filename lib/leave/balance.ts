/**
 * Balance arithmetic. A balance is never stored: it is computed from the year's entitlement
 * and the requests that hold days, so approving, rejecting or cancelling a request moves it
 * without a second write that could drift.
 */
import type { LeaveStatus } from "../names/leave";

export interface Allowance {
	days: number;
	carriedOver: number;
}

export interface DaysHeld {
	days: number;
	status: LeaveStatus;
}

export interface Balance {
	entitled: number;
	carriedOver: number;
	/** Approved days. */
	taken: number;
	/** Days of requests still waiting for a decision. */
	pending: number;
	/** entitled + carriedOver − taken − pending; negative only where the leave type allows it. */
	remaining: number;
}

const sum = (requests: readonly DaysHeld[], status: LeaveStatus): number => requests.filter(r => r.status === status).reduce((total, r) => total + r.days, 0);

/** Without an entitlement for the year, the allowance is nothing. */
export function balanceOf(allowance: Allowance | null, requests: readonly DaysHeld[]): Balance {
	const entitled = allowance?.days ?? 0;
	const carriedOver = allowance?.carriedOver ?? 0;
	const taken = sum(requests, "approved");
	const pending = sum(requests, "requested");
	return { entitled, carriedOver, taken, pending, remaining: entitled + carriedOver - taken - pending };
}

/** What last year's remainder brings into the new year: never negative, never above the cap. */
export function carryOver(previousRemaining: number, cap: number): number {
	return Math.min(Math.max(previousRemaining, 0), cap);
}

export function fits(remaining: number, days: number, allowNegative: boolean): boolean {
	return allowNegative || days <= remaining;
}
