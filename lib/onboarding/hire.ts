/**
 * What accepting an offer turns into, on plain data: which offers may be accepted, the employee
 * record and the user account a hire makes, and the year of its first leave entitlements.
 */
import type { Candidate, JobOpening, Offer } from "../names/recruitment";
import { hasExpired } from "../recruitment/offers";

/** The employees.hire parameters onboarding sends. */
export interface HireRequest {
	firstName: string;
	lastName: string;
	workEmail: string;
	hireDate: string;
	departmentId: string;
	positionId?: string;
	managerId: string;
	employmentType: "full_time";
}

export interface Refusal {
	/** The `reason` of the 409 (illegalTransition). */
	reason: "offerStatus" | "expired";
	message: string;
}

/** identity's name rule: text of at most 200 characters. */
const NAME_MAX = 200;

/**
 * Why an offer that is not accepted yet cannot be accepted now, or null when it can: only a
 * sent offer that has not expired (`expiresAt` is the last day it may be accepted).
 */
export function acceptRefusal(offer: Pick<Offer, "status" | "expiresAt">, today: string): Refusal | null {
	if (offer.status !== "sent") {
		const hint = offer.status === "draft" ? "; send it first" : "";
		return { reason: "offerStatus", message: `A ${offer.status} offer cannot be accepted${hint}` };
	}
	if (hasExpired(offer.expiresAt, today)) {
		return { reason: "expired", message: `The offer expired on ${offer.expiresAt}` };
	}
	return null;
}

/**
 * The new employee: the candidate's name and email, starting on the offer's start date in the
 * opening's department under its hiring manager, in the offer's position if it names one. An
 * offer carries no employment type (yet), so a hire is full time.
 */
export function hireRequest(offer: Offer, candidate: Candidate, opening: JobOpening): HireRequest {
	const request: HireRequest = {
		firstName: candidate.firstName,
		lastName: candidate.lastName,
		workEmail: candidate.email,
		hireDate: offer.startDate,
		departmentId: opening.departmentId,
		managerId: opening.hiringManagerId,
		employmentType: "full_time"
	};
	if (offer.positionId) request.positionId = offer.positionId;
	return request;
}

/**
 * The 409 message for a hire employees refused over a reference of its own request (a 422
 * naming the field): the request was built from the opening and the offer, so the caller is
 * told which of their parts is gone and what to do, not about a field they never sent.
 */
const GONE: Record<string, { part: string; message: string }> = {
	departmentId: { part: "opening.departmentId", message: "The opening's department no longer exists: change the opening before accepting" },
	managerId: {
		part: "opening.hiringManagerId",
		message: "The opening's hiring manager is no longer an active employee: change the opening before accepting"
	},
	positionId: { part: "offer.positionId", message: "The offer's position no longer exists: withdraw the offer and make a new one" }
};

/** For an employees.hire refusal over a reference that went away (a 422 of type "reference"): which part of the opening or offer is gone. */
export function goneReference(err: unknown): { part: string; message: string } | null {
	const e = err as { code?: number; data?: Array<{ type?: string; field?: string }> } | null;
	if (e?.code !== 422 || !Array.isArray(e.data)) return null;
	const reference = e.data.find(d => d.type === "reference" && d.field !== undefined && d.field in GONE);
	return reference ? GONE[reference.field!] : null;
}

/** The account's display name; two names of 100 characters would pass identity's limit by one. */
export function accountName(candidate: Pick<Candidate, "firstName" | "lastName">): string {
	return `${candidate.firstName} ${candidate.lastName}`.slice(0, NAME_MAX).trim();
}

/** The calendar year of the first entitlements: the year the employee starts. */
export function entitlementYear(startDate: string): number {
	return Number(startDate.slice(0, 4));
}
