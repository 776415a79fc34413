/**
 * Onboarding's saga log on the offer (lib/names/onboarding.ts). Onboarding holds no data, so
 * the record of a hire under way lives with the aggregate it is about. Every write here is one
 * conditional update of the offer document: the claim starts the saga in the same write that
 * accepts the offer; a step is recorded only by the node holding the saga; the commit writes
 * the hire, ends the saga and queues employee.hired in the offer's outbox at once.
 */
import type { ServiceSchema } from "moleculer";
import { auditUpdate, onBehalfOf } from "../../../lib/audit/record";
import { pendingEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { findInTenant, now } from "../../../lib/entity";
import { ConflictError } from "../../../lib/errors";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { AppEvents, type EmployeeHiredEvent } from "../../../lib/names/app";
import { ONBOARDING_STEPS, type OnboardingSaga, type OnboardingState, type OnboardingStep, type SagaOffer } from "../../../lib/names/onboarding";
import type { Offer } from "../../../lib/names/recruitment";
import { enumOf, id, nullableId } from "../../../lib/params";
import { IllegalTransitionError } from "../../../lib/recruitment/errors";
import { withLease } from "../../../lib/store/lease";
import { liveKey, offerJSON } from "./offers";
import { APPLICATIONS, type ApplicationDoc, LOCKS, OFFERS, type OfferDoc, type RecruitmentThis, applicationLease, candidateLease } from "./shared";

interface StartParams {
	id: string;
	sagaId: string;
	employeeId: string;
	userId: string;
	holder: string;
	leaseMs: number;
}
interface RecordParams {
	id: string;
	sagaId: string;
	holder: string;
	step?: OnboardingStep;
	state?: "running" | "compensating";
	error?: string | null;
	leaseMs: number;
}
interface TakeOverParams {
	id: string;
	sagaId: string;
	holder: string;
	leaseMs: number;
}
interface CommitParams {
	id: string;
	sagaId: string;
	holder: string;
	managerId?: string | null;
	departmentId?: string | null;
}
interface RollBackParams {
	id: string;
	sagaId: string;
	holder: string;
	error?: string | null;
}
interface StalledParams {
	limit?: number;
}

const holder = { type: "string", min: 1, max: 200 } as const;
const leaseMs = { type: "number", integer: true, min: 1, max: 3_600_000 } as const;
const error = { type: "string", max: 1000, optional: true, nullable: true } as const;
const UNDER_WAY: OnboardingState[] = ["running", "compensating"];

/** 409 for a node that no longer holds the saga: another took it over, or it ended. */
const leaseLost = (offerId: string) => new ConflictError("The offer's onboarding is held by another node now", { field: "id", offerId, reason: "leaseLost" });

/** The conditions under which `holder` still owns the saga `sagaId` of the offer. */
function held(doc: OfferDoc, sagaId: string, by: string, states: OnboardingState[]): Record<string, unknown> {
	return {
		_id: doc._id,
		tenantId: doc.tenantId,
		status: "accepted",
		"onboarding.sagaId": sagaId,
		"onboarding.holder": by,
		"onboarding.state": { $in: states }
	};
}

/**
 * Why an offer cannot be claimed, as it stands now. Read again after a claim that lost, it
 * tells the loser of concurrent accepts what won: the other accept, under way or finished.
 */
function notClaimable(offer: OfferDoc): IllegalTransitionError {
	if (offer.status === "accepted") {
		const message =
			offer.onboarding?.state === "done" ? "The offer was accepted already" : "The offer is already being accepted by another request; try again shortly";
		return new IllegalTransitionError(offer.status, "accepted", message, "stale");
	}
	// Sent again: the accept that won was rolled back in between, and this one may be retried.
	const message = offer.status === "sent" ? "The offer changed meanwhile; try again" : `A ${offer.status} offer cannot be accepted`;
	return new IllegalTransitionError(offer.status, "accepted", message, "stale");
}

/** An error message short enough for the record. */
const clip = (message: string | null | undefined) => (message ? message.slice(0, 1000) : null);

export const OnboardingSagasPart: Partial<ServiceSchema> = {
	actions: {
		startOnboarding: {
			visibility: "public",
			params: { id, sagaId: id, employeeId: id, userId: id, holder, leaseMs },
			async handler(this: RecruitmentThis, ctx: RosterContext<StartParams>): Promise<SagaOffer> {
				const actor = requireUser(ctx);
				const store = this.store(OFFERS);
				const offer = await findInTenant<OfferDoc>(store, actor.tenantId, ctx.params.id, "Offer");
				if (offer.status !== "sent") throw notClaimable(offer);
				// Under the application's lease, as a move that closes it (applications.ts, setStage): the offer
				// is claimed only while the application is still at "offer", and once claimed no move closes it.
				// And the candidate's, as their erasure: it is refused once the claim is in, and after it there is no offer to claim.
				const locks = this.store(LOCKS);
				const claim = () =>
					withLease(locks, applicationLease(actor.tenantId, offer.applicationId), async () => {
						const app: ApplicationDoc | null = await this.store(APPLICATIONS).findOne({ _id: offer.applicationId, tenantId: actor.tenantId });
						if (app && app.stage !== "offer") {
							throw new IllegalTransitionError(app.stage, "hired", `The application is in '${app.stage}', not 'offer'`, "stale");
						}
						const at = now();
						const leaseUntil = Date.now() + ctx.params.leaseMs;
						const saga: OnboardingSaga = {
							sagaId: ctx.params.sagaId,
							state: "running",
							step: ONBOARDING_STEPS[0],
							employeeId: ctx.params.employeeId,
							userId: ctx.params.userId,
							attempts: 0,
							error: null,
							leaseUntil,
							startedAt: at,
							updatedAt: at,
							holder: ctx.params.holder,
							actor
						};
						// One write: of two concurrent accepts exactly one finds the offer still sent.
						const changed = await this.unique("applicationId", () =>
							store.updateMany(
								{ _id: offer._id, tenantId: actor.tenantId, status: "sent" },
								updateWithEvent(
									{
										$set: {
											status: "accepted",
											liveKey: liveKey(offer, "accepted"),
											employeeId: null,
											userId: null,
											onboarding: saga,
											onboardingDue: leaseUntil,
											updatedAt: at
										}
									},
									// The status change is on the trail; the saga's log is bookkeeping.
									auditUpdate(ctx, "offer", offer, { status: "accepted", liveKey: liveKey(offer, "accepted") })
								)
							)
						);
						if (changed !== 1) throw notClaimable(await findInTenant<OfferDoc>(store, actor.tenantId, offer._id, "Offer"));
						this.publishEvents(offer._id, OFFERS);
						return this.sagaOffer(ctx, offer._id);
					});
				return withLease(locks, candidateLease(actor.tenantId, offer.candidateId), claim);
			}
		},

		recordOnboarding: {
			visibility: "public",
			params: {
				id,
				sagaId: id,
				holder,
				leaseMs,
				step: { ...enumOf(ONBOARDING_STEPS), optional: true },
				state: { type: "enum", values: ["running", "compensating"], optional: true },
				error
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<RecordParams>): Promise<SagaOffer> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(OFFERS);
				const offer = await findInTenant<OfferDoc>(store, tenantId, ctx.params.id, "Offer");
				const { sagaId, holder: by, step, state, error: message } = ctx.params;
				const leaseUntil = Date.now() + ctx.params.leaseMs;
				const set: Record<string, unknown> = { "onboarding.leaseUntil": leaseUntil, "onboarding.updatedAt": now(), onboardingDue: leaseUntil };
				if (step) set["onboarding.step"] = step;
				if (state) set["onboarding.state"] = state;
				if (message !== undefined) set["onboarding.error"] = clip(message);
				// A saga compensating never runs forward again.
				const states: OnboardingState[] = state === "compensating" ? UNDER_WAY : ["running"];
				if ((await store.updateMany(held(offer, sagaId, by, states), { $set: set })) !== 1) throw leaseLost(offer._id);
				return this.sagaOffer(ctx, offer._id);
			}
		},

		takeOverOnboarding: {
			visibility: "public",
			params: { id, sagaId: id, holder, leaseMs },
			async handler(this: RecruitmentThis, ctx: RosterContext<TakeOverParams>): Promise<SagaOffer> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(OFFERS);
				const offer = await findInTenant<OfferDoc>(store, tenantId, ctx.params.id, "Offer");
				const at = Date.now();
				const leaseUntil = at + ctx.params.leaseMs;
				// Only a lease that ran out: of the nodes that saw it stalled, exactly one gets it.
				const changed = await store.updateMany(
					{
						_id: offer._id,
						tenantId,
						status: "accepted",
						"onboarding.sagaId": ctx.params.sagaId,
						"onboarding.state": { $in: UNDER_WAY },
						onboardingDue: { $lt: at }
					},
					{
						$set: {
							"onboarding.holder": ctx.params.holder,
							"onboarding.leaseUntil": leaseUntil,
							"onboarding.updatedAt": now(),
							onboardingDue: leaseUntil
						},
						$inc: { "onboarding.attempts": 1 }
					}
				);
				if (changed !== 1) throw leaseLost(offer._id);
				return this.sagaOffer(ctx, offer._id);
			}
		},

		commitOnboarding: {
			visibility: "public",
			params: { id, sagaId: id, holder, managerId: nullableId, departmentId: nullableId },
			async handler(this: RecruitmentThis, ctx: RosterContext<CommitParams>): Promise<Offer> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(OFFERS);
				const offer = await findInTenant<OfferDoc>(store, tenantId, ctx.params.id, "Offer");
				const saga = offer.onboarding;
				if (saga?.sagaId === ctx.params.sagaId && saga.state === "done") return offerJSON(offer);
				if (!saga || saga.sagaId !== ctx.params.sagaId) throw leaseLost(offer._id);
				const hired: EmployeeHiredEvent = {
					employeeId: saga.employeeId,
					userId: saga.userId,
					offerId: offer._id,
					managerId: ctx.params.managerId ?? null,
					departmentId: ctx.params.departmentId ?? null
				};
				const at = now();
				const update = updateWithEvent(
					updateWithEvent(
						{
							$set: {
								employeeId: saga.employeeId,
								userId: saga.userId,
								updatedAt: at,
								onboardingDue: null,
								"onboarding.state": "done",
								"onboarding.step": "commit",
								"onboarding.error": null,
								"onboarding.updatedAt": at
							}
						},
						pendingEvent(AppEvents.employeeHired, tenantId, hired)
					),
					auditUpdate(ctx, "offer", offer, { employeeId: saga.employeeId, userId: saga.userId })
				);
				if ((await store.updateMany(held(offer, saga.sagaId, ctx.params.holder, ["running"]), update)) !== 1) throw leaseLost(offer._id);
				this.publishEvents(offer._id, OFFERS);
				return (await this.sagaOffer(ctx, offer._id)).offer;
			}
		},

		rollBackOnboarding: {
			visibility: "public",
			params: { id, sagaId: id, holder, error },
			async handler(this: RecruitmentThis, ctx: RosterContext<RollBackParams>): Promise<Offer> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(OFFERS);
				const offer = await findInTenant<OfferDoc>(store, tenantId, ctx.params.id, "Offer");
				const saga = offer.onboarding;
				if (saga?.sagaId === ctx.params.sagaId && saga.state === "compensated") return offerJSON(offer);
				const set: Record<string, unknown> = {
					status: "sent",
					liveKey: liveKey(offer, "sent"),
					employeeId: null,
					userId: null,
					updatedAt: now(),
					onboardingDue: null,
					"onboarding.state": "compensated",
					"onboarding.updatedAt": now()
				};
				if (ctx.params.error !== undefined) set["onboarding.error"] = clip(ctx.params.error);
				const undone = auditUpdate(onBehalfOf(ctx, "onboarding.rollBack"), "offer", offer, { status: "sent", liveKey: liveKey(offer, "sent") });
				if ((await store.updateMany(held(offer, ctx.params.sagaId, ctx.params.holder, ["compensating"]), updateWithEvent({ $set: set }, undone))) !== 1)
					throw leaseLost(offer._id);
				this.publishEvents(offer._id, OFFERS);
				return (await this.sagaOffer(ctx, offer._id)).offer;
			}
		},

		/** Across tenants (the sweep has no user): the caller then acts as each saga's actor. */
		stalledOnboardings: {
			visibility: "public",
			params: { limit: { type: "number", integer: true, min: 1, max: 100, optional: true } },
			async handler(this: RecruitmentThis, ctx: RosterContext<StalledParams>): Promise<SagaOffer[]> {
				const docs: OfferDoc[] = await this.store(OFFERS).find({
					query: { onboardingDue: { $lt: Date.now() } },
					sort: ["onboardingDue"],
					limit: ctx.params.limit ?? 10
				});
				return docs.filter(doc => doc.onboarding).map(doc => ({ offer: offerJSON(doc), saga: doc.onboarding! }));
			}
		}
	},

	methods: {
		/** The offer as it is now, and its saga (all of it), after a write: caches cleaned. */
		async sagaOffer(this: RecruitmentThis, ctx: RosterContext, offerId: string): Promise<SagaOffer> {
			const doc: OfferDoc = await this.store(OFFERS).findOne({ _id: offerId, tenantId: requireUser(ctx).tenantId });
			const offer = await this.saved(ctx, "updated", offerJSON(doc));
			return { offer, saga: doc.onboarding! };
		}
	}
};
