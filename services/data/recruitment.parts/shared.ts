/**
 * Recruitment, what its parts share: the collections and their documents, the service's
 * `this`, the params rules more than one aggregate uses, the checks of records other services
 * own, and who sees what (the rule is in recruitment.service.ts's header).
 */
import type { ServiceSchema } from "moleculer";
import { type TenantDoc, findInTenant } from "../../../lib/entity";
import type { ApplicationFigures } from "../../../lib/recruitment/figures";
import { BusinessRuleError, ForbiddenError } from "../../../lib/errors";
import { type RosterContext, isStaff, requireUser } from "../../../lib/meta";
import { EmployeeActions, type EmployeeSummary, OrgActions } from "../../../lib/names";
import type { OutboxFields } from "../../../lib/channels/outbox";
import type { OnboardingSaga, SagaOffer } from "../../../lib/names/onboarding";
import type { Application, Candidate, Interview, JobOpening, Offer, OfferStatus, OpeningStatus } from "../../../lib/names/recruitment";
import { optionalText } from "../../../lib/params";
import { type Role, STAFF_ROLES } from "../../../lib/roles";
import type { DbService } from "../../../mixins/db.mixin";
import type { OutboxMethods } from "../../../mixins/outbox.mixin";

// ---- Types -------------------------------------------------------------------------------

export interface IdParams {
	id: string;
}

export type OpeningDoc = TenantDoc & Omit<JobOpening, "id">;
export type CandidateDoc = TenantDoc & Omit<Candidate, "id">;
/** `figures` are the funnel report's sums (lib/recruitment/figures.ts), kept inside: no client sees them. */
export type ApplicationDoc = TenantDoc & Omit<Application, "id"> & { figures?: ApplicationFigures };
export type InterviewDoc = TenantDoc & Omit<Interview, "id">;
/**
 * liveKey is the application's id while the offer is live, its own id otherwise: unique per
 * tenant, so one live offer per application. `onboarding` is the saga of its latest accept
 * (holder and actor included), and `onboardingDue` mirrors its lease while it is under way
 * (null otherwise), so the sweep for stalled sagas reads one indexed top-level field.
 */
export type OfferDoc = TenantDoc &
	Omit<Offer, "id" | "onboarding"> &
	OutboxFields & {
		liveKey: string;
		onboarding?: OnboardingSaga | null;
		onboardingDue?: number | null;
	};

/** An application as a client sees it: who applied, to what. */
export interface ApplicationView extends Application {
	candidate: { id: string; firstName: string; lastName: string; email: string } | null;
	opening: { id: string; title: string; status: OpeningStatus } | null;
}

/** Every method of the service, whichever part holds it: a part calls the others' through `this`. */
export interface RecruitmentMethods {
	// shared.ts
	checkDepartment(ctx: RosterContext, departmentId: string | undefined): Promise<void>;
	checkPosition(ctx: RosterContext, positionId: string | null | undefined): Promise<void>;
	checkEmployees(ctx: RosterContext, ids: string[] | undefined, field: string): Promise<void>;
	hiringManager(ctx: RosterContext): Promise<string | null>;
	scopeOf(ctx: RosterContext): Promise<{ openingIds: string[] } | null>;
	visibleOpening(ctx: RosterContext, openingId: string): Promise<OpeningDoc>;
	// applications.ts
	visibleApplication(ctx: RosterContext, applicationId: string): Promise<ApplicationDoc>;
	withParties(tenantId: string, apps: Application[]): Promise<ApplicationView[]>;
	// interviews.ts
	visibleInterview(ctx: RosterContext, interviewId: string): Promise<InterviewDoc>;
	// offers.ts
	changeOfferStatus(ctx: RosterContext<IdParams>, to: OfferStatus): Promise<Offer>;
	// onboarding-sagas.ts
	sagaOffer(ctx: RosterContext, offerId: string): Promise<SagaOffer>;
}

export type RecruitmentThis = DbService & RecruitmentMethods & OutboxMethods;

// ---- Helpers -----------------------------------------------------------------------------

export const OPENINGS = "job_openings";
export const CANDIDATES = "candidates";
export const APPLICATIONS = "applications";
export const INTERVIEWS = "interviews";
export const OFFERS = "offers";
/** Leases (lib/store/lease.ts): what must not interleave across nodes, such as closing an application and accepting its offer. */
export const LOCKS = "recruitmentLocks";

/**
 * The lease of one application. Accepting its offer (the claim) and moving it to a closed stage
 * each read one record and write another: unserialised, an accept could claim the offer of an
 * application rejected meanwhile, or a move close one whose offer was just claimed.
 */
export const applicationLease = (tenantId: string, applicationId: string) => `application:${tenantId}:${applicationId}`;

/**
 * The lease of one candidate: an erasure, and each write that would leave something of the
 * candidate behind (an application made, an offer claimed by onboarding), take turns, so the
 * erasure's checks see every one. Taken before an application's or an opening's lease.
 */
export const candidateLease = (tenantId: string, candidateId: string) => `candidate:${tenantId}:${candidateId}`;

/** The lease of one opening: its delete owns it, applications made to it share it (lib/store/shared-lease.ts). */
export const openingLease = (tenantId: string, openingId: string) => `opening:${tenantId}:${openingId}`;

/** Who may read openings, applications and interviews (a manager only their own openings'). */
export const RECRUITERS: Role[] = [...STAFF_ROLES, "manager"];

export const search = optionalText(100);
export const optional = <T extends object>(rule: T) => ({ ...rule, optional: true }) as const;
export const nullable = <T extends object>(rule: T) => ({ ...rule, optional: true, nullable: true }) as const;

/** A referenced record another service answers 404 for is bad input here: 422 naming the field. */
function missingAs422(field: string, entity: string) {
	return (err: { code?: number }): never => {
		if (err?.code === 404) throw new BusinessRuleError(field, `The '${field}' field refers to no ${entity} of this company.`, "reference");
		throw err;
	};
}

export const noReference = (field: string, entity: string) =>
	new BusinessRuleError(field, `The '${field}' field refers to no ${entity} of this company.`, "reference");

// ---- References and scoping --------------------------------------------------------------

export const SharedPart: Partial<ServiceSchema> = {
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
				throw new BusinessRuleError(field, `The '${field}' field refers to no active employee of this company.`, "reference");
			}
		},

		/**
		 * The employee whose openings a caller who is not staff works on: their own, while they are
		 * a manager with an active employment (the employees context decides); null for anyone
		 * else, a terminated manager included, who then hires for nothing.
		 */
		hiringManager(ctx: RosterContext): Promise<string | null> {
			return ctx.call<string | null>(EmployeeActions.activeManager);
		},

		/** Null for staff (the whole tenant); a manager's openings otherwise. */
		async scopeOf(this: RecruitmentThis, ctx: RosterContext): Promise<{ openingIds: string[] } | null> {
			const user = requireUser(ctx);
			if (isStaff(user)) return null;
			const manager = await this.hiringManager(ctx);
			if (!manager) return { openingIds: [] };
			const own: OpeningDoc[] = await this.adapter.find({ query: { tenantId: user.tenantId, hiringManagerId: manager } });
			return { openingIds: own.map(o => o._id) };
		},

		/** An opening of the tenant (404 otherwise) that the user may see (403 otherwise). */
		async visibleOpening(this: RecruitmentThis, ctx: RosterContext, openingId: string): Promise<OpeningDoc> {
			const user = requireUser(ctx);
			const opening = await findInTenant<OpeningDoc>(this.adapter, user.tenantId, openingId, "Job opening");
			if (isStaff(user)) return opening;
			const manager = await this.hiringManager(ctx);
			if (!manager || opening.hiringManagerId !== manager) throw new ForbiddenError("Only the opening's hiring manager and staff may see this");
			return opening;
		}
	}
};
