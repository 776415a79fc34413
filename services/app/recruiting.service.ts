/**
 * The recruiting pipeline: moves applications between stages by the rules of
 * lib/recruitment/stages.ts, and schedules interviews (which moves an application that is not
 * there yet to "interview"). It holds no data; the recruitment data service stores, with an
 * expected-stage check, so of two concurrent moves from the same stage exactly one wins, and
 * publishes each move's stageChanged event with it.
 * "hired" is not reachable here: onboarding sets it when an offer is accepted.
 */
import type { ServiceSchema } from "moleculer";
import { BusinessRuleError, ForbiddenError } from "../../lib/errors";
import { type RosterContext, isStaff, requireUser } from "../../lib/meta";
import { EmployeeActions } from "../../lib/names/employees";
import { type Application, type Interview, type JobOpening, RecruitmentActions, STAGES, type Stage } from "../../lib/names/recruitment";
import { enumOf, id, nullableProse } from "../../lib/params";
import { IllegalTransitionError, refusal } from "../../lib/recruitment/errors";
import { dateTime } from "../../lib/recruitment/fields";
import { checkMove, isClosed, stageAfterScheduling } from "../../lib/recruitment/stages";
import { type Role, STAFF_ROLES } from "../../lib/roles";
import { json } from "../../lib/openapi/responses";
import * as Recruitment from "../../lib/openapi/contexts/recruitment";

// ---- Types -------------------------------------------------------------------------------

interface MoveParams {
	id: string;
	stage: Stage;
	reason?: string | null;
}
interface ScheduleInterviewParams {
	applicationId: string;
	scheduledAt: string;
	interviewerIds: string[];
}

interface RecruitingMethods {
	/** Staff, or the hiring manager of the application's opening while their employment is active; 403 for anyone else. */
	checkHiringManager(ctx: RosterContext, app: Application): Promise<void>;
}

type RecruitingThis = ServiceSchema & RecruitingMethods;

// ---- Helpers -----------------------------------------------------------------------------

/** Staff and hiring managers move applications; the pipeline checks a manager's opening itself. */
const RECRUITERS: Role[] = [...STAFF_ROLES, "manager"];

/** Why a scheduled interview moved an application, in its stage history. */
const SCHEDULED = "interview scheduled";

// ---- Service -----------------------------------------------------------------------------

const RecruitingService: ServiceSchema = {
	name: "recruiting",

	settings: {
		rest: "/"
	},

	actions: {
		move: {
			rest: "POST /applications/:id/move",
			openapi: { responses: { 200: json(Recruitment.Application) } },
			auth: { roles: RECRUITERS },
			params: { $$strict: true, id, stage: enumOf(STAGES), reason: nullableProse(500) },
			async handler(this: RecruitingThis, ctx: RosterContext<MoveParams>): Promise<Application> {
				const user = requireUser(ctx);
				const { id: applicationId, stage: to, reason = null } = ctx.params;
				const app = await ctx.call<Application, { id: string }>(RecruitmentActions.getApplication, { id: applicationId });
				await this.checkHiringManager(ctx, app);
				const verdict = checkMove(app.stage, to, { mayReopen: isStaff(user), closedFrom: app.closedFrom });
				if (!verdict.allowed) throw refusal(verdict, app.stage, to);
				const moved = await ctx.call<Application, object>(RecruitmentActions.setStage, { id: app.id, stage: to, expect: app.stage, reason });
				// An offer must not stay open for an application that has left the race.
				if (app.stage === "offer" && isClosed(to)) await ctx.call(RecruitmentActions.withdrawOffers, { applicationId: app.id });
				return moved;
			}
		},

		scheduleInterview: {
			rest: "POST /interviews",
			openapi: { responses: { 201: json(Recruitment.Interview) } },
			auth: { roles: RECRUITERS },
			params: { $$strict: true, applicationId: id, scheduledAt: dateTime, interviewerIds: { type: "array", items: id, min: 1, max: 20, unique: true } },
			async handler(this: RecruitingThis, ctx: RosterContext<ScheduleInterviewParams>): Promise<Interview> {
				const { applicationId, scheduledAt, interviewerIds } = ctx.params;
				const app = await ctx
					.call<Application, { id: string }>(RecruitmentActions.getApplication, { id: applicationId })
					.catch((err: { code?: number }) => {
						if (err?.code === 404)
							throw new BusinessRuleError("applicationId", "The 'applicationId' field refers to no application of this company.", "reference");
						throw err;
					});
				await this.checkHiringManager(ctx, app);
				const next = stageAfterScheduling(app.stage);
				if (!next) throw new IllegalTransitionError(app.stage, "interview", `A ${app.stage} application is not interviewed`, "closed");
				const interview = await ctx.call<Interview, ScheduleInterviewParams>(RecruitmentActions.createInterview, {
					applicationId,
					scheduledAt,
					interviewerIds
				});
				if (next !== app.stage) {
					try {
						await ctx.call<Application, object>(RecruitmentActions.setStage, { id: app.id, stage: next, expect: app.stage, reason: SCHEDULED });
					} catch (err) {
						// Moved or closed meanwhile: the interview must not outlive the move that failed.
						await ctx.call(RecruitmentActions.undoCreateInterview, { id: interview.id });
						throw err;
					}
				}
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/interviews/${interview.id}`;
				return interview;
			}
		}
	},

	methods: {
		async checkHiringManager(ctx: RosterContext, app: Application): Promise<void> {
			if (isStaff(requireUser(ctx))) return;
			// The employees context says whether the caller still acts as a manager: a terminated one hires for nothing.
			const [opening, manager] = await Promise.all([
				ctx.call<JobOpening, { id: string }>(RecruitmentActions.getOpening, { id: app.openingId }),
				ctx.call<string | null>(EmployeeActions.activeManager)
			]);
			if (!manager || opening.hiringManagerId !== manager) {
				throw new ForbiddenError("Only the opening's hiring manager and staff may do this");
			}
		}
	}
};

export default RecruitingService;
