import { OFFER_STATUSES, type OfferStatus } from "../../lib/names/recruitment";
import { canChangeOffer, isEditableOffer, isLiveOffer, offerStatusesBefore } from "../../lib/recruitment/offers";
import { acceptsApplications, canChangeOpening } from "../../lib/recruitment/openings";

describe("offer statuses", () => {
	it("sends or withdraws a draft", () => {
		expect(canChangeOffer("draft", "sent")).toBe(true);
		expect(canChangeOffer("draft", "withdrawn")).toBe(true);
		expect(canChangeOffer("draft", "accepted")).toBe(false);
		expect(canChangeOffer("draft", "declined")).toBe(false);
	});

	it("accepts, declines or withdraws a sent offer", () => {
		expect(canChangeOffer("sent", "accepted")).toBe(true);
		expect(canChangeOffer("sent", "declined")).toBe(true);
		expect(canChangeOffer("sent", "withdrawn")).toBe(true);
		expect(canChangeOffer("sent", "draft")).toBe(false);
	});

	it("keeps accepted, declined and withdrawn final", () => {
		for (const from of ["accepted", "declined", "withdrawn"] as OfferStatus[]) {
			for (const to of OFFER_STATUSES) expect(canChangeOffer(from, to)).toBe(false);
		}
	});

	it("names the statuses an atomic change expects", () => {
		expect(offerStatusesBefore("declined")).toEqual(["sent"]);
		expect(offerStatusesBefore("withdrawn").sort()).toEqual(["draft", "sent"]);
		expect(offerStatusesBefore("draft")).toEqual([]);
	});

	it("counts draft, sent and accepted offers as live, and only drafts as editable", () => {
		expect(OFFER_STATUSES.filter(isLiveOffer)).toEqual(["draft", "sent", "accepted"]);
		expect(OFFER_STATUSES.filter(isEditableOffer)).toEqual(["draft"]);
	});
});

describe("opening statuses", () => {
	it("opens, closes and reopens", () => {
		expect(canChangeOpening("draft", "open")).toBe(true);
		expect(canChangeOpening("open", "closed")).toBe(true);
		expect(canChangeOpening("closed", "open")).toBe(true);
		expect(canChangeOpening("draft", "closed")).toBe(true);
	});

	it("never goes back to draft once published", () => {
		expect(canChangeOpening("open", "draft")).toBe(false);
		expect(canChangeOpening("closed", "draft")).toBe(false);
		expect(canChangeOpening("draft", "draft")).toBe(true);
	});

	it("takes applications only while open", () => {
		expect(acceptsApplications("open")).toBe(true);
		expect(acceptsApplications("draft")).toBe(false);
		expect(acceptsApplications("closed")).toBe(false);
	});
});
