/**
 * The life of a leave request: it is requested, then approved, rejected or cancelled. Only an
 * approved request may still be cancelled (which gives its days back); rejected and cancelled
 * are final.
 */
import type { LeaveStatus } from "../names/leave";

export const LEAVE_STATUSES: readonly LeaveStatus[] = ["requested", "approved", "rejected", "cancelled"];

const NEXT: Record<LeaveStatus, readonly LeaveStatus[]> = {
	requested: ["approved", "rejected", "cancelled"],
	approved: ["cancelled"],
	rejected: [],
	cancelled: []
};

/** Requests that hold days: they count against the balance and block overlapping requests. */
export const ACTIVE_STATUSES: readonly LeaveStatus[] = ["requested", "approved"];

export function canTransition(from: LeaveStatus, to: LeaveStatus): boolean {
	return NEXT[from].includes(to);
}

/** The statuses a request may be in to move to `to`: the guard of an atomic conditional update. */
export function statusesBefore(to: LeaveStatus): LeaveStatus[] {
	return LEAVE_STATUSES.filter(from => canTransition(from, to));
}
