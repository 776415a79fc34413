/**
 * Onboarding: accepting an offer hires the candidate. One request claims the offer (atomically:
 * of two concurrent accepts exactly one gets it), then hires the employee, opens their user
 * account (role employee, linked both ways), grants the start year's leave entitlements, moves
 * the application to "hired" and finally writes the new ids onto the offer, which is the
 * commit point: an accepted offer that carries them is a finished hire, and accepting it again
 * answers the same hire (200) and creates nothing. If any step after the claim fails, the steps
 * already done are undone newest first and the offer is "sent" again, so a retry starts afresh.
 *
 * It holds no data; the employees, identity, leave and recruitment data services store.
 */
import type { CallingOptions, Service, ServiceSchema } from "moleculer";
import type { Employee } from "../../lib/employees/model";
import { ConflictError } from "../../lib/errors";
import { type RosterContext, requireUser } from "../../lib/meta";
import { AppEvents, EmployeeActions, IdentityActions, LeaveActions } from "../../lib/names";
import {
	type Application, type Candidate, type JobOpening, type Offer, type OfferStatus, RecruitmentActions, RecruitmentEvents, type Stage,
	type StageChangedEvent
} from "../../lib/names/recruitment";
import { Compensations, type UndoFailure } from "../../lib/onboarding/compensation";
import { accountName, acceptRefusal, entitlementYear, hireRequest } from "../../lib/onboarding/hire";
import { id } from "../../lib/params";
import { IllegalTransitionError } from "../../lib/recruitment/errors";
import { STAFF_ROLES } from "../../lib/roles";

// ---- Types -------------------------------------------------------------------------------

interface AcceptParams { id: string }
interface IdParams { id: string }
interface SetOfferStatusParams { id: string; status: OfferStatus; expect?: OfferStatus; employeeId?: string | null; userId?: string | null }
interface SetStageParams { id: string; stage: Stage; expect: Stage; reason: string }
interface CreateUserParams { email: string; name: string; role: "employee"; employeeId: string }
interface EmployeeYearParams { employeeId: string; year: number }

/** The user account as identity answers it (the fields onboarding relies on). */
export interface UserAccount {
	id: string;
	email: string;
	name: string;
	role: string;
	status: string;
	employeeId: string | null;
}

export interface Onboarded {
	offer: Offer;
	employee: Employee;
	user: UserAccount;
}

export interface EmployeeHiredEvent {
	tenantId: string;
	employeeId: string;
	userId: string;
	offerId: string;
}

interface OnboardingMethods {
	onboard(ctx: RosterContext<AcceptParams>, claimed: Offer): Promise<Onboarded>;
	alreadyOnboarded(ctx: RosterContext<AcceptParams>, offer: Offer): Promise<Onboarded>;
	undoOptions(ctx: RosterContext): CallingOptions;
	compensate(ctx: RosterContext, offerId: string, failedStep: string, undo: Compensations, err: unknown): Promise<void>;
	announce(ctx: RosterContext, event: string, payload: object): Promise<void>;
}

type OnboardingThis = Service & OnboardingMethods;

// ---- Helpers -----------------------------------------------------------------------------

/** Undo calls get their own time budget: the failure being undone may have used up the request's. */
const UNDO_TIMEOUT_MS = 10_000;

/** The application's stage-history reasons. */
const ACCEPTED = "offer accepted";
const ROLLED_BACK = "onboarding rolled back";

const today = (): string => new Date().toISOString().slice(0, 10);
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

// ---- Service -----------------------------------------------------------------------------

const OnboardingService: ServiceSchema = {
	name: "onboarding",

	settings: {
		rest: "/"
	},

	actions: {
		/**
		 * The candidate accepted: 201 with the offer, the employee and the user account (invited:
		 * the new hire gets a link to choose their password); 200 with the same hire when it was
		 * accepted before.
		 */
		acceptOffer: {
			rest: "POST /offers/:id/accept",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: OnboardingThis, ctx: RosterContext<AcceptParams>): Promise<Onboarded> {
				const offer = await ctx.call<Offer, IdParams>(RecruitmentActions.getOffer, { id: ctx.params.id });
				if (offer.status === "accepted") return this.alreadyOnboarded(ctx, offer);
				const refusal = acceptRefusal(offer, today());
				if (refusal) throw new IllegalTransitionError(offer.status, "accepted", refusal.message, refusal.reason);
				// The claim: only one request sees "sent" here; the other gets a 409.
				const claimed = await ctx.call<Offer, SetOfferStatusParams>(RecruitmentActions.setOfferStatus, {
					id: offer.id, status: "accepted", expect: "sent"
				});
				return this.onboard(ctx, claimed);
			}
		}
	},

	methods: {
		async onboard(this: OnboardingThis, ctx: RosterContext<AcceptParams>, claimed: Offer): Promise<Onboarded> {
			const { tenantId } = requireUser(ctx);
			const offerId = claimed.id;
			const undo = new Compensations();
			undo.add("offer claim", () => this.broker.call<Offer, SetOfferStatusParams>(RecruitmentActions.setOfferStatus, {
				id: offerId, status: "sent", expect: "accepted", employeeId: null, userId: null
			}, this.undoOptions(ctx)));
			let step = "read the application";
			try {
				const application = await ctx.call<Application, IdParams>(RecruitmentActions.getApplication, { id: claimed.applicationId });
				if (application.stage !== "offer") {
					throw new IllegalTransitionError(application.stage, "hired", `The application is in '${application.stage}', not 'offer'`, "stale");
				}
				step = "read the candidate and the opening";
				const [candidate, opening] = await Promise.all([
					ctx.call<Candidate, IdParams>(RecruitmentActions.getCandidate, { id: application.candidateId }),
					ctx.call<JobOpening, IdParams>(RecruitmentActions.getOpening, { id: application.openingId })
				]);

				step = "hire the employee";
				const hired = await ctx.call<Employee, object>(EmployeeActions.hire, hireRequest(claimed, candidate, opening));
				undo.add("employee", () => this.broker.call(EmployeeActions.undoHire, { id: hired.id }, this.undoOptions(ctx)));

				// The user is made after the employee, so it is born linked (identity writes both sides of
				// the link); undoHire removes the employee's side with the record. The person is sent an
				// invitation and chooses their own password: nobody else ever knows it.
				step = "invite the new hire";
				const user = await ctx.call<UserAccount, CreateUserParams>(IdentityActions.createUser, {
					email: candidate.email, name: accountName(candidate), role: "employee", employeeId: hired.id
				});
				undo.add("user account", () => this.broker.call(IdentityActions.undoCreateUser, { id: user.id }, this.undoOptions(ctx)));
				const employee = hired;

				step = "grant leave entitlements";
				const grant: EmployeeYearParams = { employeeId: employee.id, year: entitlementYear(claimed.startDate) };
				// Registered before the call: a grant that failed half-way is revoked as well.
				undo.add("leave entitlements", () => this.broker.call(LeaveActions.revokeEntitlements, grant, this.undoOptions(ctx)));
				await ctx.call<unknown, EmployeeYearParams>(LeaveActions.grantEntitlements, grant);

				step = "move the application to hired";
				const moved = await ctx.call<Application, SetStageParams>(RecruitmentActions.setStage, {
					id: application.id, stage: "hired", expect: "offer", reason: ACCEPTED
				});
				undo.add("application stage", () => this.broker.call<Application, SetStageParams>(RecruitmentActions.setStage, {
					id: application.id, stage: "offer", expect: "hired", reason: ROLLED_BACK
				}, this.undoOptions(ctx)));

				// The commit point: from here on a retry finds the ids and answers this hire.
				step = "record the hire on the offer";
				const offer = await ctx.call<Offer, SetOfferStatusParams>(RecruitmentActions.setOfferStatus, {
					id: offerId, status: "accepted", expect: "accepted", employeeId: employee.id, userId: user.id
				});

				const stageChanged: StageChangedEvent = {
					tenantId, applicationId: moved.id, openingId: moved.openingId, candidateId: moved.candidateId,
					from: "offer", to: "hired", reason: ACCEPTED, movedBy: requireUser(ctx).id
				};
				await this.announce(ctx, RecruitmentEvents.stageChanged, stageChanged);
				const hiredEvent: EmployeeHiredEvent = { tenantId, employeeId: employee.id, userId: user.id, offerId };
				await this.announce(ctx, AppEvents.employeeHired, hiredEvent);

				// The data services' own 201s and Locations were merged into ctx.meta; this is ours.
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/employees/${employee.id}`;
				return { offer, employee: { ...employee, userId: user.id }, user };
			} catch (err) {
				delete ctx.meta.$statusCode;
				delete ctx.meta.$location;
				await this.compensate(ctx, offerId, step, undo, err);
				throw err;
			}
		},

		/** A retry of a finished hire answers it again; one still under way is a 409. */
		async alreadyOnboarded(this: OnboardingThis, ctx: RosterContext<AcceptParams>, offer: Offer): Promise<Onboarded> {
			if (!offer.employeeId || !offer.userId) {
				throw new ConflictError("The offer is being accepted by another request; try again shortly", { field: "id", status: offer.status });
			}
			const [employee, user] = await Promise.all([
				ctx.call<Employee, IdParams>(EmployeeActions.get, { id: offer.employeeId }),
				ctx.call<UserAccount, IdParams>(IdentityActions.getUser, { id: offer.userId })
			]);
			ctx.meta.$statusCode = 200;
			delete ctx.meta.$location;
			return { offer, employee, user };
		},

		/**
		 * Undo calls run as the same user and request (parentCtx carries meta and request id), but
		 * through the broker with their own timeout: ctx.call would skip them once the request's
		 * deadline has passed, which is exactly when a timed-out step needs undoing.
		 */
		undoOptions(ctx: RosterContext): CallingOptions {
			return { parentCtx: ctx, timeout: UNDO_TIMEOUT_MS };
		},

		/** Undoes what was done; an undo that fails is logged for a person to finish, never thrown. */
		async compensate(this: OnboardingThis, ctx: RosterContext, offerId: string, failedStep: string, undo: Compensations, err: unknown): Promise<void> {
			const requestID = ctx.requestID;
			this.logger.warn(`Onboarding of offer ${offerId} failed at '${failedStep}' (${messageOf(err)}); undoing ${undo.size} step(s)`, { requestID });
			const failures = await undo.run(({ step, error }: UndoFailure) => {
				this.logger.error(
					`Onboarding of offer ${offerId}: could not undo the ${step} (${messageOf(error)}); it needs cleaning up by hand`,
					{ requestID, offerId, step }
				);
			});
			if (failures.length === 0) this.logger.info(`Onboarding of offer ${offerId} rolled back; the offer is sent again`, { requestID });
		},

		/** The hire is stored: an event that cannot be sent is logged, never turned into the caller's error. */
		async announce(this: OnboardingThis, ctx: RosterContext, event: string, payload: object): Promise<void> {
			try {
				await ctx.emit(event, payload);
			} catch (err) {
				this.logger.warn(`Could not emit ${event}: ${messageOf(err)}`, { requestID: ctx.requestID });
			}
		}
	}
};

export default OnboardingService;
