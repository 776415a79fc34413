/** Helpers for the onboarding suite: sent offers, the accept call, and a consumer of employee.hired. */
import type { ServiceBroker } from "moleculer";
import type request from "supertest";
import type { AuthUser } from "../../lib/meta";
import type { DomainEvent } from "../../lib/channels/events";
import { AppEvents, type EmployeeHiredEvent } from "../../lib/names/app";
import type { Offer } from "../../lib/names/recruitment";
import type { Role } from "../../lib/roles";
import { type As, type Company, type Pipeline, applicationAt, client, createOffer } from "./recruitment";
import { channelProbe } from "./channels";

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

/** employee.hired as delivered: the envelope and the payload (lib/names/app.ts). */
export type HiredEvent = DomainEvent<EmployeeHiredEvent>;

export interface HireLog {
	events: HiredEvent[];
	/** The event about the offer, already seen or still to come. */
	next(offerId: string): Promise<HiredEvent>;
	/** The distinct events about the offer (a redelivery of one is the same event). */
	about(offerId: string): HiredEvent[];
}

/** A consumer group of the test's own on employee.hired (the channel), recording every delivery. */
export async function listenToHires(broker: ServiceBroker): Promise<HireLog> {
	const events: HiredEvent[] = [];
	const waiters: Array<{ offerId: string; resolve: (e: HiredEvent) => void }> = [];
	await channelProbe<HiredEvent>(broker, "onboarding-test-listener", AppEvents.employeeHired, {
		handle: event => {
			events.push(event);
			for (const waiter of waiters.filter(w => w.offerId === event.offerId)) {
				waiters.splice(waiters.indexOf(waiter), 1);
				waiter.resolve(event);
			}
		}
	});
	return {
		events,
		next: offerId => {
			const seen = events.find(e => e.offerId === offerId);
			return seen ? Promise.resolve(seen) : new Promise(resolve => waiters.push({ offerId, resolve }));
		},
		about: offerId => [...new Map(events.filter(e => e.offerId === offerId).map(e => [e.eventId, e])).values()]
	};
}
