/**
 * The yearly roll-over (a scheduled job, mixins/scheduled-jobs.mixin.ts): on 1 January, every
 * employee who had entitlements in the year that ended and still works gets the new year's, one
 * per leave type: the type's allowance, plus the old year's remainder up to the type's
 * carry-over cap (lib/leave/rollover.ts). A new-year entitlement someone already made (a grant,
 * HR by hand) keeps its days; the carry-over is added to it once.
 *
 * Idempotent, so a run repeated after a crash changes nothing more: a new entitlement is unique
 * per (tenant, employee, type, year), so a second insert fails and is skipped; an addition is a
 * conditional update that also records `rolledOverFrom`, so it lands once. Tenants are taken one
 * at a time and their entitlements a page at a time, never all in memory.
 */
import { auditCreation, auditUpdate, jobAudit } from "../../../lib/audit/record";
import { Jobs } from "../../../lib/names/jobs";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { now } from "../../../lib/entity";
import type { EntitlementDoc, RequestDoc, TypeDoc } from "../../../lib/leave/model";
import { carriedInto, closingYear, employedIn, rolloverAction } from "../../../lib/leave/rollover";
import { ACTIVE_STATUSES } from "../../../lib/leave/status";
import { EmployeeActions, type EmployeeSummary } from "../../../lib/names/employees";
import { isUniqueViolation } from "../../../lib/store";
import type { JobDefinition } from "../../../mixins/scheduled-jobs.mixin";
import { ENTITLEMENTS, type LeaveThis, TYPES } from "./shared";

/** Entitlements of one tenant read at once (and the ids in one employees call, whose limit is 1000). */
const PAGE = 200;

/** The job's name on the audit trail: its writes are "system" ones (lib/audit/record.ts jobAudit). */
const AUDIT = jobAudit(Jobs.leaveRollover);

export interface RolloverCounts {
	tenants: number;
	created: number;
	added: number;
	unchanged: number;
	skippedNotEmployed: number;
}

export const leaveRollover: JobDefinition<LeaveThis> = {
	// 00:05 UTC on 1 January; a cluster that was down then catches up within the month.
	schedule: "5 0 1 1 *",
	catchUpMs: 31 * 24 * 3600_000,
	async handler(this: LeaveThis, slot: Date): Promise<Record<string, unknown>> {
		const closing = closingYear(slot);
		const counts: RolloverCounts = { tenants: 0, created: 0, added: 0, unchanged: 0, skippedNotEmployed: 0 };
		// The tenants with entitlements that year, grouped by the database.
		const tenants = await this.store(ENTITLEMENTS).countBy({ year: closing }, ["tenantId"]);
		for (const { tenantId } of tenants) {
			counts.tenants++;
			const before = counts.created + counts.added;
			await rollOverTenant(this, tenantId as string, closing, counts);
			// Balances and entitlement lists cached for the tenant go stale.
			if (counts.created + counts.added > before) await this.entityChanged("updated", [], { meta: { user: systemUser(tenantId as string) } });
		}
		return { year: closing, ...counts };
	}
};

async function rollOverTenant(service: LeaveThis, tenantId: string, closing: number, counts: RolloverCounts): Promise<void> {
	const entitlements = service.store(ENTITLEMENTS);
	const types = new Map(((await service.store(TYPES).find({ query: { tenantId } })) as TypeDoc[]).map(t => [t._id, t]));
	// Entitlements of the closing year are not written meanwhile, so pages by offset stay put.
	for (let offset = 0; ; offset += PAGE) {
		const page: EntitlementDoc[] = await entitlements.find({
			query: { tenantId, year: closing },
			sort: ["employeeId", "leaveTypeId"],
			limit: PAGE,
			offset
		});
		if (page.length === 0) return;
		const employeeIds = [...new Set(page.map(e => e.employeeId))];
		const employees: EmployeeSummary[] = await service.broker.call<EmployeeSummary[], { ids: string[] }>(
			EmployeeActions.summaries,
			{ ids: employeeIds },
			{ meta: { user: systemUser(tenantId) } }
		);
		const employment = new Map(employees.map(e => [e.id, e]));
		for (const entitlement of page) {
			const type = types.get(entitlement.leaveTypeId);
			if (!type) continue;
			if (!employedIn(employment.get(entitlement.employeeId), closing + 1)) {
				counts.skippedNotEmployed++;
				continue;
			}
			// Read and carried in turn with the employee's requests (exclusively): one filed meanwhile is either
			// counted here, or finds the carry-over in place and moves it (carry-over.ts).
			await service.exclusively(tenantId, entitlement.employeeId, async () => {
				const key = { tenantId, employeeId: entitlement.employeeId, leaveTypeId: entitlement.leaveTypeId };
				const [held, next]: [RequestDoc[], EntitlementDoc | null] = await Promise.all([
					service.adapter.find({ query: { ...key, year: closing, status: { $in: ACTIVE_STATUSES } } }),
					entitlements.findOne({ ...key, year: closing + 1 })
				]);
				await applyCarryOver(service, entitlement, type, next, carriedInto(entitlement, held, type.carryOverCap), counts);
			});
		}
		if (page.length < PAGE) return;
	}
}

async function applyCarryOver(
	service: LeaveThis,
	old: EntitlementDoc,
	type: TypeDoc,
	next: EntitlementDoc | null,
	carried: number,
	counts: RolloverCounts
): Promise<void> {
	const entitlements = service.store(ENTITLEMENTS);
	const closing = old.year;
	const action = rolloverAction(next, closing, carried);
	const at = now();
	if (action.kind === "create") {
		const doc: EntitlementDoc = {
			_id: service.newId(),
			tenantId: old.tenantId,
			employeeId: old.employeeId,
			leaveTypeId: old.leaveTypeId,
			year: closing + 1,
			days: type.yearlyAllowance,
			carriedOver: action.carriedOver,
			source: "grant",
			rolledOverFrom: closing,
			carriedIn: action.carriedOver,
			createdAt: at,
			updatedAt: at
		};
		try {
			await entitlements.insert(insertWithEvent(doc, auditCreation(AUDIT, "leaveEntitlement", doc)));
			service.publishEvents(doc._id, ENTITLEMENTS);
			counts.created++;
			return;
		} catch (err) {
			if (!isUniqueViolation(err)) throw err;
			// Made meanwhile (a grant, HR, an earlier attempt of this run): add to it instead, once.
			const made: EntitlementDoc | null = await entitlements.findOne({
				tenantId: old.tenantId,
				employeeId: old.employeeId,
				leaveTypeId: old.leaveTypeId,
				year: closing + 1
			});
			return applyCarryOver(service, old, type, made, carried, counts);
		}
	}
	if (action.kind === "add" && next) {
		const audit = auditUpdate(AUDIT, "leaveEntitlement", next, { carriedOver: next.carriedOver + action.carriedOver, rolledOverFrom: closing });
		const added = await entitlements.updateMany(
			{ _id: next._id, tenantId: old.tenantId, rolledOverFrom: { $ne: closing } },
			updateWithEvent(
				{ $inc: { carriedOver: action.carriedOver }, $set: { rolledOverFrom: closing, carriedIn: action.carriedOver, updatedAt: at } },
				audit
			)
		);
		if (added === 1) {
			service.publishEvents(next._id, ENTITLEMENTS);
			// Nothing added is only the mark: the entitlement's days are as they were.
			if (action.carriedOver > 0) counts.added++;
			else counts.unchanged++;
			return;
		}
	}
	counts.unchanged++;
}

/** The job acts for no person: calls to other services name the tenant, with the rights of its owner. */
function systemUser(tenantId: string) {
	return { id: "system:leaveRollover", tenantId, roles: ["owner" as const], employeeId: null, sessionId: "system" };
}
