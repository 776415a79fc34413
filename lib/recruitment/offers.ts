/**
 * An offer's life on the published routes: a draft is edited and sent; a sent offer is accepted
 * (by onboarding), declined or withdrawn; accepted, declined and withdrawn are final. At most
 * one offer of an application is live (draft, sent or accepted) at a time.
 */
import type { OfferStatus } from "../names/recruitment";

const NEXT: Record<OfferStatus, readonly OfferStatus[]> = {
	draft: ["sent", "withdrawn"],
	sent: ["accepted", "declined", "withdrawn"],
	accepted: [],
	declined: [],
	withdrawn: []
};

export function canChangeOffer(from: OfferStatus, to: OfferStatus): boolean {
	return NEXT[from].includes(to);
}

/** Statuses from which an offer can reach `to`: the expected status of an atomic change. */
export function offerStatusesBefore(to: OfferStatus): OfferStatus[] {
	return (Object.keys(NEXT) as OfferStatus[]).filter(from => NEXT[from].includes(to));
}

/** A live offer blocks another offer for the same application. */
export function isLiveOffer(status: OfferStatus): boolean {
	return status === "draft" || status === "sent" || status === "accepted";
}

/** Only a draft's terms may still change. */
export const isEditableOffer = (status: OfferStatus): boolean => status === "draft";

/**
 * `expiresAt` is the last day an offer may be accepted: it has expired once that day is over.
 * `today` is the UTC date (lib/employees/rules.ts), so a node's time zone never moves an expiry.
 */
export const hasExpired = (expiresAt: string | null | undefined, today: string): boolean => expiresAt != null && expiresAt < today;
