/** Applications, the aggregate root of the pipeline (stage moves: POST /applications/:id/move in the recruiting pipeline). */
import type { ServiceSchema } from "moleculer";
import { insertWithEvent, pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { auditCreation, auditUpdate } from "../../../lib/audit/record";
import { findInTenant, findManyInTenant, now, toJSON } from "../../../lib/entity";
import { ConflictError } from "../../../lib/errors";
import { type RosterContext, created, isStaff, requireUser } from "../../../lib/meta";
import { STAGES, type Application, RecruitmentEvents, type Stage, type StageChange, type StageChangedEvent } from "../../../lib/names/recruitment";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { enumOf, id, nullableProse } from "../../../lib/params";
import { IllegalTransitionError } from "../../../lib/recruitment/errors";
import { acceptsApplications } from "../../../lib/recruitment/openings";
import { figuresOf } from "../../../lib/recruitment/figures";
import { isClosed } from "../../../lib/recruitment/stages";
import { STAFF_ROLES } from "../../../lib/roles";
import { withLease } from "../../../lib/store/lease";
import { withSharedLease } from "../../../lib/store/shared-lease";
import {
	APPLICATIONS,
	type ApplicationDoc,
	type ApplicationView,
	CANDIDATES,
	type CandidateDoc,
	type IdParams,
	LOCKS,
	OFFERS,
	type OfferDoc,
	type OpeningDoc,
	RECRUITERS,
	type RecruitmentThis,
	applicationLease,
	candidateLease,
	noReference,
	openingLease,
	optional
} from "./shared";
import { json } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Recruitment from "../../../lib/openapi/contexts/recruitment";

interface CreateApplicationParams {
	candidateId: string;
	openingId: string;
	note?: string | null;
}
interface ListApplicationsParams extends ListParams {
	openingId?: string;
	candidateId?: string;
	stage?: Stage;
}
interface SetStageParams {
	id: string;
	stage: Stage;
	expect?: Stage;
	reason?: string | null;
}

const applicationJSON = (doc: ApplicationDoc) => toJSON(doc, ["figures"]) as unknown as Application;

export const ApplicationsPart: Partial<ServiceSchema> = {
	actions: {
		createApplication: {
			rest: "POST /applications",
			openapi: { responses: { 201: json(Recruitment.ApplicationView) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, candidateId: id, openingId: id, note: nullableProse(2000) },
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateApplicationParams>): Promise<ApplicationView> {
				const { tenantId } = requireUser(ctx);
				const { candidateId, openingId, note = null } = ctx.params;
				const locks = this.store(LOCKS);
				const store = this.store(APPLICATIONS);
				// Checked and made while neither the candidate is erased nor the opening deleted (their leases);
				// applications to one opening share its lease, so they do not wait for one another.
				const doc = await withLease(locks, candidateLease(tenantId, candidateId), () =>
					withSharedLease(locks, openingLease(tenantId, openingId), async () => {
						if ((await this.store(CANDIDATES).count({ query: { _id: candidateId, tenantId } })) === 0)
							throw noReference("candidateId", "candidate");
						const opening: OpeningDoc | null = await this.adapter.findOne({ _id: openingId, tenantId });
						if (!opening) throw noReference("openingId", "job opening");
						if (!acceptsApplications(opening.status)) {
							throw new ConflictError(`The opening is ${opening.status}; only open openings take applications`, {
								field: "openingId",
								status: opening.status
							});
						}
						if (await store.findOne({ tenantId, candidateId, openingId })) {
							throw new ConflictError("The candidate has already applied to this opening", { field: "candidateId" });
						}
						const at = now();
						const made: ApplicationDoc = {
							_id: this.newId(),
							tenantId,
							candidateId,
							openingId,
							stage: "applied",
							closedFrom: null,
							note,
							history: [],
							figures: figuresOf(at, []),
							stageChangedAt: at,
							createdAt: at,
							updatedAt: at
						};
						await this.unique("candidateId", () => store.insert(insertWithEvent(made, auditCreation(ctx, "application", made))));
						return made;
					})
				);
				this.publishEvents(doc._id, APPLICATIONS);
				created(ctx, `/api/v1/applications/${doc._id}`);
				const [view] = await this.withParties(tenantId, [applicationJSON(doc)]);
				return this.saved(ctx, "created", view);
			}
		},

		listApplications: {
			rest: "GET /applications",
			openapi: { responses: { 200: json(page(Recruitment.ApplicationView)) } },
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
				const scope = await this.scopeOf(ctx);
				if (scope) query.$and = [{ openingId: { $in: scope.openingIds } }];
				const page = await paginate(this.store(APPLICATIONS), query, ctx.params, sort, applicationJSON);
				return { ...page, rows: await this.withParties(user.tenantId, page.rows) };
			}
		},

		getApplicationById: {
			rest: "GET /applications/:id",
			openapi: { responses: { 200: json(Recruitment.ApplicationView) } },
			auth: { roles: RECRUITERS },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<ApplicationView> {
				const user = requireUser(ctx);
				const app = await this.visibleApplication(ctx, ctx.params.id);
				const [view] = await this.withParties(user.tenantId, [applicationJSON(app)]);
				return view;
			}
		},

		getApplication: {
			visibility: "public",
			readOnly: true,
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Application> {
				return applicationJSON(await findInTenant<ApplicationDoc>(this.store(APPLICATIONS), requireUser(ctx).tenantId, ctx.params.id, "Application"));
			}
		},

		/** Stores a stage change the caller has decided on; lands only if the stage is still the one expected. */
		setStage: {
			visibility: "public",
			params: { id, stage: enumOf(STAGES), expect: optional(enumOf(STAGES)), reason: nullableProse(500) },
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
				// The move carries its stageChanged event in the same statement (lib/channels/outbox.ts).
				const event = pendingEvent<Omit<StageChangedEvent, "tenantId">>(RecruitmentEvents.stageChanged, user.tenantId, {
					applicationId: app._id,
					openingId: app.openingId,
					candidateId: app.candidateId,
					from,
					to,
					reason,
					movedBy: user.id
				});
				const set = { stage: to, closedFrom, stageChangedAt: at, updatedAt: at, figures: figuresOf(app.createdAt, [...app.history, change]) };
				const write = () =>
					store.updateMany(
						{ _id: app._id, tenantId: user.tenantId, stage: from },
						updateWithEvent(
							updateWithEvent({ $set: set, $push: { history: change } }, event),
							auditUpdate(ctx, "application", app, { stage: to, closedFrom })
						)
					);
				// Closing it, under the lease an accept claims its offer under (onboarding-sagas.ts): an offer
				// being accepted keeps the application in the race, or the hire would undo itself against a
				// rejected application and send the offer again.
				const moved = !isClosed(to)
					? await write()
					: await withLease(this.store(LOCKS), applicationLease(user.tenantId, app._id), async () => {
							const accepting: OfferDoc | null = await this.store(OFFERS).findOne({
								tenantId: user.tenantId,
								liveKey: app._id,
								status: "accepted"
							});
							if (accepting) {
								throw new IllegalTransitionError(
									from,
									to,
									`The application's offer is being accepted; it cannot be ${to} now`,
									"offerAccepted"
								);
							}
							return write();
						});
				if (moved !== 1) {
					const current: ApplicationDoc | null = await store.findOne({ _id: app._id, tenantId: user.tenantId });
					throw new IllegalTransitionError(current?.stage ?? from, to, "The application was moved meanwhile", "stale");
				}
				this.publishEvents(app._id, APPLICATIONS);
				const updated = applicationJSON(await store.findOne({ _id: app._id, tenantId: user.tenantId }));
				return this.saved(ctx, "updated", updated);
			}
		}
	},

	methods: {
		async visibleApplication(this: RecruitmentThis, ctx: RosterContext, applicationId: string): Promise<ApplicationDoc> {
			const user = requireUser(ctx);
			const app = await findInTenant<ApplicationDoc>(this.store(APPLICATIONS), user.tenantId, applicationId, "Application");
			if (!isStaff(user)) await this.visibleOpening(ctx, app.openingId);
			return app;
		},

		/** Candidates and openings of a page of applications, in one query each. */
		async withParties(this: RecruitmentThis, tenantId: string, apps: Application[]): Promise<ApplicationView[]> {
			const [candidates, openings] = await Promise.all([
				findManyInTenant<CandidateDoc>(
					this.store(CANDIDATES),
					tenantId,
					apps.map(a => a.candidateId)
				),
				findManyInTenant<OpeningDoc>(
					this.adapter,
					tenantId,
					apps.map(a => a.openingId)
				)
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
		}
	}
};
