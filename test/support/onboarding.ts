/** Helpers for the onboarding suite: sent offers, the accept call, and a listener for employee.hired. */
import type { ServiceBroker } from "moleculer";
import type request from "supertest";
import type { AuthUser } from "../../lib/meta";
import { AppEvents } from "../../lib/names/app";
import type { Offer } from "../../lib/names/recruitment";
import type { Role } from "../../lib/roles";
import { type As, type Company, type Pipeline, applicationAt, client, createOffer } from "./recruitment";
import { knownEverywhere } from "./cluster-topology";

export interface SentOffer extends Pipeline {
	offer: Offer;
}

/** A fresh candidate at stage "offer" with an offer that hr has sent; `overrides` are the offer's terms. */
export async function sentOffer(url: string, company: Company, overrides: Record<string, unknown> = {}): Promise<SentOffer> {
	const pipeline = await applicationAt(url, company, "offer");
	const offer = await createOffer(url, company, pipeline.application.id, overrides);
	const sent = await client(url).post(`/offers/${offer.id}/send`, company.hr);
	if (sent.status !== 200) throw new Error(`sending the offer failed: ${sent.status} ${JSON.stringify(sent.body)}`);
	return { ...pipeline, offer: sent.body };
}

export function accept(url: string, as: As, offerId: string, body: object = {}): request.Test {
	return client(url).post(`/offers/${offerId}/accept`, as, body);
}

/** The signed-in user a broker call carries, as the gateway would set it. */
export function metaUser(company: Company, role: Role = "hr"): AuthUser {
	return { id: company.hr.id, tenantId: company.owner.tenant.id, roles: [role], employeeId: null, sessionId: "onboarding-test" };
}

export interface HiredEvent {
	tenantId: string;
	employeeId: string;
	userId: string;
	offerId: string;
}

export interface HireLog {
	events: HiredEvent[];
	/** The event about the offer, already seen or still to come. */
	next(offerId: string): Promise<HiredEvent>;
	about(offerId: string): HiredEvent[];
}

/** A test service that records every employee.hired event the system emits. */
export async function listenToHires(broker: ServiceBroker): Promise<HireLog> {
	const events: HiredEvent[] = [];
	const waiters: Array<{ offerId: string; resolve: (e: HiredEvent) => void }> = [];
	broker.createService({
		name: "onboarding-test-listener",
		events: {
			[AppEvents.employeeHired]: {
				handler(ctx: { params: HiredEvent }) {
					events.push(ctx.params);
					for (const waiter of waiters.filter(w => w.offerId === ctx.params.offerId)) {
						waiters.splice(waiters.indexOf(waiter), 1);
						waiter.resolve(ctx.params);
					}
				}
			}
		}
	});
	await knownEverywhere(broker, "onboarding-test-listener");
	return {
		events,
		next: offerId => {
			const seen = events.find(e => e.offerId === offerId);
			return seen ? Promise.resolve(seen) : new Promise(resolve => waiters.push({ offerId, resolve }));
		},
		about: offerId => events.filter(e => e.offerId === offerId)
	};
}
