/**
 * When an employment ends, the leave booked after its last day goes: each requested or approved
 * request ending after the termination date is cancelled, as the system (on the audit trail and
 * in leave.decided, so the requester is told), and its days go back to its year and to what that
 * year carries on. Admission and approval already refuse leave outside the employment
 * (checkWithinEmployment); this covers leave booked before the termination was, and an approval
 * racing it. A request that straddles the last day goes whole: staff may book its first part again.
 *
 * A durable channel, delivered at least once. The effect is idempotent by itself: it cancels only
 * while the employee is still terminated on that date (a redelivery after a rehire does nothing),
 * and each cancellation is conditional on the request's status.
 */
import type { ServiceSchema } from "moleculer";
import { auditUpdate, systemAudit } from "../../../lib/audit/record";
import { envelopeOf, type DomainEvent } from "../../../lib/channels/events";
import { pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { now } from "../../../lib/entity";
import type { Changes } from "../../../lib/employees/history";
import type { RequestDoc } from "../../../lib/leave/model";
import { ACTIVE_STATUSES } from "../../../lib/leave/status";
import { EmployeeActions, EmployeeEvents, type EmployeeSummary } from "../../../lib/names/employees";
import { type LeaveDecidedEvent, LeaveEvents } from "../../../lib/names/leave";
import { SYSTEM_USER_ID, systemCaller } from "../../../lib/meta";
import type { LeaveThis } from "./shared";

type EmployeesChangedEvent = DomainEvent<{ employeeId: string; changes: Changes }>;

const AUDIT = systemAudit("leave.employmentEnded");

/** The last day of an employment this change ended; undefined for any other change. */
function endedOn(changes: Changes | undefined): string | undefined {
	const status = changes?.status;
	const date = changes?.terminationDate;
	if (!status || !("to" in status) || status.to !== "terminated" || !date || !("to" in date)) return undefined;
	return typeof date.to === "string" ? date.to : undefined;
}

export const EmploymentEndedChannels: ServiceSchema["channels"] = {
	[EmployeeEvents.changed]: {
		async handler(this: LeaveThis, event: EmployeesChangedEvent): Promise<void> {
			const lastDay = endedOn(event.changes);
			if (!envelopeOf(event) || !lastDay) return;
			const { tenantId, employeeId } = event;
			const [employee] = await this.broker.call<EmployeeSummary[], { ids: string[] }>(
				EmployeeActions.summaries,
				{ ids: [employeeId] },
				// The record as it stands, not a cached answer from before the change.
				{ meta: { ...systemCaller(tenantId), $cache: false } }
			);
			if (employee?.status !== "terminated" || employee.terminationDate !== lastDay) return;
			const cancelled = await this.exclusively(tenantId, employeeId, async () => {
				const after: RequestDoc[] = await this.adapter.find({
					query: { tenantId, employeeId, status: { $in: ACTIVE_STATUSES }, endDate: { $gt: lastDay } }
				});
				for (const request of after) await cancelAfterEnd(this, request);
				for (const { leaveTypeId, year } of new Map(after.map(r => [`${r.leaveTypeId}:${r.year}`, r])).values()) {
					await this.carryOn(AUDIT, tenantId, employeeId, leaveTypeId, year);
				}
				return after.length;
			});
			// Balances and lists cached for the tenant go stale.
			if (cancelled > 0) await this.entityChanged("updated", [], { meta: systemCaller(tenantId) });
		}
	}
};

async function cancelAfterEnd(service: LeaveThis, request: RequestDoc): Promise<void> {
	const at = now();
	const set = { status: "cancelled", cancelledBy: null, cancelledAt: at, decisionNote: "The employment ended before this leave.", updatedAt: at };
	const decided = pendingEvent<LeaveDecidedEvent>(LeaveEvents.requestDecided, request.tenantId, {
		requestId: request._id,
		employeeId: request.employeeId,
		status: "cancelled",
		decidedBy: SYSTEM_USER_ID,
		requestedBy: request.requestedBy
	});
	const changed = await service.adapter.updateMany(
		{ _id: request._id, tenantId: request.tenantId, status: request.status },
		updateWithEvent(updateWithEvent({ $set: set }, decided), auditUpdate(AUDIT, "leaveRequest", request, set))
	);
	if (changed === 1) service.publishEvents(request._id);
}
