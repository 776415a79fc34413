/** Leave types: the tenant's kinds of leave, their yearly allowance and carry-over cap. */
import type { ServiceSchema } from "moleculer";
import { auditCreation, auditUpdate } from "../../../lib/audit/record";
import { removeAudited } from "../../../lib/audit/removal";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { containsPattern, findInTenant, now } from "../../../lib/entity";
import { BusinessRuleError, ConflictError } from "../../../lib/errors";
import { checkHalfDays } from "../../../lib/leave/calendar";
import { type LeaveType, type TypeDoc, typeJSON } from "../../../lib/leave/model";
import { type RosterContext, created, requireUser } from "../../../lib/meta";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { id, optionalBoolean, optionalText, text } from "../../../lib/params";
import { STAFF_ROLES } from "../../../lib/roles";
import { ENTITLEMENTS, type IdParams, type LeaveThis, TYPES, days, optionalDays } from "./shared";
import { json, noContent } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Leave from "../../../lib/openapi/contexts/leave";

interface CreateTypeParams {
	name: string;
	paid: boolean;
	yearlyAllowance: number;
	carryOverCap?: number;
	allowNegative?: boolean;
}
interface UpdateTypeParams extends Partial<CreateTypeParams> {
	id: string;
}
interface ListTypesParams extends ListParams {
	paid?: boolean;
	search?: string;
}

export const TypesPart: Partial<ServiceSchema> = {
	actions: {
		createLeaveType: {
			rest: "POST /leave-types",
			openapi: { responses: { 201: json(Leave.LeaveType) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				name: text(100),
				paid: "boolean",
				yearlyAllowance: days,
				carryOverCap: optionalDays,
				allowNegative: { type: "boolean", optional: true }
			},
			async handler(this: LeaveThis, ctx: RosterContext<CreateTypeParams>): Promise<LeaveType> {
				const { tenantId } = requireUser(ctx);
				const { name, paid, yearlyAllowance, carryOverCap = 0, allowNegative = false } = ctx.params;
				checkHalfDays(yearlyAllowance, "yearlyAllowance");
				checkHalfDays(carryOverCap, "carryOverCap");
				const at = now();
				const doc: TypeDoc = {
					_id: this.newId(),
					tenantId,
					name,
					nameKey: name.toLowerCase(),
					paid,
					yearlyAllowance,
					carryOverCap,
					allowNegative,
					createdAt: at,
					updatedAt: at
				};
				await this.unique("name", () => this.store(TYPES).insert(insertWithEvent(doc, auditCreation(ctx, "leaveType", doc))));
				this.publishEvents(doc._id, TYPES);
				created(ctx, `/api/v1/leave-types/${doc._id}`);
				return this.saved(ctx, "created", typeJSON(doc));
			}
		},

		listLeaveTypes: {
			rest: "GET /leave-types",
			openapi: { responses: { 200: json(page(Leave.LeaveType)) } },
			auth: {},
			params: { $$strict: true, ...listParams, paid: optionalBoolean, search: optionalText(100) },
			async handler(this: LeaveThis, ctx: RosterContext<ListTypesParams>): Promise<ListResult<LeaveType>> {
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (ctx.params.paid !== undefined) query.paid = ctx.params.paid;
				if (ctx.params.search) query.name = containsPattern(ctx.params.search);
				const sort = parseSort(ctx.params.sort, ["name", "yearlyAllowance", "createdAt"], "name");
				return paginate(this.store(TYPES), query, ctx.params, sort, typeJSON);
			}
		},

		getLeaveType: {
			rest: "GET /leave-types/:id",
			openapi: { responses: { 200: json(Leave.LeaveType) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<LeaveType> {
				return typeJSON(await this.findType(requireUser(ctx).tenantId, ctx.params.id));
			}
		},

		/** Changing the allowance changes next grants, not the entitlements already made. */
		updateLeaveType: {
			rest: "PATCH /leave-types/:id",
			openapi: { responses: { 200: json(Leave.LeaveType) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				id,
				name: { ...text(100), optional: true },
				paid: optionalBoolean,
				yearlyAllowance: optionalDays,
				carryOverCap: optionalDays,
				allowNegative: optionalBoolean
			},
			async handler(this: LeaveThis, ctx: RosterContext<UpdateTypeParams>): Promise<LeaveType> {
				const { tenantId } = requireUser(ctx);
				const { id: typeId, ...changes } = ctx.params;
				checkHalfDays(changes.yearlyAllowance, "yearlyAllowance");
				checkHalfDays(changes.carryOverCap, "carryOverCap");
				const before = await this.findType(tenantId, typeId);
				const set: Partial<TypeDoc> = { ...changes, updatedAt: now() };
				if (changes.name !== undefined) set.nameKey = changes.name.toLowerCase();
				const updated: TypeDoc = await this.unique("name", () =>
					this.store(TYPES).updateById(typeId, updateWithEvent({ $set: set }, auditUpdate(ctx, "leaveType", before, set)))
				);
				this.publishEvents(typeId, TYPES);
				return this.saved(ctx, "updated", typeJSON(updated));
			}
		},

		/** Only a type nobody has used: entitlements and requests keep pointing at it. */
		deleteLeaveType: {
			rest: "DELETE /leave-types/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				const type = await this.findType(tenantId, ctx.params.id);
				return this.whileTypeGoes(tenantId, type._id, async () => {
					const query = { query: { tenantId, leaveTypeId: type._id } };
					const [entitlements, requests] = await Promise.all([this.store(ENTITLEMENTS).count(query), this.adapter.count(query)]);
					if (entitlements + requests > 0) {
						throw new ConflictError("The leave type has entitlements or requests; it cannot be deleted", { field: "id", entitlements, requests });
					}
					return removeAudited(this, ctx, this.store(TYPES), "leaveType", type, typeJSON(type));
				});
			}
		}
	},

	methods: {
		async findType(this: LeaveThis, tenantId: string, typeId: string): Promise<TypeDoc> {
			return findInTenant<TypeDoc>(this.store(TYPES), tenantId, typeId, "Leave type");
		},

		/** A leave type named in input: missing or another tenant's is a 422 on leaveTypeId. */
		async referencedType(this: LeaveThis, tenantId: string, typeId: string): Promise<TypeDoc> {
			const type: TypeDoc | null = await this.store(TYPES).findOne({ _id: typeId, tenantId });
			if (!type) throw new BusinessRuleError("leaveTypeId", "The 'leaveTypeId' field refers to no leave type of this company.", "reference");
			return type;
		}
	}
};
