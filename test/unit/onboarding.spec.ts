/** Onboarding's rules on plain data: which offers may be accepted and what a hire makes (the saga's decisions: onboarding-saga.spec.ts). */
import type { Candidate, JobOpening, Offer } from "../../lib/names/recruitment";
import { accountName, acceptRefusal, entitlementYear, hireRequest } from "../../lib/onboarding/hire";

const offer: Offer = {
	id: "o1",
	applicationId: "a1",
	candidateId: "c1",
	openingId: "op1",
	title: null,
	positionId: null,
	salary: 70000,
	currency: "EUR",
	startDate: "2030-04-01",
	expiresAt: null,
	status: "sent",
	employeeId: null,
	userId: null,
	createdBy: "u1",
	createdAt: "2030-01-01T00:00:00.000Z",
	updatedAt: "2030-01-01T00:00:00.000Z"
};
const candidate: Candidate = {
	id: "c1",
	firstName: "Cara",
	lastName: "Candidate",
	email: "cara@example.test",
	phone: "(555) 123",
	source: "referral",
	resumeUrl: null,
	consentToKeepData: true,
	consentGivenAt: null,
	createdAt: "",
	updatedAt: ""
};
const opening: JobOpening = {
	id: "op1",
	title: "Engineer",
	departmentId: "d1",
	hiringManagerId: "e1",
	headcount: 1,
	status: "open",
	description: null,
	createdAt: "",
	updatedAt: ""
};

describe("acceptRefusal", () => {
	it("accepts a sent offer, up to and including its expiry day", () => {
		expect(acceptRefusal(offer, "2030-01-01")).toBeNull();
		expect(acceptRefusal({ ...offer, expiresAt: "2030-03-15" }, "2030-03-15")).toBeNull();
	});

	it("refuses an expired offer", () => {
		expect(acceptRefusal({ ...offer, expiresAt: "2030-03-15" }, "2030-03-16")).toMatchObject({ reason: "expired" });
	});

	it.each(["draft", "declined", "withdrawn", "accepted"] as const)("refuses a %s offer", status => {
		expect(acceptRefusal({ ...offer, status }, "2030-01-01")).toMatchObject({ reason: "offerStatus" });
	});
});

describe("hireRequest", () => {
	it("hires the candidate into the opening's department, under its hiring manager, from the start date", () => {
		expect(hireRequest(offer, candidate, opening)).toEqual({
			firstName: "Cara",
			lastName: "Candidate",
			workEmail: "cara@example.test",
			hireDate: "2030-04-01",
			departmentId: "d1",
			managerId: "e1",
			employmentType: "full_time"
		});
	});

	it("takes the offer's position when it names one", () => {
		expect(hireRequest({ ...offer, positionId: "p1" }, candidate, opening).positionId).toBe("p1");
	});
});

describe("accountName and entitlementYear", () => {
	it("joins the names within identity's 200 characters", () => {
		expect(accountName(candidate)).toBe("Cara Candidate");
		expect(accountName({ firstName: "A".repeat(100), lastName: "B".repeat(100) })).toHaveLength(200);
	});

	it("is the start date's year", () => {
		expect(entitlementYear("2031-12-31")).toBe(2031);
	});
});
