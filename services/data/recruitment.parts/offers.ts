/** Offers (staff only; accepting one is onboarding's: POST /offers/:id/accept), at most one live per application. */
import { auditCreation, auditUpdate } from "../../../lib/audit/record";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import type { ServiceSchema } from "moleculer";
import { checkDate, findInTenant, now, toJSON } from "../../../lib/entity";
import { BusinessRuleError, ConflictError } from "../../../lib/errors";
import { type RosterContext, created, requireUser } from "../../../lib/meta";
import { OFFER_STATUSES, type Offer, type OfferStatus } from "../../../lib/names/recruitment";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { date, enumOf, id, nullableId, nullableText, optionalDate } from "../../../lib/params";
import { IllegalTransitionError } from "../../../lib/recruitment/errors";
import { currency } from "../../../lib/recruitment/fields";
import { today as utcToday } from "../../../lib/employees/rules";
import { canChangeOffer, hasExpired, isEditableOffer, isLiveOffer } from "../../../lib/recruitment/offers";
import { checkLeaveYear } from "../../../lib/leave/calendar";
import { whileOrgHeld } from "../../../lib/org/tree-hold";
import { STAFF_ROLES } from "../../../lib/roles";
import { APPLICATIONS, type ApplicationDoc, type IdParams, OFFERS, type OfferDoc, type RecruitmentThis, noReference, nullable, optional } from "./shared";
import { json } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Recruitment from "../../../lib/openapi/contexts/recruitment";

interface OfferTermsParams {
	title?: string | null;
	positionId?: string | null;
	salary?: number | null;
	currency?: string | null;
	startDate?: string;
	expiresAt?: string | null;
}
interface CreateOfferParams extends OfferTermsParams {
	applicationId: string;
	startDate: string;
}
interface UpdateOfferParams extends OfferTermsParams {
	id: string;
}
interface ListOffersParams extends ListParams {
	applicationId?: string;
	candidateId?: string;
	status?: OfferStatus;
}
interface SetOfferStatusParams {
	id: string;
	status: OfferStatus;
	expect?: OfferStatus;
	employeeId?: string | null;
	userId?: string | null;
}
interface ApplicationIdParams {
	applicationId: string;
}

const salary = { type: "number", min: 0, max: 1_000_000_000, optional: true, nullable: true } as const;

/**
 * A start date is the new employee's hire date, and the year of its leave entitlements: a year
 * leave can live in, or the accept would fail at its entitlements step, and so would its undo.
 */
function checkStartDate(startDate: string): void {
	checkDate(startDate, "startDate");
	checkLeaveYear(startDate, "startDate");
}

/** What a client sees: the saga without who holds it or as whom it acts, and no outbox. */
export function offerJSON(doc: OfferDoc): Offer {
	const json = toJSON(doc, ["liveKey", "onboarding", "onboardingDue", "_outbox", "_outboxSeq", "_outboxSince"]) as unknown as Offer;
	if (doc.onboarding) {
		const { holder: _holder, actor: _actor, ...view } = doc.onboarding;
		json.onboarding = view;
	}
	return json;
}

/**
 * An offer whose last day has passed can never be accepted, and once sent never changed: it is
 * refused where it is made, changed or sent (422 naming expiresAt), by the day accept counts by.
 */
function checkNotExpired(expiresAt: string | null | undefined, sending = false): void {
	const today = utcToday();
	if (!hasExpired(expiresAt, today)) return;
	const message = sending
		? `The offer expired on ${expiresAt}; set a later 'expiresAt' before sending it.`
		: `The 'expiresAt' field (${expiresAt}) is before today (${today}): nobody could accept the offer.`;
	throw new BusinessRuleError("expiresAt", message, "past");
}

export const liveKey = (offer: { _id: string; applicationId: string }, status: OfferStatus) => (isLiveOffer(status) ? offer.applicationId : offer._id);

export const OffersPart: Partial<ServiceSchema> = {
	actions: {
		/** An offer is made once the pipeline has moved the application to "offer"; one live offer per application. */
		createOffer: {
			rest: "POST /offers",
			openapi: { responses: { 201: json(Recruitment.Offer) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				applicationId: id,
				title: nullableText(),
				positionId: nullableId,
				salary,
				currency: nullable(currency),
				startDate: date,
				expiresAt: nullable(optionalDate)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<CreateOfferParams>): Promise<Offer> {
				const user = requireUser(ctx);
				const { tenantId } = user;
				const { applicationId, title = null, positionId = null, salary: pay = null, currency: cur = null, startDate, expiresAt = null } = ctx.params;
				const app: ApplicationDoc | null = await this.store(APPLICATIONS).findOne({ _id: applicationId, tenantId });
				if (!app) throw noReference("applicationId", "application");
				checkStartDate(startDate);
				checkDate(expiresAt, "expiresAt");
				checkNotExpired(expiresAt);
				if (app.stage !== "offer") {
					throw new ConflictError(`An offer needs the application in stage 'offer'; it is in '${app.stage}'`, {
						field: "applicationId",
						stage: app.stage
					});
				}
				const store = this.store(OFFERS);
				if (await store.findOne({ tenantId, liveKey: applicationId })) {
					throw new ConflictError("The application already has a live offer; withdraw it first", { field: "applicationId" });
				}
				const at = now();
				const doc: OfferDoc = {
					_id: this.newId(),
					tenantId,
					applicationId,
					candidateId: app.candidateId,
					openingId: app.openingId,
					title,
					positionId,
					salary: pay,
					currency: cur,
					startDate,
					expiresAt,
					status: "draft",
					employeeId: null,
					userId: null,
					createdBy: user.id,
					liveKey: applicationId,
					createdAt: at,
					updatedAt: at
				};
				return whileOrgHeld(ctx, !!positionId, async () => {
					await this.checkPosition(ctx, positionId);
					await this.unique("applicationId", () => store.insert(insertWithEvent(doc, auditCreation(ctx, "offer", doc))));
					this.publishEvents(doc._id, OFFERS);
					created(ctx, `/api/v1/offers/${doc._id}`);
					return this.saved(ctx, "created", offerJSON(doc));
				});
			}
		},

		listOffers: {
			rest: "GET /offers",
			openapi: { responses: { 200: json(page(Recruitment.Offer)) } },
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
			openapi: { responses: { 200: json(Recruitment.Offer) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return offerJSON(await findInTenant<OfferDoc>(this.store(OFFERS), requireUser(ctx).tenantId, ctx.params.id, "Offer"));
			}
		},

		/** A draft's terms; once sent, an offer is withdrawn and made anew rather than changed. */
		updateOffer: {
			rest: "PATCH /offers/:id",
			openapi: { responses: { 200: json(Recruitment.Offer) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				id,
				title: nullableText(),
				positionId: nullableId,
				salary,
				currency: nullable(currency),
				startDate: optionalDate,
				expiresAt: nullable(optionalDate)
			},
			async handler(this: RecruitmentThis, ctx: RosterContext<UpdateOfferParams>): Promise<Offer> {
				const store = this.store(OFFERS);
				const offer = await findInTenant<OfferDoc>(store, requireUser(ctx).tenantId, ctx.params.id, "Offer");
				const { id: _id, ...changes } = ctx.params;
				if (changes.startDate !== undefined) checkStartDate(changes.startDate);
				checkDate(changes.expiresAt, "expiresAt");
				checkNotExpired(changes.expiresAt);
				if (!isEditableOffer(offer.status))
					throw new ConflictError(`A ${offer.status} offer cannot be changed`, { field: "status", status: offer.status });
				const set = { ...changes, updatedAt: now() };
				return whileOrgHeld(ctx, !!changes.positionId, async () => {
					await this.checkPosition(ctx, changes.positionId);
					// Only while it is still the draft read above: a send landing meanwhile has fixed its terms.
					const changed = await store.updateMany(
						{ _id: offer._id, tenantId: offer.tenantId, status: offer.status },
						updateWithEvent({ $set: set }, auditUpdate(ctx, "offer", offer, set))
					);
					const updated = await findInTenant<OfferDoc>(store, offer.tenantId, offer._id, "Offer");
					if (changed !== 1) throw new ConflictError(`A ${updated.status} offer cannot be changed`, { field: "status", status: updated.status });
					this.publishEvents(offer._id, OFFERS);
					return this.saved(ctx, "updated", offerJSON(updated));
				});
			}
		},

		sendOffer: {
			rest: "POST /offers/:id/send",
			openapi: { responses: { 200: json(Recruitment.Offer) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return this.changeOfferStatus(ctx, "sent");
			}
		},

		/** The candidate said no. The application stays in "offer": staff may make a new offer, or reject or withdraw it. */
		declineOffer: {
			rest: "POST /offers/:id/decline",
			openapi: { responses: { 200: json(Recruitment.Offer) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return this.changeOfferStatus(ctx, "declined");
			}
		},

		withdrawOffer: {
			rest: "POST /offers/:id/withdraw",
			openapi: { responses: { 200: json(Recruitment.Offer) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return this.changeOfferStatus(ctx, "withdrawn");
			}
		},

		getOffer: {
			visibility: "public",
			readOnly: true,
			params: { id },
			async handler(this: RecruitmentThis, ctx: RosterContext<IdParams>): Promise<Offer> {
				return offerJSON(await findInTenant<OfferDoc>(this.store(OFFERS), requireUser(ctx).tenantId, ctx.params.id, "Offer"));
			}
		},

		/** Sets any status (the caller decides); with `expect`, only while the status is still that one. */
		setOfferStatus: {
			visibility: "public",
			params: {
				id,
				status: enumOf(OFFER_STATUSES),
				expect: optional(enumOf(OFFER_STATUSES)),
				employeeId: nullableId,
				userId: nullableId
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
					store.updateMany(
						{ _id: offer._id, tenantId, status: expect ?? offer.status },
						updateWithEvent({ $set: set }, auditUpdate(ctx, "offer", offer, set))
					)
				);
				if (changed !== 1) throw new IllegalTransitionError(offer.status, status, "The offer changed meanwhile", "stale");
				this.publishEvents(offer._id, OFFERS);
				return this.saved(ctx, "updated", offerJSON(await store.findOne({ _id: offer._id, tenantId })));
			}
		},

		/**
		 * Offers not yet answered (draft or sent) that would hire into the position: accepting one once
		 * the position is deleted would hire into nothing. An accepted one counts not: its hire is made.
		 */
		countOffersForPosition: {
			visibility: "public",
			readOnly: true,
			params: { positionId: id },
			handler(this: RecruitmentThis, ctx: RosterContext<{ positionId: string }>): Promise<number> {
				const query = { tenantId: requireUser(ctx).tenantId, positionId: ctx.params.positionId, status: { $in: ["draft", "sent"] } };
				return this.store(OFFERS).count({ query });
			}
		},

		/** When an application leaves "offer" for rejected or withdrawn, its pending offers go with it. */
		withdrawOffers: {
			visibility: "public",
			params: { applicationId: id },
			async handler(this: RecruitmentThis, ctx: RosterContext<ApplicationIdParams>): Promise<{ withdrawn: number }> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(OFFERS);
				const pending: OfferDoc[] = await store.find({
					query: { tenantId, applicationId: ctx.params.applicationId, status: { $in: ["draft", "sent"] } }
				});
				let withdrawn = 0;
				for (const offer of pending) {
					const at = now();
					const set = { status: "withdrawn", liveKey: offer._id, updatedAt: at };
					const changed = await store.updateMany(
						{ _id: offer._id, tenantId, status: offer.status },
						updateWithEvent({ $set: set }, auditUpdate(ctx, "offer", offer, set))
					);
					if (changed === 1) this.publishEvents(offer._id, OFFERS);
					withdrawn += changed;
					await this.saved(ctx, "updated", { ...offerJSON(offer), status: "withdrawn", updatedAt: at });
				}
				return { withdrawn };
			}
		}
	},

	methods: {
		/** A status change by the published offer routes: the offer rules, applied atomically. */
		async changeOfferStatus(this: RecruitmentThis, ctx: RosterContext<IdParams>, to: OfferStatus): Promise<Offer> {
			const { tenantId } = requireUser(ctx);
			const store = this.store(OFFERS);
			const offer = await findInTenant<OfferDoc>(store, tenantId, ctx.params.id, "Offer");
			if (!canChangeOffer(offer.status, to)) {
				throw new IllegalTransitionError(offer.status, to, `A ${offer.status} offer cannot become ${to}`, "offerStatus");
			}
			if (to === "sent") checkNotExpired(offer.expiresAt, true);
			const at = now();
			const set = { status: to, liveKey: liveKey(offer, to), updatedAt: at };
			const changed = await store.updateMany(
				{ _id: offer._id, tenantId, status: offer.status },
				updateWithEvent({ $set: set }, auditUpdate(ctx, "offer", offer, set))
			);
			if (changed !== 1) throw new IllegalTransitionError(offer.status, to, "The offer changed meanwhile", "stale");
			this.publishEvents(offer._id, OFFERS);
			return this.saved(ctx, "updated", offerJSON({ ...offer, status: to, updatedAt: at }));
		}
	}
};
