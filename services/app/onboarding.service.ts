/**
 * Onboarding: accepting an offer hires the candidate, as a durable saga. The claim turns the
 * sent offer into an accepted one carrying a saga record (lib/names/onboarding.ts) with the
 * ids the new employee and user will have, atomically: of two concurrent accepts exactly one
 * gets it. Then, each step recorded on the offer before it runs: hire the employee, open their
 * user account (invited, linked both ways), grant the start year's leave entitlements, move
 * the application to "hired", and commit: the ids onto the offer and employee.hired into its
 * outbox, in one write. An accepted offer that carries the ids is a finished hire; accepting it
 * again answers the same hire (200) and creates nothing.
 *
 * A step that fails under a request undoes what was done, newest first, and the offer is sent
 * again. A node that dies mid-saga stops renewing its lease: every onboarding node sweeps for
 * such sagas and takes each over (exactly one node gets it), resuming forward, or carrying on
 * a compensation that was under way (policy: lib/onboarding/saga.ts). A retried accept of a
 * stalled saga takes it over too; while a live node holds it, that retry is a 409.
 *
 * It holds no data; the employees, identity, leave and recruitment data services store.
 */
import { randomUUID } from "node:crypto";
import type { CallingOptions, Service, ServiceSchema } from "moleculer";
import { ActionTimeouts } from "../../lib/action-timeouts";
import { config } from "../../lib/config";
import type { Employee } from "../../lib/employees/model";
import { ConflictError } from "../../lib/errors";
import type { RosterContext } from "../../lib/meta";
import { EmployeeActions, IdentityActions } from "../../lib/names";
import { OnboardingSagaActions, type OnboardingSaga, type SagaOffer } from "../../lib/names/onboarding";
import { type Offer, RecruitmentActions } from "../../lib/names/recruitment";
import { today } from "../../lib/employees/rules";
import { acceptRefusal } from "../../lib/onboarding/hire";
import { isStalled, messageOf } from "../../lib/onboarding/saga";
import { id } from "../../lib/params";
import { IllegalTransitionError } from "../../lib/recruitment/errors";
import { STAFF_ROLES } from "../../lib/roles";
import { type Onboarded, STEP_TIMEOUT_MS, SagaPart, type SagaMethods, type SagaRun, type UserAccount, isLeaseLost } from "./onboarding.parts/saga";
import { json } from "../../lib/openapi/responses";
import * as Recruitment from "../../lib/openapi/contexts/recruitment";

export type { Onboarded, UserAccount } from "./onboarding.parts/saga";

// ---- Types -------------------------------------------------------------------------------

interface AcceptParams {
	id: string;
}
interface IdParams {
	id: string;
}

interface OnboardingMethods extends SagaMethods {
	accept(ctx: RosterContext<AcceptParams>, takenOver: boolean): Promise<Onboarded>;
	takeOverFromRequest(ctx: RosterContext<AcceptParams>, offer: Offer): Promise<Onboarded>;
	hired(ctx: RosterContext, result: Onboarded | null, offerId: string): Onboarded;
	alreadyOnboarded(ctx: RosterContext<AcceptParams>, offer: Offer): Promise<Onboarded>;
	sweepStalled(): Promise<void>;
	recover(offerId: string, stalled: OnboardingSaga): Promise<void>;
}

type OnboardingThis = Service & OnboardingMethods & { sweepTimer?: NodeJS.Timeout; sweeping?: Promise<void> };

// ---- Helpers -----------------------------------------------------------------------------

/** Sagas taken over per sweep of one node; more wait for the next sweep (or another node). */
const SWEEP_BATCH = 10;

/** Unique per run: a node that takes over a saga it held before is a new holder all the same. */
const newHolder = (nodeID: string) => `${nodeID}:${randomUUID()}`;

/** Calls of a request's saga: as its user and request, but each with its own time (STEP_TIMEOUT_MS). */
// The request's id spelled out too (parentCtx passes it on anyway): the saga's log lines name it from these options.
const requestOptions = (ctx: RosterContext): CallingOptions => ({ parentCtx: ctx, requestID: ctx.requestID ?? undefined, timeout: STEP_TIMEOUT_MS });

const busy = (offer: Offer) => new ConflictError("The offer is being accepted by another request; try again shortly", { field: "id", status: offer.status });

// ---- Service -----------------------------------------------------------------------------

const OnboardingService: ServiceSchema = {
	name: "onboarding",

	mixins: [SagaPart],

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
			openapi: {
				responses: {
					200: json(Recruitment.Onboarded, "Accepted before: the same hire"),
					201: json(Recruitment.Onboarded, "Accepted: the employee and their account")
				}
			},
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			timeout: ActionTimeouts.onboarding,
			handler(this: OnboardingThis, ctx: RosterContext<AcceptParams>): Promise<Onboarded> {
				return this.accept(ctx, false);
			}
		}
	},

	methods: {
		async accept(this: OnboardingThis, ctx: RosterContext<AcceptParams>, takenOver: boolean): Promise<Onboarded> {
			const offer = await ctx.call<Offer, IdParams>(RecruitmentActions.getOffer, { id: ctx.params.id });
			if (offer.status === "accepted") {
				if (offer.employeeId && offer.userId) return this.alreadyOnboarded(ctx, offer);
				if (!takenOver && isStalled(offer.onboarding, Date.now())) return this.takeOverFromRequest(ctx, offer);
				throw busy(offer);
			}
			const refusal = acceptRefusal(offer, today());
			if (refusal) throw new IllegalTransitionError(offer.status, "accepted", refusal.message, refusal.reason);
			this.crashPoint("claim", "before");
			const claimed = await this.broker.call<SagaOffer, object>(
				OnboardingSagaActions.start,
				{
					id: offer.id,
					sagaId: randomUUID(),
					employeeId: randomUUID(),
					userId: randomUUID(),
					holder: newHolder(this.broker.nodeID),
					leaseMs: config().onboarding.leaseMs
				},
				requestOptions(ctx)
			);
			this.crashPoint("claim", "after");
			const run: SagaRun = { offerId: offer.id, saga: claimed.saga, origin: "request", opts: requestOptions(ctx) };
			return this.hired(ctx, await this.drive(run).catch(err => Promise.reject(isLeaseLost(err) ? busy(claimed.offer) : err)), offer.id);
		},

		/**
		 * A retry of an accept whose node died: the stalled saga is this request's now. It goes on
		 * forward; one that was compensating finishes undoing, and the offer, sent again, is
		 * accepted afresh.
		 */
		async takeOverFromRequest(this: OnboardingThis, ctx: RosterContext<AcceptParams>, offer: Offer): Promise<Onboarded> {
			const stalled = offer.onboarding!;
			const taken = await this.broker
				.call<SagaOffer, object>(
					OnboardingSagaActions.takeOver,
					{
						id: offer.id,
						sagaId: stalled.sagaId,
						holder: newHolder(this.broker.nodeID),
						leaseMs: config().onboarding.leaseMs
					},
					requestOptions(ctx)
				)
				.catch(err => Promise.reject(isLeaseLost(err) ? busy(offer) : err));
			this.logger.info(`Onboarding of offer ${offer.id}: a retried accept took over saga ${stalled.sagaId} (${stalled.state} at '${stalled.step}')`, {
				requestID: ctx.requestID
			});
			const run: SagaRun = { offerId: offer.id, saga: taken.saga, origin: "request", opts: requestOptions(ctx) };
			if (run.saga.state === "compensating") {
				if (!(await this.compensate(run, run.saga.error ?? "resumed by a retried accept"))) throw busy(offer);
				return this.accept(ctx, true);
			}
			return this.hired(ctx, await this.drive(run).catch(err => Promise.reject(isLeaseLost(err) ? busy(offer) : err)), offer.id);
		},

		/** The 201 of a hire this request finished. */
		hired(ctx: RosterContext, result: Onboarded | null, offerId: string): Onboarded {
			if (!result) throw new ConflictError(`The acceptance of offer ${offerId} was rolled back; try again`, { field: "id" });
			ctx.meta.$statusCode = 201;
			ctx.meta.$location = `/api/v1/employees/${result.employee.id}`;
			return result;
		},

		/** A retry of a finished hire answers it again. */
		async alreadyOnboarded(this: OnboardingThis, ctx: RosterContext<AcceptParams>, offer: Offer): Promise<Onboarded> {
			const [employee, user] = await Promise.all([
				ctx.call<Employee, IdParams>(EmployeeActions.get, { id: offer.employeeId! }),
				ctx.call<UserAccount, IdParams>(IdentityActions.getUser, { id: offer.userId! })
			]);
			ctx.meta.$statusCode = 200;
			delete ctx.meta.$location;
			return { offer, employee, user };
		},

		/** Sagas whose holder died (lease run out), of every tenant: each taken over by exactly one node. */
		async sweepStalled(this: OnboardingThis): Promise<void> {
			const stalled = await this.broker.call<SagaOffer[], object>(OnboardingSagaActions.stalled, { limit: SWEEP_BATCH });
			for (const { offer, saga } of stalled) await this.recover(offer.id, saga);
		},

		async recover(this: OnboardingThis, offerId: string, stalled: OnboardingSaga): Promise<void> {
			const requestID = `onboarding-${stalled.sagaId}`;
			const opts: CallingOptions = { meta: { user: stalled.actor }, requestID, timeout: STEP_TIMEOUT_MS };
			let taken: SagaOffer;
			try {
				taken = await this.broker.call<SagaOffer, object>(
					OnboardingSagaActions.takeOver,
					{
						id: offerId,
						sagaId: stalled.sagaId,
						holder: newHolder(this.broker.nodeID),
						leaseMs: config().onboarding.leaseMs
					},
					opts
				);
			} catch (err) {
				if (isLeaseLost(err)) return; // another node was quicker
				throw err;
			}
			this.logger.info(
				`Onboarding of offer ${offerId}: took over saga ${stalled.sagaId} (${stalled.state} at '${stalled.step}', takeover ${taken.saga.attempts})`,
				{ requestID }
			);
			try {
				const done = await this.drive({ offerId, saga: taken.saga, origin: "recovery", opts });
				if (done) this.logger.info(`Onboarding of offer ${offerId}: saga ${stalled.sagaId} resumed and committed`, { requestID });
			} catch (err) {
				if (!isLeaseLost(err))
					this.logger.warn(`Onboarding of offer ${offerId}: saga ${stalled.sagaId} not finished (${messageOf(err)})`, { requestID });
			}
		}
	},

	started(this: Service) {
		const self = this as OnboardingThis;
		self.sweepTimer = setInterval(() => {
			// One sweep at a time per node; a recruitment service not up yet is the next sweep's business.
			self.sweeping ??= self
				.sweepStalled()
				.catch((err: Error) => self.logger.debug("Onboarding sweep failed:", err.message))
				.finally(() => (self.sweeping = undefined));
		}, config().onboarding.sweepIntervalMs);
		self.sweepTimer.unref();
	},

	async stopped(this: Service) {
		const self = this as OnboardingThis;
		clearInterval(self.sweepTimer);
		await self.sweeping;
	}
};

export default OnboardingService;
