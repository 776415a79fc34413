/** Actions and events of the leave context. */
export const LeaveActions = {
	/** Internal { id } → LeaveRequest of the caller's tenant (no role scoping), 404 otherwise. */
	getRequest: "leave.getRequest",
	/** Internal { id, decision: "approved" | "rejected", note? } → LeaveRequest; 409 unless status is requested. */
	decide: "leave.decide",
	/** Internal { employeeId, year } → creates the year's entitlements for every leave type; idempotent. */
	grantEntitlements: "leave.grantEntitlements",
	/** Internal { employeeId, year } → removes what grantEntitlements made: onboarding's compensation. */
	revokeEntitlements: "leave.revokeEntitlements"
} as const;

/** Durable domain events (channels, published from the request's outbox), with their payloads below. */
export const LeaveEvents = {
	/** LeaveRequestedEvent when a request is made. */
	requested: "leave.request.created",
	/** LeaveDecidedEvent when a request is approved, rejected or cancelled. */
	requestDecided: "leave.request.decided"
} as const;

export interface LeaveRequestedEvent {
	requestId: string;
	employeeId: string;
	leaveTypeId: string;
	startDate: string;
	endDate: string;
	days: number;
	/** The user who made the request (the employee, or staff on their behalf). */
	requestedBy: string;
}

export interface LeaveDecidedEvent {
	requestId: string;
	employeeId: string;
	status: "approved" | "rejected" | "cancelled";
	/** The user who decided (or cancelled). */
	decidedBy: string;
	/** The user who made the request: the one to tell. */
	requestedBy: string;
}

export type LeaveStatus = "requested" | "approved" | "rejected" | "cancelled";

export interface LeaveRequest {
	id: string;
	employeeId: string;
	leaveTypeId: string;
	startDate: string;
	endDate: string;
	halfDayStart: boolean;
	halfDayEnd: boolean;
	days: number;
	reason: string | null;
	status: LeaveStatus;
	requestedBy: string;
	decidedBy: string | null;
	createdAt: string;
	updatedAt: string;
}
