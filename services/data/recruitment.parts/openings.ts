/** Job openings: what is hired for, by whom; a manager sees only the openings they hire for. */
import { auditCreation, auditUpdate } from "../../../lib/audit/record";
import { removeAudited } from "../../../lib/audit/removal";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import type { ServiceSchema } from "moleculer";
import { containsPattern, findInTenant, now, toJSON } from "../../../lib/entity";
import { ConflictError } from "../../../lib/errors";
import { type RosterContext, created, isStaff, requireUser } from "../../../lib/meta";
import { OPENING_STATUSES, type JobOpening, type OpeningStatus } from "../../../lib/names/recruitment";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { enumOf, id, optionalText, text, nullableProse } from "../../../lib/params";
import { IllegalTransitionError } from "../../../lib/recruitment/errors";
import { canChangeOpening } from "../../../lib/recruitment/openings";
import { whileOrgHeld } from "../../../lib/org/tree-hold";
import { STAFF_ROLES } from "../../../lib/roles";
import { withOwnedLease } from "../../../lib/store/shared-lease";
import { APPLICATIONS, type IdParams, LOCKS, type OpeningDoc, RECRUITERS, type RecruitmentThis, openingLease, optional, search } from "./shared";
import { json, noContent } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Recruitment from "../../../lib/openapi/contexts/recruitment";

interface CreateOpeningParams {
	title: string;
	departmentId: string;
	hiringManagerId: string;
	headcount?: number;
	status?: OpeningStatus;
	description?: string | null;
}
interface UpdateOpeningParams extends Partial<CreateOpeningParams> {
	id: string;
}
interface ListOpeningsParams extends ListParams {
	status?: OpeningStatus;
	departmentId?: string;
	hiringManagerId?: string;
	search?: string;
}

interface DepartmentIdParams {
	departmentId: string;
}

/** The statuses of an opening that may still hire. */
const HIRING_STATUSES: OpeningStatus[] = ["draft", "open"];

const headcount = { type: "number", integer: true, min: 1, max: 10_000 } as const;

const openingJSON = (doc: OpeningDoc) => toJSON(doc) as unknown as JobOpening;

export const OpeningsPart: Partial<ServiceSchema> = {
	actions: {
		createOpening: {
			rest: "POST /job-openings",
			openapi: { responses: { 201: json(Recruitment.JobOpening) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				title: text(),
				departmentId: id,
				hiringManagerId: id,
				headcount: optional(headcount),
				status: optional(enumOf(OPENING_STATUSES)),
				description: nullableProse(5000)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateOpeningParams>): Promise<JobOpening> {
				const { tenantId } = requireUser(ctx);
				const { title, departmentId, hiringManagerId, headcount: count = 1, status = "draft", description = null } = ctx.params;
				await this.checkEmployees(ctx, [hiringManagerId], "hiringManagerId");
				const at = now();
				const doc: OpeningDoc = {
					_id: this.newId(),
					tenantId,
					title,
					departmentId,
					hiringManagerId,
					headcount: count,
					status,
					description,
					createdAt: at,
					updatedAt: at
				};
				return whileOrgHeld(ctx, true, async () => {
					await this.checkDepartment(ctx, departmentId);
					await this.adapter.insert(insertWithEvent(doc, auditCreation(ctx, "jobOpening", doc)));
					this.publishEvents(doc._id);
					created(ctx, `/api/v1/job-openings/${doc._id}`);
					return this.saved(ctx, "created", openingJSON(doc));
				});
			}
		},

		listOpenings: {
			rest: "GET /job-openings",
			openapi: { responses: { 200: json(page(Recruitment.JobOpening)) } },
			auth: { roles: RECRUITERS },
			params: {
				$$strict: true,
				...listParams,
				status: optional(enumOf(OPENING_STATUSES)),
				departmentId: optional(id),
				hiringManagerId: optional(id),
				search
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<ListOpeningsParams>): Promise<ListResult<JobOpening>> {
				const user = requireUser(ctx);
				const sort = parseSort(ctx.params.sort, ["title", "status", "headcount", "createdAt", "updatedAt"], "-createdAt");
				const { status, departmentId, hiringManagerId, search: text } = ctx.params;
				const query: Record<string, unknown> = { tenantId: user.tenantId };
				if (status) query.status = status;
				if (departmentId) query.departmentId = departmentId;
				if (hiringManagerId) query.hiringManagerId = hiringManagerId;
				if (text) query.title = containsPattern(text);
				// A manager's own openings only; without an active employee record they hire for nothing.
				if (!isStaff(user)) query.$and = [{ hiringManagerId: (await this.hiringManager(ctx)) ?? "" }];
				return paginate(this.adapter, query, ctx.params, sort, openingJSON);
			}
		},

		getOpeningById: {
			rest: "GET /job-openings/:id",
			openapi: { responses: { 200: json(Recruitment.JobOpening) } },
			auth: { roles: RECRUITERS },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<JobOpening> {
				return openingJSON(await this.visibleOpening(ctx, ctx.params.id));
			}
		},

		updateOpening: {
			rest: "PATCH /job-openings/:id",
			openapi: { responses: { 200: json(Recruitment.JobOpening) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				id,
				title: optionalText(),
				departmentId: optional(id),
				hiringManagerId: optional(id),
				headcount: optional(headcount),
				status: optional(enumOf(OPENING_STATUSES)),
				description: nullableProse(5000)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<UpdateOpeningParams>): Promise<JobOpening> {
				const { tenantId } = requireUser(ctx);
				const opening = await findInTenant<OpeningDoc>(this.adapter, tenantId, ctx.params.id, "Job opening");
				const { id: _id, ...changes } = ctx.params;
				if (changes.status && !canChangeOpening(opening.status, changes.status)) {
					throw new IllegalTransitionError(opening.status, changes.status, "A published opening does not go back to draft", "openingStatus");
				}
				if (changes.hiringManagerId) await this.checkEmployees(ctx, [changes.hiringManagerId], "hiringManagerId");
				// A closed opening's department may have been deleted since (it did not count): reopened, it would hire into nothing.
				const reopened = !!changes.status && HIRING_STATUSES.includes(changes.status) && !HIRING_STATUSES.includes(opening.status);
				const departmentId = changes.departmentId ?? (reopened ? opening.departmentId : undefined);
				const set = { ...changes, updatedAt: now() };
				return whileOrgHeld(ctx, !!departmentId, async () => {
					await this.checkDepartment(ctx, departmentId);
					const updated: OpeningDoc = await this.adapter.updateById(
						opening._id,
						updateWithEvent({ $set: set }, auditUpdate(ctx, "jobOpening", opening, set))
					);
					this.publishEvents(opening._id);
					return this.saved(ctx, "updated", openingJSON(updated));
				});
			}
		},

		deleteOpening: {
			rest: "DELETE /job-openings/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				// With the opening owned, no application is made to it meanwhile.
				return withOwnedLease(this.store(LOCKS), openingLease(tenantId, ctx.params.id), async () => {
					const opening = await findInTenant<OpeningDoc>(this.adapter, tenantId, ctx.params.id, "Job opening");
					const applications = await this.store(APPLICATIONS).count({ query: { tenantId, openingId: opening._id } });
					// Applications are the hiring record; an opening that has any is closed, not deleted.
					if (applications > 0) throw new ConflictError("The opening has applications; close it instead", { applications });
					return removeAudited(this, ctx, this.adapter, "jobOpening", opening, openingJSON(opening));
				});
			}
		},

		getOpening: {
			visibility: "public",
			readOnly: true,
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<JobOpening> {
				return openingJSON(await findInTenant<OpeningDoc>(this.adapter, requireUser(ctx).tenantId, ctx.params.id, "Job opening"));
			}
		},

		/**
		 * Openings still to hire into the department: a draft or open one would hire into nothing
		 * once it is deleted. A closed one counts not, or no department that ever hired could go.
		 */
		countOpeningsInDepartment: {
			visibility: "public",
			readOnly: true,
			params: { departmentId: id },
			handler(this: RecruitmentThis, ctx: RosterContext<DepartmentIdParams>): Promise<number> {
				const query = { tenantId: requireUser(ctx).tenantId, departmentId: ctx.params.departmentId, status: { $in: HIRING_STATUSES } };
				return this.adapter.count({ query });
			}
		}
	}
};
