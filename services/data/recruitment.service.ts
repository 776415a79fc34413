/**
 * Recruitment: job openings, candidates, their applications (the aggregate root of the
 * pipeline), interviews and offers. This service stores and validates; which stage moves are
 * allowed is the recruiting pipeline's business (services/app/recruiting.service.ts), which
 * calls setStage here. Owner, admin and hr see the whole tenant; a manager sees the openings
 * they hire for and those openings' applications and interviews; employees see nothing here.
 */
import type { ServiceSchema } from "moleculer";
import { type TenantDoc, checkDate, containsPattern, findInTenant, findManyInTenant, now, toJSON } from "../../lib/entity";
import { ConflictError, ForbiddenError, UnprocessableError } from "../../lib/errors";
import { type AuthUser, type RosterContext, created, isStaff, requireUser } from "../../lib/meta";
import { EmployeeActions, type EmployeeSummary, OrgActions } from "../../lib/names";
import {
	CANDIDATE_SOURCES, INTERVIEW_RESULTS, OFFER_STATUSES, OPENING_STATUSES, STAGES,
	type Application, type Candidate, type CandidateSource, type Interview, type InterviewResult, type JobOpening,
	type Offer, type OfferStatus, type OpeningStatus, type Stage, type StageChange
} from "../../lib/names/recruitment";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../lib/pagination";
import { email, enumOf, id, nullableId, nullableText, optionalBoolean, optionalDate, optionalText, text, date } from "../../lib/params";
import { IllegalTransitionError } from "../../lib/recruitment/errors";
import { currency, dateTime, httpUrl, phone, toInstant } from "../../lib/recruitment/fields";
import { canChangeOffer, isEditableOffer, isLiveOffer } from "../../lib/recruitment/offers";
import { acceptsApplications, canChangeOpening } from "../../lib/recruitment/openings";
import { ACTIVE_STAGES, isClosed } from "../../lib/recruitment/stages";
import { type Role, STAFF_ROLES } from "../../lib/roles";
import { type DbService, DbMixin, type Store } from "../../mixins/db.mixin";
import type { RecruitingFunnel } from "../../lib/names/reports";

// ---- Types -------------------------------------------------------------------------------

interface IdParams { id: string }
interface CreateOpeningParams {
	title: string; departmentId: string; hiringManagerId: string; headcount?: number; status?: OpeningStatus; description?: string | null;
}
interface UpdateOpeningParams extends Partial<CreateOpeningParams> { id: string }
interface ListOpeningsParams extends ListParams { status?: OpeningStatus; departmentId?: string; hiringManagerId?: string; search?: string }
interface CreateCandidateParams {
	firstName: string; lastName: string; email: string; phone?: string | null; source: CandidateSource;
	resumeUrl?: string | null; consentToKeepData: boolean;
}
interface UpdateCandidateParams extends Partial<CreateCandidateParams> { id: string }
interface ListCandidatesParams extends ListParams { source?: CandidateSource; consentToKeepData?: boolean; search?: string }
interface CreateApplicationParams { candidateId: string; openingId: string; note?: string | null }
interface ListApplicationsParams extends ListParams { openingId?: string; candidateId?: string; stage?: Stage }
interface SetStageParams { id: string; stage: Stage; expect?: Stage; reason?: string | null }
interface CreateInterviewParams { applicationId: string; scheduledAt: string; interviewerIds: string[] }
interface UpdateInterviewParams { id: string; scheduledAt?: string; interviewerIds?: string[]; feedback?: string | null; result?: InterviewResult }
interface ListInterviewsParams extends ListParams {
	applicationId?: string; openingId?: string; interviewerId?: string; result?: InterviewResult; scheduledFrom?: string; scheduledTo?: string;
}
interface OfferTermsParams {
	title?: string | null; positionId?: string | null; salary?: number | null; currency?: string | null; startDate?: string; expiresAt?: string | null;
}
interface CreateOfferParams extends OfferTermsParams { applicationId: string; startDate: string }
interface UpdateOfferParams extends OfferTermsParams { id: string }
interface ListOffersParams extends ListParams { applicationId?: string; candidateId?: string; status?: OfferStatus }
interface SetOfferStatusParams { id: string; status: OfferStatus; expect?: OfferStatus; employeeId?: string | null; userId?: string | null }
interface ApplicationIdParams { applicationId: string }

type OpeningDoc = TenantDoc & Omit<JobOpening, "id">;
type CandidateDoc = TenantDoc & Omit<Candidate, "id">;
type ApplicationDoc = TenantDoc & Omit<Application, "id">;
type InterviewDoc = TenantDoc & Omit<Interview, "id">;
/** liveKey is the application's id while the offer is live, its own id otherwise: unique per tenant, so one live offer per application. */
type OfferDoc = TenantDoc & Omit<Offer, "id"> & { liveKey: string };

/** An application as a client sees it: who applied, to what. */
export interface ApplicationView extends Application {
	candidate: { id: string; firstName: string; lastName: string; email: string } | null;
	opening: { id: string; title: string; status: OpeningStatus } | null;
}

interface RecruitmentMethods {
	checkDepartment(ctx: RosterContext, departmentId: string | undefined): Promise<void>;
	checkPosition(ctx: RosterContext, positionId: string | null | undefined): Promise<void>;
	checkEmployees(ctx: RosterContext, ids: string[] | undefined, field: string): Promise<void>;
	scopeOf(user: AuthUser): Promise<{ openingIds: string[] } | null>;
	visibleOpening(user: AuthUser, openingId: string): Promise<OpeningDoc>;
	visibleApplication(user: AuthUser, applicationId: string): Promise<ApplicationDoc>;
	visibleInterview(user: AuthUser, interviewId: string): Promise<InterviewDoc>;
	withParties(tenantId: string, apps: Application[]): Promise<ApplicationView[]>;
	changeOfferStatus(ctx: RosterContext<IdParams>, to: OfferStatus): Promise<Offer>;
}

type RecruitmentThis = DbService & RecruitmentMethods;

// ---- Helpers -----------------------------------------------------------------------------

const OPENINGS = "job_openings";
const CANDIDATES = "candidates";
const APPLICATIONS = "applications";
const INTERVIEWS = "interviews";
const OFFERS = "offers";

/** Who may read openings, applications and interviews (a manager only their own openings'). */
const RECRUITERS: Role[] = [...STAFF_ROLES, "manager"];

const headcount = { type: "number", integer: true, min: 1, max: 10_000 } as const;
const salary = { type: "number", min: 0, max: 1_000_000_000, optional: true, nullable: true } as const;
const interviewerIds = { type: "array", items: id, min: 1, max: 20, unique: true } as const;
const search = optionalText(100);
const optional = <T extends object>(rule: T) => ({ ...rule, optional: true }) as const;
const nullable = <T extends object>(rule: T) => ({ ...rule, optional: true, nullable: true }) as const;

const openingJSON = (doc: OpeningDoc) => toJSON(doc) as unknown as JobOpening;
const candidateJSON = (doc: CandidateDoc) => toJSON(doc) as unknown as Candidate;
const applicationJSON = (doc: ApplicationDoc) => toJSON(doc) as unknown as Application;
const interviewJSON = (doc: InterviewDoc) => toJSON(doc) as unknown as Interview;
const offerJSON = (doc: OfferDoc) => toJSON(doc, ["liveKey"]) as unknown as Offer;

const liveKey = (offer: { _id: string; applicationId: string }, status: OfferStatus) => (isLiveOffer(status) ? offer.applicationId : offer._id);

/** A referenced record another service answers 404 for is bad input here: 422 naming the field. */
function missingAs422(field: string, entity: string) {
	return (err: { code?: number }): never => {
		if (err?.code === 404) throw new UnprocessableError(field, `The '${field}' field refers to no ${entity} of this company.`, "reference");
		throw err;
	};
}

const noReference = (field: string, entity: string) =>
	new UnprocessableError(field, `The '${field}' field refers to no ${entity} of this company.`, "reference");

// ---- Service -----------------------------------------------------------------------------

const RecruitmentService: ServiceSchema = {
	name: "recruitment",

	mixins: [
		DbMixin("recruitment", { name: OPENINGS, indexes: [{ fields: { tenantId: 1, hiringManagerId: 1 } }] }, [
			{ name: CANDIDATES, indexes: [{ fields: { tenantId: 1, email: 1 }, unique: true }] },
			{
				name: APPLICATIONS,
				indexes: [{ fields: { tenantId: 1, candidateId: 1, openingId: 1 }, unique: true }, { fields: { tenantId: 1, openingId: 1 } }]
			},
			{ name: INTERVIEWS, indexes: [{ fields: { tenantId: 1, applicationId: 1 } }] },
			{ name: OFFERS, indexes: [{ fields: { tenantId: 1, liveKey: 1 }, unique: true }, { fields: { tenantId: 1, applicationId: 1 } }] }
		])
	],

	settings: {
		rest: "/"
	},

	actions: {
		// ---- Job openings ----

		createOpening: {
			rest: "POST /job-openings",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, title: text(), departmentId: id, hiringManagerId: id, headcount: optional(headcount),
				status: optional(enumOf(OPENING_STATUSES)), description: nullableText(5000)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateOpeningParams>): Promise<JobOpening> {
				const { tenantId } = requireUser(ctx);
				const { title, departmentId, hiringManagerId, headcount: count = 1, status = "draft", description = null } = ctx.params;
				await this.checkDepartment(ctx, departmentId);
				await this.checkEmployees(ctx, [hiringManagerId], "hiringManagerId");
				const at = now();
				const doc: OpeningDoc = {
					_id: this.newId(), tenantId, title, departmentId, hiringManagerId, headcount: count, status, description, createdAt: at, updatedAt: at
				};
				await this.adapter.insert(doc);
				created(ctx, `/api/v1/job-openings/${doc._id}`);
				return this.saved(ctx, "created", openingJSON(doc));
			}
		},

		listOpenings: {
			rest: "GET /job-openings",
			auth: { roles: RECRUITERS },
			params: {
				$$strict: true, ...listParams, status: optional(enumOf(OPENING_STATUSES)), departmentId: optional(id),
				hiringManagerId: optional(id), search
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
				// A manager's own openings only; without an employee record they hire for nothing.
				if (!isStaff(user)) query.$and = [{ hiringManagerId: user.employeeId ?? "" }];
				return paginate(this.adapter, query, ctx.params, sort, openingJSON);
			}
		},

		getOpeningById: {
			rest: "GET /job-openings/:id",
			auth: { roles: RECRUITERS },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<JobOpening> {
				return openingJSON(await this.visibleOpening(requireUser(ctx), ctx.params.id));
			}
		},

		updateOpening: {
			rest: "PATCH /job-openings/:id",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, id, title: optionalText(), departmentId: optional(id), hiringManagerId: optional(id),
				headcount: optional(headcount), status: optional(enumOf(OPENING_STATUSES)), description: nullableText(5000)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<UpdateOpeningParams>): Promise<JobOpening> {
				const { tenantId } = requireUser(ctx);
				const opening = await findInTenant<OpeningDoc>(this.adapter, tenantId, ctx.params.id, "Job opening");
				const { id: _id, ...changes } = ctx.params;
				if (changes.status && !canChangeOpening(opening.status, changes.status)) {
					throw new IllegalTransitionError(opening.status, changes.status, "A published opening does not go back to draft", "openingStatus");
				}
				await this.checkDepartment(ctx, changes.departmentId);
				if (changes.hiringManagerId) await this.checkEmployees(ctx, [changes.hiringManagerId], "hiringManagerId");
				const updated: OpeningDoc = await this.adapter.updateById(opening._id, { $set: { ...changes, updatedAt: now() } });
				return this.saved(ctx, "updated", openingJSON(updated));
			}
		},

		deleteOpening: {
			rest: "DELETE /job-openings/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				const opening = await findInTenant<OpeningDoc>(this.adapter, tenantId, ctx.params.id, "Job opening");
				const applications = await this.store(APPLICATIONS).count({ query: { tenantId, openingId: opening._id } });
				// Applications are the hiring record; an opening that has any is closed, not deleted.
				if (applications > 0) throw new ConflictError("The opening has applications; close it instead", { applications });
				await this.adapter.removeById(opening._id);
				await this.saved(ctx, "removed", openingJSON(opening));
				ctx.meta.$statusCode = 204;
				return null;
			}
		},

		getOpening: {
			visibility: "public",
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<JobOpening> {
				return openingJSON(await findInTenant<OpeningDoc>(this.adapter, requireUser(ctx).tenantId, ctx.params.id, "Job opening"));
			}
		},

		// ---- Candidates (staff only: contact data of people who are not employees) ----

		createCandidate: {
			rest: "POST /candidates",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, firstName: text(100), lastName: text(100), email, phone: nullable(phone),
				source: enumOf(CANDIDATE_SOURCES), resumeUrl: nullable(httpUrl), consentToKeepData: { type: "boolean" }
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateCandidateParams>): Promise<Candidate> {
				const { tenantId } = requireUser(ctx);
				const { firstName, lastName, email: address, phone: tel = null, source, resumeUrl = null, consentToKeepData } = ctx.params;
				const store = this.store(CANDIDATES);
				if (await store.findOne({ tenantId, email: address })) throw new ConflictError("email is already taken", { field: "email" });
				const at = now();
				const doc: CandidateDoc = {
					_id: this.newId(), tenantId, firstName, lastName, email: address, phone: tel, source, resumeUrl,
					consentToKeepData, consentGivenAt: consentToKeepData ? at : null, createdAt: at, updatedAt: at
				};
				await this.unique("email", () => store.insert(doc));
				created(ctx, `/api/v1/candidates/${doc._id}`);
				return this.saved(ctx, "created", candidateJSON(doc));
			}
		},

		listCandidates: {
			rest: "GET /candidates",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, ...listParams, source: optional(enumOf(CANDIDATE_SOURCES)), consentToKeepData: optionalBoolean, search },
			async handler(this: RecruitmentThis, ctx: RosterContext<ListCandidatesParams>): Promise<ListResult<Candidate>> {
				const sort = parseSort(ctx.params.sort, ["lastName", "firstName", "email", "source", "createdAt"], "lastName,firstName");
				const { source, consentToKeepData, search: text } = ctx.params;
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (source) query.source = source;
				if (consentToKeepData !== undefined) query.consentToKeepData = consentToKeepData;
				if (text) {
					const pattern = containsPattern(text);
					query.$or = [{ firstName: pattern }, { lastName: pattern }, { email: pattern }];
				}
				return paginate(this.store(CANDIDATES), query, ctx.params, sort, candidateJSON);
			}
		},

		getCandidateById: {
			rest: "GET /candidates/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Candidate> {
				return candidateJSON(await findInTenant<CandidateDoc>(this.store(CANDIDATES), requireUser(ctx).tenantId, ctx.params.id, "Candidate"));
			}
		},

		updateCandidate: {
			rest: "PATCH /candidates/:id",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, id, firstName: optionalText(100), lastName: optionalText(100), email: optional(email), phone: nullable(phone),
				source: optional(enumOf(CANDIDATE_SOURCES)), resumeUrl: nullable(httpUrl), consentToKeepData: { type: "boolean", optional: true }
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<UpdateCandidateParams>): Promise<Candidate> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(CANDIDATES);
				const candidate = await findInTenant<CandidateDoc>(store, tenantId, ctx.params.id, "Candidate");
				const { id: _id, ...changes } = ctx.params;
				if (changes.email && (await store.findOne({ tenantId, email: changes.email, _id: { $ne: candidate._id } }))) {
					throw new ConflictError("email is already taken", { field: "email" });
				}
				const set: Partial<CandidateDoc> = { ...changes, updatedAt: now() };
				// Consent is dated when given, and the date goes with it when withdrawn.
				if (changes.consentToKeepData !== undefined && changes.consentToKeepData !== candidate.consentToKeepData) {
					set.consentGivenAt = changes.consentToKeepData ? set.updatedAt : null;
				}
				const updated: CandidateDoc = await this.unique("email", () => store.updateById(candidate._id, { $set: set }));
				return this.saved(ctx, "updated", candidateJSON(updated));
			}
		},

		/**
		 * Erasure (e.g. when consent is withdrawn): the candidate and their closed applications,
		 * interviews and offers go. A candidate still in play is withdrawn or rejected first.
		 */
		deleteCandidate: {
			rest: "DELETE /candidates/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				const candidate = await findInTenant<CandidateDoc>(this.store(CANDIDATES), tenantId, ctx.params.id, "Candidate");
				const applications = this.store(APPLICATIONS);
				const active = await applications.count({ query: { tenantId, candidateId: candidate._id, stage: { $in: [...ACTIVE_STAGES] } } });
				if (active > 0) throw new ConflictError("The candidate still has active applications; withdraw or reject them first", { applications: active });
				const apps: ApplicationDoc[] = await applications.find({ query: { tenantId, candidateId: candidate._id } });
				const appIds = apps.map(a => a._id);
				await this.store(INTERVIEWS).removeMany({ tenantId, applicationId: { $in: appIds } });
				await this.store(OFFERS).removeMany({ tenantId, candidateId: candidate._id });
				await applications.removeMany({ tenantId, candidateId: candidate._id });
				await this.store(CANDIDATES).removeById(candidate._id);
				await this.saved(ctx, "removed", candidateJSON(candidate));
				ctx.meta.$statusCode = 204;
				return null;
			}
		},

		getCandidate: {
			visibility: "public",
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Candidate> {
				return candidateJSON(await findInTenant<CandidateDoc>(this.store(CANDIDATES), requireUser(ctx).tenantId, ctx.params.id, "Candidate"));
			}
		},

		// ---- Applications (stage moves: POST /applications/:id/move in the recruiting pipeline) ----

		createApplication: {
			rest: "POST /applications",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, candidateId: id, openingId: id, note: nullableText(2000) },
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateApplicationParams>): Promise<ApplicationView> {
				const { tenantId } = requireUser(ctx);
				const { candidateId, openingId, note = null } = ctx.params;
				if ((await this.store(CANDIDATES).count({ query: { _id: candidateId, tenantId } })) === 0) throw noReference("candidateId", "candidate");
				const opening: OpeningDoc | null = await this.adapter.findOne({ _id: openingId, tenantId });
				if (!opening) throw noReference("openingId", "job opening");
				if (!acceptsApplications(opening.status)) {
					throw new ConflictError(`The opening is ${opening.status}; only open openings take applications`, { field: "openingId", status: opening.status });
				}
				const store = this.store(APPLICATIONS);
				if (await store.findOne({ tenantId, candidateId, openingId })) {
					throw new ConflictError("The candidate has already applied to this opening", { field: "candidateId" });
				}
				const at = now();
				const doc: ApplicationDoc = {
					_id: this.newId(), tenantId, candidateId, openingId, stage: "applied", closedFrom: null, note, history: [],
					stageChangedAt: at, createdAt: at, updatedAt: at
				};
				await this.unique("candidateId", () => store.insert(doc));
				created(ctx, `/api/v1/applications/${doc._id}`);
				const [view] = await this.withParties(tenantId, [applicationJSON(doc)]);
				return this.saved(ctx, "created", view);
			}
		},

		listApplications: {
			rest: "GET /applications",
			auth: { roles: RECRUITERS },
			params: { $$strict: true, ...listParams, openingId: optional(id), candidateId: optional(id), stage: optional(enumOf(STAGES)) },
			async handler(this: RecruitmentThis, ctx: RosterContext<ListApplicationsParams>): Promise<ListResult<ApplicationView>> {
				const user = requireUser(ctx);
				const sort = parseSort(ctx.params.sort, ["createdAt", "updatedAt", "stage", "stageChangedAt"], "-createdAt");
				const { openingId, candidateId, stage } = ctx.params;
				const query: Record<string, unknown> = { tenantId: user.tenantId };
				if (openingId) query.openingId = openingId;
				if (candidateId) query.candidateId = candidateId;
				if (stage) query.stage = stage;
				const scope = await this.scopeOf(user);
				if (scope) query.$and = [{ openingId: { $in: scope.openingIds } }];
				const page = await paginate(this.store(APPLICATIONS), query, ctx.params, sort, applicationJSON);
				return { ...page, rows: await this.withParties(user.tenantId, page.rows) };
			}
		},

		getApplicationById: {
			rest: "GET /applications/:id",
			auth: { roles: RECRUITERS },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<ApplicationView> {
				const user = requireUser(ctx);
				const app = await this.visibleApplication(user, ctx.params.id);
				const [view] = await this.withParties(user.tenantId, [applicationJSON(app)]);
				return view;
			}
		},

		getApplication: {
			visibility: "public",
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Application> {
				return applicationJSON(await findInTenant<ApplicationDoc>(this.store(APPLICATIONS), requireUser(ctx).tenantId, ctx.params.id, "Application"));
			}
		},

		/** Stores a stage change the caller has decided on; lands only if the stage is still the one expected. */
		setStage: {
			visibility: "public",
			params: { id, stage: enumOf(STAGES), expect: optional(enumOf(STAGES)), reason: nullableText(500) },
			async handler(this: RecruitmentThis, ctx: RosterContext<SetStageParams>): Promise<Application> {
				const user = requireUser(ctx);
				const store = this.store(APPLICATIONS);
				const app = await findInTenant<ApplicationDoc>(store, user.tenantId, ctx.params.id, "Application");
				const { stage: to, reason = null } = ctx.params;
				const from = ctx.params.expect ?? app.stage;
				if (app.stage !== from) throw new IllegalTransitionError(app.stage, to, `The application is in '${app.stage}', not '${from}'`, "stale");
				if (from === to) return applicationJSON(app);
				const at = now();
				const change: StageChange = { from, to, at, by: user.id, reason };
				// Left for a closed stage: remember how far it had come, which bounds a reopen.
				const closedFrom = isClosed(to) ? from : null;
				const moved = await store.updateMany(
					{ _id: app._id, tenantId: user.tenantId, stage: from },
					{ $set: { stage: to, closedFrom, stageChangedAt: at, updatedAt: at }, $push: { history: change } }
				);
				if (moved !== 1) {
					const current: ApplicationDoc | null = await store.findOne({ _id: app._id, tenantId: user.tenantId });
					throw new IllegalTransitionError(current?.stage ?? from, to, "The application was moved meanwhile", "stale");
				}
				const updated = applicationJSON(await store.findOne({ _id: app._id, tenantId: user.tenantId }));
				return this.saved(ctx, "updated", updated);
			}
		},

		// ---- Interviews (scheduling: POST /interviews in the recruiting pipeline) ----

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
					_id: this.newId(), tenantId, applicationId, openingId: app.openingId, scheduledAt, interviewerIds: interviewers,
					feedback: null, result: "pending", createdAt: at, updatedAt: at
				};
				await this.store(INTERVIEWS).insert(doc);
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
				await store.removeById(doc._id);
				await this.saved(ctx, "removed", interviewJSON(doc));
				return { removed: true };
			}
		},

		listInterviews: {
			rest: "GET /interviews",
			auth: { roles: RECRUITERS },
			params: {
				$$strict: true, ...listParams, applicationId: optional(id), openingId: optional(id), interviewerId: optional(id),
				result: optional(enumOf(INTERVIEW_RESULTS)), scheduledFrom: optional(dateTime), scheduledTo: optional(dateTime)
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
				const scope = await this.scopeOf(user);
				if (scope) query.$and = [{ openingId: { $in: scope.openingIds } }];
				return paginate(this.store(INTERVIEWS), query, ctx.params, sort, interviewJSON);
			}
		},

		getInterview: {
			rest: "GET /interviews/:id",
			auth: { roles: RECRUITERS },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Interview> {
				return interviewJSON(await this.visibleInterview(requireUser(ctx), ctx.params.id));
			}
		},

		/** Feedback and result after the interview, or a new time or panel before it. */
		updateInterview: {
			rest: "PATCH /interviews/:id",
			auth: { roles: RECRUITERS },
			params: {
				$$strict: true, id, scheduledAt: optional(dateTime), interviewerIds: optional(interviewerIds),
				feedback: nullableText(10_000), result: optional(enumOf(INTERVIEW_RESULTS))
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<UpdateInterviewParams>): Promise<Interview> {
				const interview = await this.visibleInterview(requireUser(ctx), ctx.params.id);
				const { id: _id, ...changes } = ctx.params;
				if (changes.scheduledAt) changes.scheduledAt = toInstant(changes.scheduledAt, "scheduledAt");
				await this.checkEmployees(ctx, changes.interviewerIds, "interviewerIds");
				const updated: InterviewDoc = await this.store(INTERVIEWS).updateById(interview._id, { $set: { ...changes, updatedAt: now() } });
				return this.saved(ctx, "updated", interviewJSON(updated));
			}
		},

		// ---- Offers (staff only; accepting one is onboarding's: POST /offers/:id/accept) ----

		/** An offer is made once the pipeline has moved the application to "offer"; one live offer per application. */
		createOffer: {
			rest: "POST /offers",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, applicationId: id, title: nullableText(), positionId: nullableId, salary, currency: nullable(currency),
				startDate: date, expiresAt: nullable(optionalDate)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateOfferParams>): Promise<Offer> {
				const user = requireUser(ctx);
				const { tenantId } = user;
				const { applicationId, title = null, positionId = null, salary: pay = null, currency: cur = null, startDate, expiresAt = null } = ctx.params;
				const app: ApplicationDoc | null = await this.store(APPLICATIONS).findOne({ _id: applicationId, tenantId });
				if (!app) throw noReference("applicationId", "application");
				checkDate(startDate, "startDate");
				checkDate(expiresAt, "expiresAt");
				await this.checkPosition(ctx, positionId);
				if (app.stage !== "offer") {
					throw new ConflictError(`An offer needs the application in stage 'offer'; it is in '${app.stage}'`, { field: "applicationId", stage: app.stage });
				}
				const store = this.store(OFFERS);
				if (await store.findOne({ tenantId, liveKey: applicationId })) {
					throw new ConflictError("The application already has a live offer; withdraw it first", { field: "applicationId" });
				}
				const at = now();
				const doc: OfferDoc = {
					_id: this.newId(), tenantId, applicationId, candidateId: app.candidateId, openingId: app.openingId, title, positionId,
					salary: pay, currency: cur, startDate, expiresAt, status: "draft", employeeId: null, userId: null, createdBy: user.id,
					liveKey: applicationId, createdAt: at, updatedAt: at
				};
				await this.unique("applicationId", () => store.insert(doc));
				created(ctx, `/api/v1/offers/${doc._id}`);
				return this.saved(ctx, "created", offerJSON(doc));
			}
		},

		listOffers: {
			rest: "GET /offers",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, ...listParams, applicationId: optional(id), candidateId: optional(id), status: optional(enumOf(OFFER_STATUSES)) },
			async handler(this: RecruitmentThis, ctx: RosterContext<ListOffersParams>): Promise<ListResult<Offer>> {
				const sort = parseSort(ctx.params.sort, ["createdAt", "updatedAt", "startDate", "status"], "-createdAt");
				const { applicationId, candidateId, status } = ctx.params;
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (applicationId) query.applicationId = applicationId;
				if (candidateId) query.candidateId = candidateId;
				if (status) query.status = status;
				return paginate(this.store(OFFERS), query, ctx.params, sort, offerJSON);
			}
		},

		getOfferById: {
			rest: "GET /offers/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return offerJSON(await findInTenant<OfferDoc>(this.store(OFFERS), requireUser(ctx).tenantId, ctx.params.id, "Offer"));
			}
		},

		/** A draft's terms; once sent, an offer is withdrawn and made anew rather than changed. */
		updateOffer: {
			rest: "PATCH /offers/:id",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, id, title: nullableText(), positionId: nullableId, salary, currency: nullable(currency),
				startDate: optionalDate, expiresAt: nullable(optionalDate)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<UpdateOfferParams>): Promise<Offer> {
				const store = this.store(OFFERS);
				const offer = await findInTenant<OfferDoc>(store, requireUser(ctx).tenantId, ctx.params.id, "Offer");
				const { id: _id, ...changes } = ctx.params;
				checkDate(changes.startDate, "startDate");
				checkDate(changes.expiresAt, "expiresAt");
				await this.checkPosition(ctx, changes.positionId);
				if (!isEditableOffer(offer.status)) throw new ConflictError(`A ${offer.status} offer cannot be changed`, { field: "status", status: offer.status });
				const updated: OfferDoc = await store.updateById(offer._id, { $set: { ...changes, updatedAt: now() } });
				return this.saved(ctx, "updated", offerJSON(updated));
			}
		},

		sendOffer: {
			rest: "POST /offers/:id/send",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return this.changeOfferStatus(ctx, "sent");
			}
		},

		/** The candidate said no. The application stays in "offer": staff may make a new offer, or reject or withdraw it. */
		declineOffer: {
			rest: "POST /offers/:id/decline",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return this.changeOfferStatus(ctx, "declined");
			}
		},

		withdrawOffer: {
			rest: "POST /offers/:id/withdraw",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return this.changeOfferStatus(ctx, "withdrawn");
			}
		},

		getOffer: {
			visibility: "public",
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return offerJSON(await findInTenant<OfferDoc>(this.store(OFFERS), requireUser(ctx).tenantId, ctx.params.id, "Offer"));
			}
		},

		/** Sets any status (the caller decides); with `expect`, only while the status is still that one. */
		setOfferStatus: {
			visibility: "public",
			params: {
				id, status: enumOf(OFFER_STATUSES), expect: optional(enumOf(OFFER_STATUSES)), employeeId: nullableId, userId: nullableId
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<SetOfferStatusParams>): Promise<Offer> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(OFFERS);
				const offer = await findInTenant<OfferDoc>(store, tenantId, ctx.params.id, "Offer");
				const { status, expect, employeeId, userId } = ctx.params;
				if (expect && offer.status !== expect) {
					throw new IllegalTransitionError(offer.status, status, `The offer is ${offer.status}, not ${expect}`, "stale");
				}
				const set: Partial<OfferDoc> = { status, liveKey: liveKey(offer, status), updatedAt: now() };
				if (employeeId !== undefined) set.employeeId = employeeId;
				if (userId !== undefined) set.userId = userId;
				const changed = await this.unique("applicationId", () =>
					store.updateMany({ _id: offer._id, tenantId, status: expect ?? offer.status }, { $set: set })
				);
				if (changed !== 1) throw new IllegalTransitionError(offer.status, status, "The offer changed meanwhile", "stale");
				return this.saved(ctx, "updated", offerJSON(await store.findOne({ _id: offer._id, tenantId })));
			}
		},

		/** When an application leaves "offer" for rejected or withdrawn, its pending offers go with it. */
		withdrawOffers: {
			visibility: "public",
			params: { applicationId: id },
			async handler(this: RecruitmentThis, ctx: RosterContext<ApplicationIdParams>): Promise<{ withdrawn: number }> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(OFFERS);
				const pending: OfferDoc[] = await store.find({ query: { tenantId, applicationId: ctx.params.applicationId, status: { $in: ["draft", "sent"] } } });
				let withdrawn = 0;
				for (const offer of pending) {
					const at = now();
					withdrawn += await store.updateMany(
						{ _id: offer._id, tenantId, status: offer.status },
						{ $set: { status: "withdrawn", liveKey: offer._id, updatedAt: at } }
					);
					await this.saved(ctx, "updated", { ...offerJSON(offer), status: "withdrawn", updatedAt: at });
				}
				return { withdrawn };
			}
		},

		/** The reports service's input: openings by status and applications by stage, counted here. */
		funnel: {
			visibility: "public",
			params: {},
			async handler(this: RecruitmentThis, ctx: RosterContext): Promise<RecruitingFunnel> {
				const { tenantId } = requireUser(ctx);
				const count = (store: Store, field: string, value: string) => store.count({ query: { tenantId, [field]: value } });
				const [openings, applications] = await Promise.all([
					Promise.all(OPENING_STATUSES.map(status => count(this.adapter, "status", status))),
					Promise.all(STAGES.map(stage => count(this.store(APPLICATIONS), "stage", stage)))
				]);
				return {
					openings: Object.fromEntries(OPENING_STATUSES.map((status, i) => [status, openings[i]])) as RecruitingFunnel["openings"],
					applications: Object.fromEntries(STAGES.map((stage, i) => [stage, applications[i]]))
				};
			}
		}
	},

	methods: {

		async checkDepartment(ctx: RosterContext, departmentId: string | undefined): Promise<void> {
			if (departmentId) await ctx.call(OrgActions.getDepartment, { id: departmentId }).catch(missingAs422("departmentId", "department"));
		},

		async checkPosition(ctx: RosterContext, positionId: string | null | undefined): Promise<void> {
			if (positionId) await ctx.call(OrgActions.getPosition, { id: positionId }).catch(missingAs422("positionId", "position"));
		},

		/** Hiring managers and interviewers are active employees of the tenant; one query for all. */
		async checkEmployees(ctx: RosterContext, ids: string[] | undefined, field: string): Promise<void> {
			if (!ids || ids.length === 0) return;
			const found = await ctx.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids });
			const active = new Set(found.filter(e => e.status === "active").map(e => e.id));
			if (ids.some(i => !active.has(i))) {
				throw new UnprocessableError(field, `The '${field}' field refers to no active employee of this company.`, "reference");
			}
		},

		/** Null for staff (the whole tenant); a manager's openings otherwise. */
		async scopeOf(this: RecruitmentThis, user: AuthUser): Promise<{ openingIds: string[] } | null> {
			if (isStaff(user)) return null;
			if (!user.employeeId) return { openingIds: [] };
			const own: OpeningDoc[] = await this.adapter.find({ query: { tenantId: user.tenantId, hiringManagerId: user.employeeId } });
			return { openingIds: own.map(o => o._id) };
		},

		/** An opening of the tenant (404 otherwise) that the user may see (403 otherwise). */
		async visibleOpening(this: RecruitmentThis, user: AuthUser, openingId: string): Promise<OpeningDoc> {
			const opening = await findInTenant<OpeningDoc>(this.adapter, user.tenantId, openingId, "Job opening");
			if (!isStaff(user) && (!user.employeeId || opening.hiringManagerId !== user.employeeId)) {
				throw new ForbiddenError("Only the opening's hiring manager and staff may see this");
			}
			return opening;
		},

		async visibleApplication(this: RecruitmentThis, user: AuthUser, applicationId: string): Promise<ApplicationDoc> {
			const app = await findInTenant<ApplicationDoc>(this.store(APPLICATIONS), user.tenantId, applicationId, "Application");
			if (!isStaff(user)) await this.visibleOpening(user, app.openingId);
			return app;
		},

		async visibleInterview(this: RecruitmentThis, user: AuthUser, interviewId: string): Promise<InterviewDoc> {
			const interview = await findInTenant<InterviewDoc>(this.store(INTERVIEWS), user.tenantId, interviewId, "Interview");
			if (!isStaff(user)) await this.visibleOpening(user, interview.openingId);
			return interview;
		},

		/** Candidates and openings of a page of applications, in one query each. */
		async withParties(this: RecruitmentThis, tenantId: string, apps: Application[]): Promise<ApplicationView[]> {
			const [candidates, openings] = await Promise.all([
				findManyInTenant<CandidateDoc>(this.store(CANDIDATES), tenantId, apps.map(a => a.candidateId)),
				findManyInTenant<OpeningDoc>(this.adapter, tenantId, apps.map(a => a.openingId))
			]);
			const candidateById = new Map(candidates.map(c => [c._id, c]));
			const openingById = new Map(openings.map(o => [o._id, o]));
			return apps.map(app => {
				const c = candidateById.get(app.candidateId);
				const o = openingById.get(app.openingId);
				return {
					...app,
					candidate: c ? { id: c._id, firstName: c.firstName, lastName: c.lastName, email: c.email } : null,
					opening: o ? { id: o._id, title: o.title, status: o.status } : null
				};
			});
		},

		/** A status change by the published offer routes: the offer rules, applied atomically. */
		async changeOfferStatus(this: RecruitmentThis, ctx: RosterContext<IdParams>, to: OfferStatus): Promise<Offer> {
			const { tenantId } = requireUser(ctx);
			const store = this.store(OFFERS);
			const offer = await findInTenant<OfferDoc>(store, tenantId, ctx.params.id, "Offer");
			if (!canChangeOffer(offer.status, to)) {
				throw new IllegalTransitionError(offer.status, to, `A ${offer.status} offer cannot become ${to}`, "offerStatus");
			}
			const at = now();
			const changed = await store.updateMany(
				{ _id: offer._id, tenantId, status: offer.status },
				{ $set: { status: to, liveKey: liveKey(offer, to), updatedAt: at } }
			);
			if (changed !== 1) throw new IllegalTransitionError(offer.status, to, "The offer changed meanwhile", "stale");
			return this.saved(ctx, "updated", offerJSON({ ...offer, status: to, updatedAt: at }));
		}
	}
};

export default RecruitmentService;
