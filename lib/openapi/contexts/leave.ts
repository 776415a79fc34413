/** What the leave context answers: types, holidays, entitlements, requests and balances. */
import { LEAVE_STATUSES } from "../../leave/status";
import { arrayOf, bool, closed, day, enumeration, int, nullableStr, nullableTimestamp, num, str, timestamp } from "../schemas";

export const LeaveType = closed({
	id: str,
	name: str,
	paid: bool,
	yearlyAllowance: num,
	carryOverCap: num,
	allowNegative: bool,
	createdAt: timestamp,
	updatedAt: timestamp
});

export const Holiday = closed({ id: str, date: day, name: str, createdAt: timestamp, updatedAt: timestamp });

export const Entitlement = closed({
	id: str,
	employeeId: str,
	leaveTypeId: str,
	year: int,
	days: num,
	carriedOver: num,
	source: enumeration(["grant", "manual"]),
	createdAt: timestamp,
	updatedAt: timestamp
});

/** A request; the display names of the people it names, so an approval queue needs no lookup per row. */
export const LeaveRequest = closed(
	{
		id: str,
		employeeId: str,
		leaveTypeId: str,
		startDate: day,
		endDate: day,
		halfDayStart: bool,
		halfDayEnd: bool,
		days: num,
		reason: nullableStr,
		status: enumeration(LEAVE_STATUSES),
		year: int,
		requestedBy: str,
		decidedBy: nullableStr,
		decidedAt: nullableTimestamp,
		decisionNote: nullableStr,
		cancelledBy: nullableStr,
		cancelledAt: nullableTimestamp,
		createdAt: timestamp,
		updatedAt: timestamp,
		employeeName: nullableStr,
		requestedByName: nullableStr,
		decidedByName: nullableStr
	},
	["employeeName", "requestedByName", "decidedByName"]
);

export const Balances = closed({
	employeeId: str,
	year: int,
	balances: arrayOf(closed({ leaveTypeId: str, name: str, entitled: num, carriedOver: num, taken: num, pending: num, remaining: num }))
});
