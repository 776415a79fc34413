/**
 * The carry-over into a year follows the year before it, after the roll-over too. A request of
 * the closed year filed, rejected or cancelled later, or its entitlement changed, moves what the
 * year carried into the next: `carriedIn`, the part of the next entitlement's `carriedOver` that
 * the roll-over (or a grant) brought from it. Before, it was worked out once on 1 January: a late
 * December request spent days already carried into January, and a rejected one lost them.
 * Entitlements carried before `carriedIn` existed keep their carry-over as it was.
 */
import type { ServiceSchema } from "moleculer";
import { auditUpdate, type AuditContext } from "../../../lib/audit/record";
import { updateWithEvent } from "../../../lib/channels/outbox";
import { now } from "../../../lib/entity";
import { BusinessRuleError } from "../../../lib/errors";
import { balanceOf, carryOver, fits } from "../../../lib/leave/balance";
import type { EntitlementDoc, RequestDoc, TypeDoc } from "../../../lib/leave/model";
import { carriedInto } from "../../../lib/leave/rollover";
import { ACTIVE_STATUSES } from "../../../lib/leave/status";
import { ENTITLEMENTS, type LeaveThis, TYPES } from "./shared";

/** The next year's entitlement when it holds a carry-over from `year` that follows it; null otherwise. */
async function carriedFromYear(service: LeaveThis, key: { tenantId: string; employeeId: string; leaveTypeId: string }, year: number) {
	const next: EntitlementDoc | null = await service.store(ENTITLEMENTS).findOne({ ...key, year: year + 1 });
	return next && next.rolledOverFrom === year && typeof next.carriedIn === "number" ? (next as EntitlementDoc & { carriedIn: number }) : null;
}

export const CarryOverPart: Partial<ServiceSchema> = {
	methods: {
		/**
		 * Brings the carry-over from `year` into the years after it up to date, each from the one
		 * before. Called inside exclusively(tenant, employee), after the write that moved the balance.
		 */
		async carryOn(this: LeaveThis, ctx: AuditContext, tenantId: string, employeeId: string, leaveTypeId: string, year: number): Promise<void> {
			const type: TypeDoc | null = await this.store(TYPES).findOne({ _id: leaveTypeId, tenantId });
			if (!type) return;
			const key = { tenantId, employeeId, leaveTypeId };
			for (let from = year; ; from++) {
				const next = await carriedFromYear(this, key, from);
				if (!next) return;
				const [closed, held]: [EntitlementDoc | null, RequestDoc[]] = await Promise.all([
					this.store(ENTITLEMENTS).findOne({ ...key, year: from }),
					this.adapter.find({ query: { ...key, year: from, status: { $in: ACTIVE_STATUSES } } })
				]);
				const carried = closed ? carriedInto(closed, held, type.carryOverCap) : 0;
				if (carried === next.carriedIn) return;
				const set = { carriedOver: next.carriedOver + carried - next.carriedIn, carriedIn: carried, updatedAt: now() };
				const moved = await this.store(ENTITLEMENTS).updateMany(
					{ _id: next._id, tenantId, carriedIn: next.carriedIn },
					updateWithEvent({ $set: set }, auditUpdate(ctx, "leaveEntitlement", next, { carriedOver: set.carriedOver }))
				);
				if (moved !== 1) return;
				this.publishEvents(next._id, ENTITLEMENTS);
			}
		},

		/**
		 * A request in a year that has carried days into the next spends some of them: they must
		 * still be unspent there (insufficientBalance otherwise). `remaining` is the year's own.
		 */
		async checkCarriedSpend(this: LeaveThis, doc: RequestDoc, type: TypeDoc, remaining: number): Promise<void> {
			const key = { tenantId: doc.tenantId, employeeId: doc.employeeId, leaveTypeId: type._id };
			const next = await carriedFromYear(this, key, doc.year);
			if (!next) return;
			const spent = next.carriedIn - carryOver(remaining - doc.days, type.carryOverCap);
			if (spent <= 0) return;
			const held: RequestDoc[] = await this.adapter.find({ query: { ...key, year: doc.year + 1, status: { $in: ACTIVE_STATUSES } } });
			const left = balanceOf(next, held).remaining;
			if (!fits(left, spent, type.allowNegative)) {
				throw new BusinessRuleError(
					"leaveTypeId",
					`The request takes ${spent} day(s) of '${type.name}' that ${doc.year} carried into ${doc.year + 1}, where only ${left} remain.`,
					"insufficientBalance"
				);
			}
		}
	}
};
