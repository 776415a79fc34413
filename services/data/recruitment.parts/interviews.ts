/** Interviews of an application (scheduling: POST /interviews in the recruiting pipeline). */
import type { ServiceSchema } from "moleculer";
import { insertWithEvent, pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { auditCreation, auditUpdate, onBehalfOf } from "../../../lib/audit/record";
import { recordRemovals } from "../../../lib/audit/removal";
import { findInTenant, now, toJSON } from "../../../lib/entity";
import { type RosterContext, created, isStaff, requireUser } from "../../../lib/meta";
import { INTERVIEW_RESULTS, type Interview, type InterviewResult, type InterviewScheduledEvent, RecruitmentEvents } from "../../../lib/names/recruitment";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { enumOf, id, nullableProse } from "../../../lib/params";
import { dateTime, toInstant } from "../../../lib/recruitment/fields";
import {
	APPLICATIONS,
	type ApplicationDoc,
	INTERVIEWS,
	type IdParams,
	type InterviewDoc,
	RECRUITERS,
	type RecruitmentThis,
	noReference,
	optional
} from "./shared";
import { json } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Recruitment from "../../../lib/openapi/contexts/recruitment";

interface CreateInterviewParams {
	applicationId: string;
	scheduledAt: string;
	interviewerIds: string[];
}
interface UpdateInterviewParams {
	id: string;
	scheduledAt?: string;
	interviewerIds?: string[];
	feedback?: string | null;
	result?: InterviewResult;
}
interface ListInterviewsParams extends ListParams {
	applicationId?: string;
	openingId?: string;
	interviewerId?: string;
	result?: InterviewResult;
	scheduledFrom?: string;
	scheduledTo?: string;
}

const interviewerIds = { type: "array", items: id, min: 1, max: 20, unique: true } as const;

/** The outbox's fields (lib/channels/outbox.ts) stay inside; an interview stored before reminders existed was never reminded. */
const OUTBOX_FIELDS = ["_outbox", "_outboxSeq", "_outboxSince"];
const interviewJSON = (doc: InterviewDoc) => ({ remindedAt: null, ...toJSON(doc, OUTBOX_FIELDS) }) as unknown as Interview;

export const InterviewsPart: Partial<ServiceSchema> = {
	actions: {
		createInterview: {
			visibility: "public",
			params: { $$strict: true, applicationId: id, scheduledAt: dateTime, interviewerIds },
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateInterviewParams>): Promise<Interview> {
				const { tenantId } = requireUser(ctx);
				const { applicationId, interviewerIds: interviewers } = ctx.params;
				const app: ApplicationDoc | null = await this.store(APPLICATIONS).findOne({ _id: applicationId, tenantId });
				if (!app) throw noReference("applicationId", "application");
				const scheduledAt = toInstant(ctx.params.scheduledAt, "scheduledAt");
				await this.checkEmployees(ctx, interviewers, "interviewerIds");
				const at = now();
				const doc: InterviewDoc = {
					_id: this.newId(),
					tenantId,
					applicationId,
					openingId: app.openingId,
					scheduledAt,
					interviewerIds: interviewers,
					feedback: null,
					result: "pending",
					remindedAt: null,
					createdAt: at,
					updatedAt: at
				};
				const scheduled = pendingEvent<InterviewScheduledEvent>(RecruitmentEvents.interviewScheduled, tenantId, {
					interviewId: doc._id,
					applicationId,
					openingId: app.openingId,
					candidateId: app.candidateId,
					scheduledAt,
					interviewerIds: interviewers
				});
				await this.store(INTERVIEWS).insert(insertWithEvent(insertWithEvent(doc, scheduled), auditCreation(ctx, "interview", doc)));
				this.publishEvents(doc._id, INTERVIEWS);
				created(ctx, `/api/v1/interviews/${doc._id}`);
				return this.saved(ctx, "created", interviewJSON(doc));
			}
		},

		/** The pipeline's compensation when the stage move that goes with a new interview fails. */
		undoCreateInterview: {
			visibility: "public",
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<{ removed: boolean }> {
				const store = this.store(INTERVIEWS);
				const doc: InterviewDoc | null = await store.findOne({ _id: ctx.params.id, tenantId: requireUser(ctx).tenantId });
				if (!doc) return { removed: false };
				// The pipeline undoes it for the staff member whose request failed (lib/audit/record.ts onBehalfOf).
				await recordRemovals(this, onBehalfOf(ctx, "recruiting.undoInterview"), "interview", [doc]);
				await store.removeById(doc._id);
				await this.saved(ctx, "removed", interviewJSON(doc));
				return { removed: true };
			}
		},

		listInterviews: {
			rest: "GET /interviews",
			openapi: { responses: { 200: json(page(Recruitment.Interview)) } },
			auth: { roles: RECRUITERS },
			params: {
				$$strict: true,
				...listParams,
				applicationId: optional(id),
				openingId: optional(id),
				interviewerId: optional(id),
				result: optional(enumOf(INTERVIEW_RESULTS)),
				scheduledFrom: optional(dateTime),
				scheduledTo: optional(dateTime)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<ListInterviewsParams>): Promise<ListResult<Interview>> {
				const user = requireUser(ctx);
				const sort = parseSort(ctx.params.sort, ["scheduledAt", "createdAt", "result"], "scheduledAt");
				const { applicationId, openingId, interviewerId, result, scheduledFrom, scheduledTo } = ctx.params;
				const query: Record<string, unknown> = { tenantId: user.tenantId };
				if (applicationId) query.applicationId = applicationId;
				if (openingId) query.openingId = openingId;
				// Equality on an array field matches documents whose array holds the value.
				if (interviewerId) query.interviewerIds = interviewerId;
				if (result) query.result = result;
				const window: Record<string, string> = {};
				if (scheduledFrom) window.$gte = toInstant(scheduledFrom, "scheduledFrom");
				if (scheduledTo) window.$lt = toInstant(scheduledTo, "scheduledTo");
				if (Object.keys(window).length > 0) query.scheduledAt = window;
				const scope = await this.scopeOf(ctx);
				if (scope) query.$and = [{ openingId: { $in: scope.openingIds } }];
				return paginate(this.store(INTERVIEWS), query, ctx.params, sort, interviewJSON);
			}
		},

		getInterview: {
			rest: "GET /interviews/:id",
			openapi: { responses: { 200: json(Recruitment.Interview) } },
			auth: { roles: RECRUITERS },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Interview> {
				return interviewJSON(await this.visibleInterview(ctx, ctx.params.id));
			}
		},

		/** Feedback and result after the interview, or a new time or panel before it. */
		updateInterview: {
			rest: "PATCH /interviews/:id",
			openapi: { responses: { 200: json(Recruitment.Interview) } },
			auth: { roles: RECRUITERS },
			params: {
				$$strict: true,
				id,
				scheduledAt: optional(dateTime),
				interviewerIds: optional(interviewerIds),
				feedback: nullableProse(10_000),
				result: optional(enumOf(INTERVIEW_RESULTS))
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<UpdateInterviewParams>): Promise<Interview> {
				const interview = await this.visibleInterview(ctx, ctx.params.id);
				const { id: _id, ...changes } = ctx.params;
				if (changes.scheduledAt) changes.scheduledAt = toInstant(changes.scheduledAt, "scheduledAt");
				await this.checkEmployees(ctx, changes.interviewerIds, "interviewerIds");
				const set: Partial<InterviewDoc> = { ...changes, updatedAt: now() };
				// A new time is a new thing to be reminded of (the interviewReminders job, reminders.ts).
				if (changes.scheduledAt && changes.scheduledAt !== interview.scheduledAt) set.remindedAt = null;
				const updated: InterviewDoc = await this.store(INTERVIEWS).updateById(
					interview._id,
					updateWithEvent({ $set: set }, auditUpdate(ctx, "interview", interview, set))
				);
				this.publishEvents(interview._id, INTERVIEWS);
				return this.saved(ctx, "updated", interviewJSON(updated));
			}
		}
	},

	methods: {
		async visibleInterview(this: RecruitmentThis, ctx: RosterContext, interviewId: string): Promise<InterviewDoc> {
			const user = requireUser(ctx);
			const interview = await findInTenant<InterviewDoc>(this.store(INTERVIEWS), user.tenantId, interviewId, "Interview");
			if (!isStaff(user)) await this.visibleOpening(ctx, interview.openingId);
			return interview;
		}
	}
};
