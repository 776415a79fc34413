/** Candidates (staff only: contact data of people who are not employees), and their erasure. */
import { auditCreation, auditUpdate } from "../../../lib/audit/record";
import { recordRemovals, removeAudited } from "../../../lib/audit/removal";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import type { ServiceSchema } from "moleculer";
import { containsPattern, findInTenant, now, toJSON } from "../../../lib/entity";
import { ConflictError } from "../../../lib/errors";
import { type RosterContext, created, requireUser } from "../../../lib/meta";
import { CANDIDATE_SOURCES, type Candidate, type CandidateSource } from "../../../lib/names/recruitment";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { email, enumOf, id, optionalBoolean, optionalText, text } from "../../../lib/params";
import { httpUrl, phone } from "../../../lib/recruitment/fields";
import { ACTIVE_STAGES } from "../../../lib/recruitment/stages";
import { STAFF_ROLES } from "../../../lib/roles";
import { withLease } from "../../../lib/store/lease";
import {
	APPLICATIONS,
	type ApplicationDoc,
	CANDIDATES,
	type CandidateDoc,
	INTERVIEWS,
	type IdParams,
	type InterviewDoc,
	LOCKS,
	OFFERS,
	type OfferDoc,
	type RecruitmentThis,
	candidateLease,
	nullable,
	optional,
	search
} from "./shared";
import { json, noContent } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Recruitment from "../../../lib/openapi/contexts/recruitment";

interface CreateCandidateParams {
	firstName: string;
	lastName: string;
	email: string;
	phone?: string | null;
	source: CandidateSource;
	resumeUrl?: string | null;
	consentToKeepData: boolean;
}
interface UpdateCandidateParams extends Partial<CreateCandidateParams> {
	id: string;
}
interface ListCandidatesParams extends ListParams {
	source?: CandidateSource;
	consentToKeepData?: boolean;
	search?: string;
}

const candidateJSON = (doc: CandidateDoc) => toJSON(doc) as unknown as Candidate;

/** The candidate's applications, with their interviews and offers, each on the audit trail before it goes. */
async function eraseApplicationsOf(service: RecruitmentThis, ctx: RosterContext, candidate: CandidateDoc): Promise<void> {
	const { tenantId, _id: candidateId } = candidate;
	const apps: ApplicationDoc[] = await service.store(APPLICATIONS).find({ query: { tenantId, candidateId } });
	const appIds = apps.map(a => a._id);
	const [interviews, offers]: [InterviewDoc[], OfferDoc[]] = await Promise.all([
		service.store(INTERVIEWS).find({ query: { tenantId, applicationId: { $in: appIds } } }),
		service.store(OFFERS).find({ query: { tenantId, candidateId } })
	]);
	await recordRemovals(service, ctx, "interview", interviews);
	await service.store(INTERVIEWS).removeMany({ tenantId, applicationId: { $in: appIds } });
	await recordRemovals(service, ctx, "offer", offers);
	await service.store(OFFERS).removeMany({ tenantId, candidateId });
	await recordRemovals(service, ctx, "application", apps);
	await service.store(APPLICATIONS).removeMany({ tenantId, candidateId });
}

export const CandidatesPart: Partial<ServiceSchema> = {
	actions: {
		createCandidate: {
			rest: "POST /candidates",
			openapi: { responses: { 201: json(Recruitment.Candidate) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				firstName: text(100),
				lastName: text(100),
				email,
				phone: nullable(phone),
				source: enumOf(CANDIDATE_SOURCES),
				resumeUrl: nullable(httpUrl),
				consentToKeepData: { type: "boolean" }
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateCandidateParams>): Promise<Candidate> {
				const { tenantId } = requireUser(ctx);
				const { firstName, lastName, email: address, phone: tel = null, source, resumeUrl = null, consentToKeepData } = ctx.params;
				const store = this.store(CANDIDATES);
				if (await store.findOne({ tenantId, email: address })) throw new ConflictError("email is already taken", { field: "email" });
				const at = now();
				const doc: CandidateDoc = {
					_id: this.newId(),
					tenantId,
					firstName,
					lastName,
					email: address,
					phone: tel,
					source,
					resumeUrl,
					consentToKeepData,
					consentGivenAt: consentToKeepData ? at : null,
					createdAt: at,
					updatedAt: at
				};
				await this.unique("email", () => store.insert(insertWithEvent(doc, auditCreation(ctx, "candidate", doc))));
				this.publishEvents(doc._id, CANDIDATES);
				created(ctx, `/api/v1/candidates/${doc._id}`);
				return this.saved(ctx, "created", candidateJSON(doc));
			}
		},

		listCandidates: {
			rest: "GET /candidates",
			openapi: { responses: { 200: json(page(Recruitment.Candidate)) } },
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
			openapi: { responses: { 200: json(Recruitment.Candidate) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Candidate> {
				return candidateJSON(await findInTenant<CandidateDoc>(this.store(CANDIDATES), requireUser(ctx).tenantId, ctx.params.id, "Candidate"));
			}
		},

		updateCandidate: {
			rest: "PATCH /candidates/:id",
			openapi: { responses: { 200: json(Recruitment.Candidate) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				id,
				firstName: optionalText(100),
				lastName: optionalText(100),
				email: optional(email),
				phone: nullable(phone),
				source: optional(enumOf(CANDIDATE_SOURCES)),
				resumeUrl: nullable(httpUrl),
				consentToKeepData: { type: "boolean", optional: true }
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
				const updated: CandidateDoc = await this.unique("email", () =>
					store.updateById(candidate._id, updateWithEvent({ $set: set }, auditUpdate(ctx, "candidate", candidate, set)))
				);
				this.publishEvents(candidate._id, CANDIDATES);
				return this.saved(ctx, "updated", candidateJSON(updated));
			}
		},

		/**
		 * Erasure (e.g. when consent is withdrawn): the candidate and their closed applications,
		 * interviews and offers go. A candidate still in play is withdrawn or rejected first.
		 */
		deleteCandidate: {
			rest: "DELETE /candidates/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				// With the candidate held, no application is made for them and no offer of theirs claimed meanwhile.
				return withLease(this.store(LOCKS), candidateLease(tenantId, ctx.params.id), async () => {
					const candidate = await findInTenant<CandidateDoc>(this.store(CANDIDATES), tenantId, ctx.params.id, "Candidate");
					const active = await this.store(APPLICATIONS).count({
						query: { tenantId, candidateId: candidate._id, stage: { $in: [...ACTIVE_STAGES] } }
					});
					if (active > 0)
						throw new ConflictError("The candidate still has active applications; withdraw or reject them first", { applications: active });
					// An offer onboarding has claimed and not yet committed: its application may already read "hired".
					const hiring = await this.store(OFFERS).count({ query: { tenantId, candidateId: candidate._id, status: "accepted", employeeId: null } });
					if (hiring > 0) throw new ConflictError("The candidate is being hired; erase them once the hire is done or undone", { offers: hiring });
					await eraseApplicationsOf(this, ctx, candidate);
					return removeAudited(this, ctx, this.store(CANDIDATES), "candidate", candidate, candidateJSON(candidate));
				});
			}
		},

		getCandidate: {
			visibility: "public",
			readOnly: true,
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Candidate> {
				return candidateJSON(await findInTenant<CandidateDoc>(this.store(CANDIDATES), requireUser(ctx).tenantId, ctx.params.id, "Candidate"));
			}
		}
	}
};
