/** Entitlements: each employee's days per leave type and year, granted or set by hand. */
import type { ServiceSchema } from "moleculer";
import { auditCreation, auditUpdate, onBehalfOf } from "../../../lib/audit/record";
import { recordRemovals, removeAudited } from "../../../lib/audit/removal";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { findInTenant, now } from "../../../lib/entity";
import { BusinessRuleError, ConflictError } from "../../../lib/errors";
import { type Allowance, balanceOf, carryOver } from "../../../lib/leave/balance";
import { checkHalfDays } from "../../../lib/leave/calendar";
import { type EntitlementDoc, type LeaveEntitlement, type RequestDoc, type TypeDoc, entitlementJSON } from "../../../lib/leave/model";
import { ACTIVE_STATUSES } from "../../../lib/leave/status";
import { type RosterContext, created, requireUser } from "../../../lib/meta";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { id, optionalId } from "../../../lib/params";
import { STAFF_ROLES } from "../../../lib/roles";
import { ENTITLEMENTS, type IdParams, type LeaveThis, TYPES, days, optionalDays, optionalYear, year } from "./shared";
import { json, noContent } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Leave from "../../../lib/openapi/contexts/leave";

interface CreateEntitlementParams {
	employeeId: string;
	leaveTypeId: string;
	year: number;
	days: number;
	carriedOver?: number;
}
interface UpdateEntitlementParams {
	id: string;
	days?: number;
	carriedOver?: number;
}
interface ListEntitlementsParams extends ListParams {
	employeeId?: string;
	leaveTypeId?: string;
	year?: number;
}
interface EmployeeYearParams {
	employeeId: string;
	year: number;
}

export const EntitlementsPart: Partial<ServiceSchema> = {
	actions: {
		createEntitlement: {
			rest: "POST /leave-entitlements",
			openapi: { responses: { 201: json(Leave.Entitlement) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, employeeId: id, leaveTypeId: id, year, days, carriedOver: optionalDays },
			async handler(this: LeaveThis, ctx: RosterContext<CreateEntitlementParams>): Promise<LeaveEntitlement> {
				const { tenantId } = requireUser(ctx);
				const { employeeId, leaveTypeId, year: y, days: allowance, carriedOver = 0 } = ctx.params;
				checkHalfDays(allowance, "days");
				checkHalfDays(carriedOver, "carriedOver");
				await this.referencedType(tenantId, leaveTypeId);
				await this.checkEmployee(ctx, employeeId);
				const at = now();
				const doc: EntitlementDoc = {
					_id: this.newId(),
					tenantId,
					employeeId,
					leaveTypeId,
					year: y,
					days: allowance,
					carriedOver,
					source: "manual",
					createdAt: at,
					updatedAt: at
				};
				await this.whileTypeStays(tenantId, leaveTypeId, async () => {
					await this.referencedType(tenantId, leaveTypeId);
					await this.unique("year", () => this.store(ENTITLEMENTS).insert(insertWithEvent(doc, auditCreation(ctx, "leaveEntitlement", doc))));
				});
				this.publishEvents(doc._id, ENTITLEMENTS);
				created(ctx, `/api/v1/leave-entitlements/${doc._id}`);
				return this.saved(ctx, "created", entitlementJSON(doc));
			}
		},

		listEntitlements: {
			rest: "GET /leave-entitlements",
			openapi: { responses: { 200: json(page(Leave.Entitlement)) } },
			auth: {},
			params: { $$strict: true, ...listParams, employeeId: optionalId, leaveTypeId: optionalId, year: optionalYear },
			async handler(this: LeaveThis, ctx: RosterContext<ListEntitlementsParams>): Promise<ListResult<LeaveEntitlement>> {
				const { employeeId, leaveTypeId, year: y } = ctx.params;
				const sort = parseSort(ctx.params.sort, ["year", "days", "createdAt"], "-year");
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				await this.scopeQuery(ctx, query, employeeId);
				if (leaveTypeId) query.leaveTypeId = leaveTypeId;
				if (y !== undefined) query.year = y;
				return paginate(this.store(ENTITLEMENTS), query, ctx.params, sort, entitlementJSON);
			}
		},

		getEntitlement: {
			rest: "GET /leave-entitlements/:id",
			openapi: { responses: { 200: json(Leave.Entitlement) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveEntitlement> {
				return entitlementJSON(await this.findVisible<EntitlementDoc>(ctx, this.store(ENTITLEMENTS), ctx.params.id, "Leave entitlement"));
			}
		},

		/**
		 * A lower entitlement must still cover the year's requested and approved days, unless the
		 * type allows a negative balance (422 insufficientBalance on the field lowered).
		 */
		updateEntitlement: {
			rest: "PATCH /leave-entitlements/:id",
			openapi: { responses: { 200: json(Leave.Entitlement) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, days: optionalDays, carriedOver: optionalDays },
			async handler(this: LeaveThis, ctx: RosterContext<UpdateEntitlementParams>): Promise<LeaveEntitlement> {
				const { tenantId } = requireUser(ctx);
				const { id: entitlementId, ...changes } = ctx.params;
				checkHalfDays(changes.days, "days");
				checkHalfDays(changes.carriedOver, "carriedOver");
				const found = await findInTenant<EntitlementDoc>(this.store(ENTITLEMENTS), tenantId, entitlementId, "Leave entitlement");
				// Under the lock that admits the employee's requests: a request admitted against the old
				// days while this check reads the balance would otherwise take them after all.
				const updated: EntitlementDoc = await this.exclusively(tenantId, found.employeeId, async () => {
					const before = await findInTenant<EntitlementDoc>(this.store(ENTITLEMENTS), tenantId, entitlementId, "Leave entitlement");
					await this.checkLowered(before, changes);
					const set = { ...changes, updatedAt: now() };
					const written: EntitlementDoc = await this.store(ENTITLEMENTS).updateById(
						entitlementId,
						updateWithEvent({ $set: set }, auditUpdate(ctx, "leaveEntitlement", before, set))
					);
					await this.carryOn(ctx, tenantId, before.employeeId, before.leaveTypeId, before.year);
					return written;
				});
				this.publishEvents(entitlementId, ENTITLEMENTS);
				return this.saved(ctx, "updated", entitlementJSON(updated));
			}
		},

		deleteEntitlement: {
			rest: "DELETE /leave-entitlements/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				const found = await findInTenant<EntitlementDoc>(this.store(ENTITLEMENTS), tenantId, ctx.params.id, "Leave entitlement");
				// As lowering it to nothing, under the same lock: a type without a negative balance keeps
				// the entitlement its requested and approved days stand on (409 until they are cancelled).
				return this.exclusively(tenantId, found.employeeId, async () => {
					const entitlement = await findInTenant<EntitlementDoc>(this.store(ENTITLEMENTS), tenantId, ctx.params.id, "Leave entitlement");
					const short = await this.shortfall(entitlement, { days: 0, carriedOver: 0 });
					if (short) {
						throw new ConflictError(
							`The entitlement still covers ${short.taken} day(s) taken and ${short.pending} pending of '${short.typeName}' for ${entitlement.year}: cancel or reject them first.`,
							{ taken: short.taken, pending: short.pending }
						);
					}
					const answer = await removeAudited(this, ctx, this.store(ENTITLEMENTS), "leaveEntitlement", entitlement, entitlementJSON(entitlement));
					await this.carryOn(ctx, tenantId, entitlement.employeeId, entitlement.leaveTypeId, entitlement.year);
					return answer;
				});
			}
		},

		/**
		 * One entitlement per leave type for the year: the type's allowance, plus what the
		 * previous year's entitlement left over, up to the type's cap. Types that already have an
		 * entitlement that year are skipped, so calling it twice is calling it once.
		 */
		grantEntitlements: {
			visibility: "public",
			params: { employeeId: id, year },
			async handler(this: LeaveThis, ctx: RosterContext<EmployeeYearParams>): Promise<LeaveEntitlement[]> {
				const { tenantId } = requireUser(ctx);
				const { employeeId, year: y } = ctx.params;
				await this.checkEmployee(ctx, employeeId);
				const entitlements = this.store(ENTITLEMENTS);
				const [types, existing]: [TypeDoc[], EntitlementDoc[]] = await Promise.all([
					this.store(TYPES).find({ query: { tenantId } }),
					entitlements.find({ query: { tenantId, employeeId, year: y } })
				]);
				const have = new Set(existing.map(e => e.leaveTypeId));
				const missing = types.filter(t => !have.has(t._id));
				if (missing.length === 0) return existing.map(entitlementJSON);

				const typeIds = missing.map(t => t._id);
				const [previous, held]: [EntitlementDoc[], RequestDoc[]] = await Promise.all([
					entitlements.find({ query: { tenantId, employeeId, year: y - 1, leaveTypeId: { $in: typeIds } } }),
					this.adapter.find({ query: { tenantId, employeeId, year: y - 1, leaveTypeId: { $in: typeIds }, status: { $in: ACTIVE_STATUSES } } })
				]);
				const at = now();
				const made: EntitlementDoc[] = [];
				for (const type of missing) {
					const last = previous.find(e => e.leaveTypeId === type._id);
					const carried = last
						? carryOver(
								balanceOf(
									last,
									held.filter(r => r.leaveTypeId === type._id)
								).remaining,
								type.carryOverCap
							)
						: 0;
					// A carry-over computed from last year's entitlement is the one the roll-over would add: it is not added again.
					const doc: EntitlementDoc = {
						_id: this.newId(),
						tenantId,
						employeeId,
						leaveTypeId: type._id,
						year: y,
						days: type.yearlyAllowance,
						carriedOver: carried,
						source: "grant",
						rolledOverFrom: last ? y - 1 : null,
						carriedIn: last ? carried : null,
						createdAt: at,
						updatedAt: at
					};
					try {
						// Sharing the type's lease, as createEntitlement does, and only if the type is still there: a delete
						// that counted no use of it meanwhile would otherwise leave an entitlement of a type that is gone.
						await this.whileTypeStays(tenantId, type._id, async () => {
							if (!(await this.store(TYPES).findOne({ _id: type._id, tenantId }))) return;
							await this.unique("year", () => entitlements.insert(insertWithEvent(doc, auditCreation(ctx, "leaveEntitlement", doc))));
							this.publishEvents(doc._id, ENTITLEMENTS);
							made.push(doc);
						});
					} catch (err) {
						// A concurrent grant got there first: that entitlement stands.
						if ((err as { code?: number }).code !== 409) throw err;
					}
				}
				if (made.length > 0) await this.entityChanged("created", made.map(entitlementJSON), ctx);
				const all: EntitlementDoc[] = await entitlements.find({ query: { tenantId, employeeId, year: y } });
				return all.map(entitlementJSON);
			}
		},

		/** Onboarding's compensation: removes the year's entitlements that grantEntitlements made. */
		revokeEntitlements: {
			visibility: "public",
			params: { employeeId: id, year },
			async handler(this: LeaveThis, ctx: RosterContext<EmployeeYearParams>): Promise<{ removed: number }> {
				const { tenantId } = requireUser(ctx);
				const query = { tenantId, employeeId: ctx.params.employeeId, year: ctx.params.year, source: "grant" };
				const doomed: EntitlementDoc[] = await this.store(ENTITLEMENTS).find({ query });
				if (doomed.length === 0) return { removed: 0 };
				// Onboarding's undo step, for the staff member whose hire failed (lib/audit/record.ts onBehalfOf).
				await recordRemovals(this, onBehalfOf(ctx, "onboarding.undoEntitlements"), "leaveEntitlement", doomed);
				const removed = await this.store(ENTITLEMENTS).removeMany({ ...query, _id: { $in: doomed.map(d => d._id) } });
				await this.entityChanged("removed", doomed.map(entitlementJSON), ctx);
				return { removed };
			}
		}
	},

	methods: {
		/**
		 * Refuses a change that lowers the allowance below what the year's requests hold, for a type
		 * without a negative balance (422 naming the field lowered). A change that lowers nothing
		 * passes, so staff can still raise a balance that is negative already (a type whose
		 * allowNegative was switched off).
		 */
		async checkLowered(this: LeaveThis, entitlement: EntitlementDoc, changes: Partial<Allowance>): Promise<void> {
			const after: Allowance = { days: changes.days ?? entitlement.days, carriedOver: changes.carriedOver ?? entitlement.carriedOver };
			if (after.days + after.carriedOver >= entitlement.days + entitlement.carriedOver) return;
			const short = await this.shortfall(entitlement, after);
			if (!short) return;
			const field = changes.days === undefined ? "carriedOver" : "days";
			throw new BusinessRuleError(
				field,
				`The entitlement would give ${after.days + after.carriedOver} day(s) of '${short.typeName}' for ${entitlement.year}, but ${short.taken} day(s) are taken and ${short.pending} pending.`,
				"insufficientBalance"
			);
		},

		/**
		 * What the year's requests of the entitlement's type hold beyond `after`, for a type without a
		 * negative balance; null when they fit. Pending days count, as they do when a request is
		 * admitted (lib/leave/balance.ts): they are promised until decided.
		 */
		async shortfall(this: LeaveThis, entitlement: EntitlementDoc, after: Allowance): Promise<{ typeName: string; taken: number; pending: number } | null> {
			const { tenantId, employeeId, leaveTypeId, year: y } = entitlement;
			const type = await this.findType(tenantId, leaveTypeId);
			if (type.allowNegative) return null;
			const held: RequestDoc[] = await this.adapter.find({ query: { tenantId, employeeId, leaveTypeId, year: y, status: { $in: ACTIVE_STATUSES } } });
			const { taken, pending, remaining } = balanceOf(after, held);
			return remaining >= 0 ? null : { typeName: type.name, taken, pending };
		}
	}
};
