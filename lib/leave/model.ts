/**
 * The leave context's records: what clients see (the JSON types) and what is stored (the
 * documents: the same fields with `_id` and the tenant, plus a few kept inside).
 */
import type { TenantDoc } from "../entity";
import type { LeaveRequest } from "../names/leave";

export interface LeaveType {
	id: string;
	name: string;
	paid: boolean;
	/** Days granted per year, whole or half. */
	yearlyAllowance: number;
	/** Most days a year's remainder may bring into the next year. */
	carryOverCap: number;
	/** Whether a request may take the balance below zero. */
	allowNegative: boolean;
	createdAt: string;
	updatedAt: string;
}

export interface Holiday {
	id: string;
	date: string;
	name: string;
	createdAt: string;
	updatedAt: string;
}

export interface LeaveEntitlement {
	id: string;
	employeeId: string;
	leaveTypeId: string;
	year: number;
	days: number;
	carriedOver: number;
	/** "grant" when leave.grantEntitlements made it (and revokeEntitlements may remove it). */
	source: "grant" | "manual";
	createdAt: string;
	updatedAt: string;
}

export interface LeaveRequestJSON extends LeaveRequest {
	year: number;
	decidedAt: string | null;
	decisionNote: string | null;
	cancelledBy: string | null;
	cancelledAt: string | null;
}

/** One leave type's year for one employee (see lib/leave/balance.ts for the arithmetic). */
export interface LeaveBalance {
	leaveTypeId: string;
	name: string;
	entitled: number;
	carriedOver: number;
	/** Approved days. */
	taken: number;
	/** Days of requests waiting for a decision. */
	pending: number;
	/** entitled + carriedOver − taken − pending. */
	remaining: number;
}

export interface LeaveBalances {
	employeeId: string;
	year: number;
	balances: LeaveBalance[];
}

export type TypeDoc = TenantDoc & Omit<LeaveType, "id"> & { /** The name lower-cased: names are unique regardless of case. */ nameKey: string };
export type HolidayDoc = TenantDoc & Omit<Holiday, "id">;
export type EntitlementDoc = TenantDoc &
	Omit<LeaveEntitlement, "id"> & {
		/** The year whose remainder it has received (the roll-over, or a grant that computed it): it receives it once. */
		rolledOverFrom?: number | null;
		/** The part of `carriedOver` that year brought, kept up to date with its balance (leave.parts/carry-over.ts). */
		carriedIn?: number | null;
	};
export type RequestDoc = TenantDoc &
	Omit<LeaveRequestJSON, "id"> & {
		/** The days split by calendar month, January first (reports of leave taken per month). */
		monthDays: number[];
	};

export const typeJSON = ({ _id, name, paid, yearlyAllowance, carryOverCap, allowNegative, createdAt, updatedAt }: TypeDoc): LeaveType => ({
	id: _id,
	name,
	paid,
	yearlyAllowance,
	carryOverCap,
	allowNegative,
	createdAt,
	updatedAt
});

export const holidayJSON = ({ _id, date: day, name, createdAt, updatedAt }: HolidayDoc): Holiday => ({ id: _id, date: day, name, createdAt, updatedAt });

export const entitlementJSON = (doc: EntitlementDoc): LeaveEntitlement => ({
	id: doc._id,
	employeeId: doc.employeeId,
	leaveTypeId: doc.leaveTypeId,
	year: doc.year,
	days: doc.days,
	carriedOver: doc.carriedOver,
	source: doc.source,
	createdAt: doc.createdAt,
	updatedAt: doc.updatedAt
});

export const requestJSON = (doc: RequestDoc): LeaveRequestJSON => ({
	id: doc._id,
	employeeId: doc.employeeId,
	leaveTypeId: doc.leaveTypeId,
	startDate: doc.startDate,
	endDate: doc.endDate,
	halfDayStart: doc.halfDayStart,
	halfDayEnd: doc.halfDayEnd,
	days: doc.days,
	reason: doc.reason,
	status: doc.status,
	year: doc.year,
	requestedBy: doc.requestedBy,
	decidedBy: doc.decidedBy,
	decidedAt: doc.decidedAt,
	decisionNote: doc.decisionNote,
	cancelledBy: doc.cancelledBy,
	cancelledAt: doc.cancelledAt,
	createdAt: doc.createdAt,
	updatedAt: doc.updatedAt
});
