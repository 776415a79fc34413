/**
 * Recruitment over HTTP: openings, candidates, applications, interviews and offers (the data
 * service) and the recruiting pipeline (stage moves, interview scheduling): the rules, role
 * scoping, tenant isolation on every route, bad input, and lists.
 */
import { randomUUID } from "node:crypto";
import type { Application, Interview, InterviewScheduledEvent, Offer, StageChangedEvent } from "../../lib/names/recruitment";
import { RecruitmentActions, RecruitmentEvents } from "../../lib/names/recruitment";
import { OnboardingSagaActions } from "../../lib/names/onboarding";
import type { Store } from "../../lib/store/types";
import { answeredInOrder, sentDuring, writtenWhileDeleting } from "../support/races";
import { channelProbe } from "../support/channels";
import { eventually, itInProcess } from "../support/cluster-topology";
import { hire, linkedUser, startRoomySystem } from "../support/employees";
import { createUser } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { staleSession } from "../support/stale-session";
import {
	type As,
	type Company,
	type Pipeline,
	applicationAt,
	candidateBody,
	client,
	createCandidate,
	createOffer,
	createOpening,
	openingBody,
	scheduleInterview,
	setUpCompany
} from "../support/recruitment";
import { suiteTimeout } from "../support/timeouts";

// Each company is a signup and several users (password hashing): seconds, not milliseconds.
suiteTimeout(60_000);

describe("recruitment", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Company;
	let globex: Company;
	/** Globex's records of every kind: Acme must find none of them. */
	let foreign: Pipeline & { interview: Interview; offer: Offer };
	const events: StageChangedEvent[] = [];
	const scheduled: InterviewScheduledEvent[] = [];

	const api = () => client(url);
	const stageOf = async (applicationId: string, as: As = acme.hr) => (await api().get(`/applications/${applicationId}`, as)).body.stage;
	const eventsFor = (applicationId: string) => events.filter(e => e.applicationId === applicationId);

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		await channelProbe<StageChangedEvent>(system.broker, "test-stage-events", RecruitmentEvents.stageChanged, { handle: event => void events.push(event) });
		await channelProbe<InterviewScheduledEvent>(system.broker, "test-interview-events", RecruitmentEvents.interviewScheduled, {
			handle: event => void scheduled.push(event)
		});
		[acme, globex] = await Promise.all([setUpCompany(url, "Acme"), setUpCompany(url, "Globex")]);
		const pipeline = await applicationAt(url, globex, "interview");
		const interview = await scheduleInterview(url, globex, pipeline.application.id);
		await api().post(`/applications/${pipeline.application.id}/move`, globex.hr, { stage: "offer" });
		const offer = await createOffer(url, globex, pipeline.application.id);
		foreign = { ...pipeline, interview, offer };
	});
	afterAll(() => system?.stop());

	// ---- Job openings ----

	describe("job openings", () => {
		it("creates an opening (201, Location) with draft status and one head by default", async () => {
			const res = await api().post("/job-openings", acme.hr, {
				title: "Designer",
				departmentId: acme.departmentId,
				hiringManagerId: acme.hiringManager.id,
				description: "Pixels"
			});
			expect(res.status).toBe(201);
			expect(res.headers.location).toBe(`/api/v1/job-openings/${res.body.id}`);
			expect(res.body).toMatchObject({ title: "Designer", status: "draft", headcount: 1, description: "Pixels", hiringManagerId: acme.hiringManager.id });
			expect(res.body.tenantId).toBeUndefined();
			expect((await api().get(`/job-openings/${res.body.id}`, acme.hr)).body.title).toBe("Designer");
		});

		it.each([
			["title", { title: "" }],
			["headcount", { headcount: 0 }],
			["status", { status: "archived" }],
			["departmentId", { departmentId: undefined }],
			["tenantlessField", { tenantlessField: 1 }]
		])("refuses a bad %s (422 naming the field) and creates nothing", async (field, overrides) => {
			const before = (await api().get("/job-openings?pageSize=1", acme.hr)).body.total;
			const res = await api().post("/job-openings", acme.hr, openingBody(acme, overrides));
			expect(res.status).toBe(422);
			expect(res.body.data[0].field).toBe(field);
			expect((await api().get("/job-openings?pageSize=1", acme.hr)).body.total).toBe(before);
		});

		it("refuses a department or hiring manager of another company, or a terminated manager (422 naming the field)", async () => {
			const dept = await api().post("/job-openings", acme.hr, openingBody(acme, { departmentId: globex.departmentId }));
			expect(dept.status).toBe(422);
			expect(dept.body.data[0]).toMatchObject({ field: "departmentId", type: "reference" });
			const manager = await api().post("/job-openings", acme.hr, openingBody(acme, { hiringManagerId: globex.hiringManager.id }));
			expect(manager.status).toBe(422);
			expect(manager.body.data[0]).toMatchObject({ field: "hiringManagerId", type: "reference" });
			const leaver = await hire(url, acme.owner, { firstName: "Lea", lastName: "Leaver" });
			expect((await api().post(`/employees/${leaver.id}/terminate`, acme.owner, { date: "2024-06-30", reason: "moved on" })).status).toBe(200);
			const gone = await api().post("/job-openings", acme.hr, openingBody(acme, { hiringManagerId: leaver.id }));
			expect(gone.status).toBe(422);
			expect(gone.body.data[0].field).toBe("hiringManagerId");
		});

		it("updates an opening, validating references, and never goes back to draft once published (409)", async () => {
			const opening = await createOpening(url, acme, { status: "draft" });
			const opened = await api().patch(`/job-openings/${opening.id}`, acme.hr, { status: "open", headcount: 3, description: null });
			expect(opened.status).toBe(200);
			expect(opened.body).toMatchObject({ status: "open", headcount: 3, description: null });
			const bad = await api().patch(`/job-openings/${opening.id}`, acme.hr, { hiringManagerId: globex.hiringManager.id, title: "Changed" });
			expect(bad.status).toBe(422);
			expect(bad.body.data[0].field).toBe("hiringManagerId");
			const back = await api().patch(`/job-openings/${opening.id}`, acme.hr, { status: "draft" });
			expect(back.status).toBe(409);
			expect(back.body).toMatchObject({ type: "illegalTransition", data: { from: "open", to: "draft" } });
			expect((await api().get(`/job-openings/${opening.id}`, acme.hr)).body).toMatchObject({ status: "open", title: "Backend Engineer" });
			const closed = await api().patch(`/job-openings/${opening.id}`, acme.hr, { status: "closed" });
			expect(closed.body.status).toBe("closed");
		});

		it("reopens a closed opening only while its department exists (422 naming departmentId), changing nothing", async () => {
			const departmentId = (await api().post("/departments", acme.owner, { name: `Closing ${Math.random()}` })).body.id;
			const opening = await createOpening(url, acme, { departmentId });
			expect((await api().del(`/departments/${departmentId}`, acme.owner)).status).toBe(409);
			expect((await api().patch(`/job-openings/${opening.id}`, acme.hr, { status: "closed" })).status).toBe(200);
			expect((await api().del(`/departments/${departmentId}`, acme.owner)).status).toBe(204);
			const reopened = await api().patch(`/job-openings/${opening.id}`, acme.hr, { status: "open" });
			expect(reopened.status).toBe(422);
			expect(reopened.body.data[0].field).toBe("departmentId");
			expect((await api().get(`/job-openings/${opening.id}`, acme.hr)).body.status).toBe("closed");
			const moved = await api().patch(`/job-openings/${opening.id}`, acme.hr, { status: "open", departmentId: acme.departmentId });
			expect(moved.body).toMatchObject({ status: "open", departmentId: acme.departmentId });
		});

		it("deletes an opening without applications (204), not one with applications (409)", async () => {
			const empty = await createOpening(url, acme);
			expect((await api().del(`/job-openings/${empty.id}`, acme.hr)).status).toBe(204);
			expect((await api().get(`/job-openings/${empty.id}`, acme.hr)).status).toBe(404);
			const { opening } = await applicationAt(url, acme, "applied");
			const refused = await api().del(`/job-openings/${opening.id}`, acme.hr);
			expect(refused.status).toBe(409);
			expect(refused.body.data).toEqual({ applications: 1 });
			expect((await api().get(`/job-openings/${opening.id}`, acme.hr)).status).toBe(200);
		});

		it("shows a manager only the openings they hire for; managers and employees change nothing", async () => {
			const mine = await createOpening(url, acme, { title: "Mine" });
			const theirs = await createOpening(url, acme, { title: "Theirs", hiringManagerId: acme.otherManagerEmployee.id });
			const list = await api().get("/job-openings?pageSize=100", acme.manager);
			expect(list.status).toBe(200);
			const ids = list.body.rows.map((o: { id: string }) => o.id);
			expect(ids).toContain(mine.id);
			expect(ids).not.toContain(theirs.id);
			expect(list.body.rows.every((o: { hiringManagerId: string }) => o.hiringManagerId === acme.hiringManager.id)).toBe(true);
			// Asking for someone else's openings by filter yields nothing, not theirs.
			const sneaky = await api().get(`/job-openings?hiringManagerId=${acme.otherManagerEmployee.id}`, acme.manager);
			expect(sneaky.body.total).toBe(0);
			expect((await api().get(`/job-openings/${mine.id}`, acme.manager)).status).toBe(200);
			expect((await api().get(`/job-openings/${theirs.id}`, acme.manager)).status).toBe(403);
			expect((await api().post("/job-openings", acme.manager, openingBody(acme))).status).toBe(403);
			expect((await api().patch(`/job-openings/${mine.id}`, acme.manager, { title: "x" })).status).toBe(403);
			expect((await api().get("/job-openings", acme.employee)).status).toBe(403);
			expect((await api().get(`/job-openings/${mine.id}`, acme.employee)).status).toBe(403);
		});

		it("lists with paging, sort and filters, and refuses unknown ones (422)", async () => {
			const company = await setUpCompany(url, "Listers");
			for (const [title, status] of [
				["Alpha", "open"],
				["Bravo", "draft"],
				["Charlie", "open"],
				["Delta", "closed"],
				["Echo", "open"]
			]) {
				await createOpening(url, company, { title, status });
			}
			const page = await api().get("/job-openings?page=2&pageSize=2&sort=title", company.hr);
			expect(page.status).toBe(200);
			expect(page.body).toMatchObject({ total: 5, page: 2, pageSize: 2, totalPages: 3 });
			expect(page.body.rows.map((o: { title: string }) => o.title)).toEqual(["Charlie", "Delta"]);
			const open = await api().get("/job-openings?status=open&sort=-title", company.hr);
			expect(open.body.rows.map((o: { title: string }) => o.title)).toEqual(["Echo", "Charlie", "Alpha"]);
			const search = await api().get("/job-openings?search=rav", company.hr);
			expect(search.body.rows.map((o: { title: string }) => o.title)).toEqual(["Bravo"]);
			const byDept = await api().get(`/job-openings?departmentId=${company.departmentId}`, company.hr);
			expect(byDept.body.total).toBe(5);
			for (const [query, field] of [
				["colour=red", "colour"],
				["sort=salary", "sort"],
				["pageSize=101", "pageSize"],
				["status=gone", "status"],
				["page=0", "page"]
			]) {
				const bad = await api().get(`/job-openings?${query}`, company.hr);
				expect({ query, status: bad.status, field: bad.body.data?.[0]?.field }).toEqual({ query, status: 422, field });
			}
		});
	});

	// ---- Candidates ----

	describe("candidates", () => {
		it("creates a candidate and dates the consent", async () => {
			const res = await api().post("/candidates", acme.hr, candidateBody({ phone: "+49 30 1234567", resumeUrl: "https://cv.example.test/cara.pdf" }));
			expect(res.status).toBe(201);
			expect(res.headers.location).toBe(`/api/v1/candidates/${res.body.id}`);
			expect(res.body).toMatchObject({ consentToKeepData: true, phone: "+49 30 1234567", resumeUrl: "https://cv.example.test/cara.pdf" });
			expect(typeof res.body.consentGivenAt).toBe("string");
			const without = await createCandidate(url, acme, { consentToKeepData: false });
			expect(without.consentGivenAt).toBeNull();
		});

		it.each([
			["email", { email: "not-an-email" }],
			["resumeUrl", { resumeUrl: "ftp://cv.example.test/cara.pdf" }],
			["resumeUrl", { resumeUrl: "javascript:alert(1)" }],
			["source", { source: "carrier_pigeon" }],
			["consentToKeepData", { consentToKeepData: undefined }],
			["phone", { phone: "call me maybe" }],
			["firstName", { firstName: "" }],
			["role", { role: "admin" }]
		])("refuses a bad %s (422 naming the field)", async (field, overrides) => {
			const body = candidateBody(overrides);
			const res = await api().post("/candidates", acme.hr, body);
			expect(res.status).toBe(422);
			expect(res.body.data[0].field).toBe(field);
			expect((await api().get(`/candidates?search=${encodeURIComponent(String(body.email))}`, acme.hr)).body.total).toBe(0);
		});

		it("keeps emails unique per company (409 naming email), not across companies", async () => {
			const first = await createCandidate(url, acme);
			const dup = await api().post("/candidates", acme.hr, candidateBody({ email: first.email, firstName: "Other" }));
			expect(dup.status).toBe(409);
			expect(dup.body.data).toEqual({ field: "email" });
			expect((await api().post("/candidates", globex.hr, candidateBody({ email: first.email }))).status).toBe(201);
			const second = await createCandidate(url, acme);
			const clash = await api().patch(`/candidates/${second.id}`, acme.hr, { email: first.email });
			expect(clash.status).toBe(409);
			expect(clash.body.data).toEqual({ field: "email" });
			expect((await api().get(`/candidates/${second.id}`, acme.hr)).body.email).toBe(second.email);
		});

		it("updates a candidate; withdrawing consent clears its date, giving it again dates it anew", async () => {
			const candidate = await createCandidate(url, acme);
			const withdrawn = await api().patch(`/candidates/${candidate.id}`, acme.hr, { consentToKeepData: false, phone: null, source: "referral" });
			expect(withdrawn.status).toBe(200);
			expect(withdrawn.body).toMatchObject({ consentToKeepData: false, consentGivenAt: null, source: "referral", phone: null });
			const given = await api().patch(`/candidates/${candidate.id}`, acme.hr, { consentToKeepData: true });
			expect(given.body.consentGivenAt >= candidate.consentGivenAt!).toBe(true);
			const bad = await api().patch(`/candidates/${candidate.id}`, acme.hr, { resumeUrl: "not a url" });
			expect(bad.status).toBe(422);
			expect(bad.body.data[0].field).toBe("resumeUrl");
		});

		it("erases a candidate with their closed applications; one still in play is refused (409)", async () => {
			const { candidate, application } = await applicationAt(url, acme, "screening");
			const refused = await api().del(`/candidates/${candidate.id}`, acme.hr);
			expect(refused.status).toBe(409);
			expect((await api().get(`/candidates/${candidate.id}`, acme.hr)).status).toBe(200);
			expect((await api().post(`/applications/${application.id}/move`, acme.hr, { stage: "withdrawn" })).status).toBe(200);
			expect((await api().del(`/candidates/${candidate.id}`, acme.hr)).status).toBe(204);
			expect((await api().get(`/candidates/${candidate.id}`, acme.hr)).status).toBe(404);
			expect((await api().get(`/applications/${application.id}`, acme.hr)).status).toBe(404);
		});

		describe("an erasure and a write that would leave something of the candidate, at once", () => {
			const stores = () => system.broker.getLocalService("recruitment") as unknown as { store(name: string): Store };
			itInProcess("an erasure sent while an application is made waits for it, then finds it active (409): both stay", async () => {
				const [opening, candidate] = await Promise.all([createOpening(url, acme), createCandidate(url, acme)]);
				const [made, erased] = await sentDuring(
					stores().store("applications"),
					"insert",
					() => api().post("/applications", acme.hr, { candidateId: candidate.id, openingId: opening.id }),
					() => api().del(`/candidates/${candidate.id}`, acme.hr)
				);
				expect([made.status, erased.status]).toEqual([201, 409]);
				expect((await api().get(`/applications/${made.body.id}`, acme.hr)).status).toBe(200);
			});

			itInProcess(
				"an application sent while the candidate is erased waits for it, then finds no candidate (422): nothing acknowledged is lost",
				async () => {
					const [opening, candidate] = await Promise.all([createOpening(url, acme), createCandidate(url, acme)]);
					const [erased, made] = await sentDuring(
						stores().store("applications"),
						"count",
						() => api().del(`/candidates/${candidate.id}`, acme.hr),
						() => api().post("/applications", acme.hr, { candidateId: candidate.id, openingId: opening.id })
					);
					expect([erased.status, made.status]).toEqual([204, 422]);
					expect(made.body.data[0].field).toBe("candidateId");
					expect((await api().get(`/applications?candidateId=${candidate.id}`, acme.hr)).body.total).toBe(0);
				}
			);

			itInProcess("an application sent while its opening is deleted waits for it, then finds no opening (422)", async () => {
				const [opening, candidate] = await Promise.all([createOpening(url, acme), createCandidate(url, acme)]);
				const [deleted, made] = await sentDuring(
					stores().store("applications"),
					"count",
					() => api().del(`/job-openings/${opening.id}`, acme.hr),
					() => api().post("/applications", acme.hr, { candidateId: candidate.id, openingId: opening.id })
				);
				expect([deleted.status, made.status]).toEqual([204, 422]);
				expect(made.body.data[0].field).toBe("openingId");
			});

			itInProcess("applications of two candidates to one opening go side by side: one does not wait for the other", async () => {
				const [opening, first, second] = await Promise.all([createOpening(url, acme), createCandidate(url, acme), createCandidate(url, acme)]);
				const apply = (candidateId: string) => () => api().post("/applications", acme.hr, { candidateId, openingId: opening.id });
				const { answers, order } = await answeredInOrder(stores().store("applications"), "insert", apply(first.id), apply(second.id), { holdMs: 600 });
				expect({ statuses: answers.map(res => res.status), order }).toEqual({ statuses: [201, 201], order: ["second", "first"] });
			});

			itInProcess("an opening's delete sent while an application to it is made waits for it, then finds it (409)", async () => {
				const [opening, candidate] = await Promise.all([createOpening(url, acme), createCandidate(url, acme)]);
				const [made, deleted] = await sentDuring(
					stores().store("applications"),
					"insert",
					() => api().post("/applications", acme.hr, { candidateId: candidate.id, openingId: opening.id }),
					() => api().del(`/job-openings/${opening.id}`, acme.hr)
				);
				expect([made.status, deleted.status]).toEqual([201, 409]);
				expect((await api().get(`/job-openings/${opening.id}`, acme.hr)).status).toBe(200);
			});

			it("refuses to erase a candidate whose offer onboarding has claimed and not yet finished (409)", async () => {
				const { candidate, application } = await applicationAt(url, acme, "offer");
				const offer = await createOffer(url, acme, application.id);
				expect((await api().post(`/offers/${offer.id}/send`, acme.hr)).status).toBe(200);
				const meta = { user: { id: acme.hr.id, tenantId: acme.owner.tenant.id, roles: ["hr"], employeeId: null, sessionId: "test" } };
				const saga = { id: offer.id, sagaId: randomUUID(), holder: randomUUID() };
				await system.broker.call(OnboardingSagaActions.start, { ...saga, employeeId: randomUUID(), userId: randomUUID(), leaseMs: 30_000 }, { meta });
				// As its stage step does, before the commit: the application no longer counts as active.
				await system.broker.call(RecruitmentActions.setStage, { id: application.id, stage: "hired", expect: "offer" }, { meta });
				const refused = await api().del(`/candidates/${candidate.id}`, acme.hr);
				expect(refused.status).toBe(409);
				expect(refused.body.data).toEqual({ offers: 1 });
				await system.broker.call(RecruitmentActions.setStage, { id: application.id, stage: "offer", expect: "hired" }, { meta });
				await system.broker.call(OnboardingSagaActions.record, { ...saga, state: "compensating", leaseMs: 30_000 }, { meta });
				await system.broker.call(OnboardingSagaActions.rollBack, { ...saga, error: "test" }, { meta });
				expect((await api().post(`/applications/${application.id}/move`, acme.hr, { stage: "withdrawn" })).status).toBe(200);
				expect((await api().del(`/candidates/${candidate.id}`, acme.hr)).status).toBe(204);
			});
		});

		it("is for staff only: managers and employees get 403", async () => {
			const candidate = await createCandidate(url, acme);
			for (const as of [acme.manager, acme.employee]) {
				expect((await api().get("/candidates", as)).status).toBe(403);
				expect((await api().get(`/candidates/${candidate.id}`, as)).status).toBe(403);
				expect((await api().post("/candidates", as, candidateBody())).status).toBe(403);
				expect((await api().patch(`/candidates/${candidate.id}`, as, { firstName: "X" })).status).toBe(403);
				expect((await api().del(`/candidates/${candidate.id}`, as)).status).toBe(403);
			}
		});

		it("lists with paging, sort and filters, and refuses unknown ones (422)", async () => {
			const company = await setUpCompany(url, "Scouts");
			for (const [lastName, source, consent] of [
				["Adams", "referral", true],
				["Baker", "agency", false],
				["Clark", "referral", true]
			] as const) {
				await createCandidate(url, company, { lastName, source, consentToKeepData: consent });
			}
			const page = await api().get("/candidates?pageSize=2&sort=-lastName", company.hr);
			expect(page.body).toMatchObject({ total: 3, pageSize: 2, totalPages: 2 });
			expect(page.body.rows.map((c: { lastName: string }) => c.lastName)).toEqual(["Clark", "Baker"]);
			const referrals = await api().get("/candidates?source=referral", company.hr);
			expect(referrals.body.rows.map((c: { lastName: string }) => c.lastName)).toEqual(["Adams", "Clark"]);
			const noConsent = await api().get("/candidates?consentToKeepData=false", company.hr);
			expect(noConsent.body.rows.map((c: { lastName: string }) => c.lastName)).toEqual(["Baker"]);
			expect((await api().get("/candidates?search=ADA", company.hr)).body.total).toBe(1);
			for (const [query, field] of [
				["stage=offer", "stage"],
				["sort=phone", "sort"],
				["consentToKeepData=maybe", "consentToKeepData"]
			]) {
				const bad = await api().get(`/candidates?${query}`, company.hr);
				expect({ query, status: bad.status, field: bad.body.data?.[0]?.field }).toEqual({ query, status: 422, field });
			}
		});
	});

	// ---- Applications ----

	describe("applications", () => {
		it("applies a candidate to an open opening (201), in stage applied, with who and what", async () => {
			const opening = await createOpening(url, acme);
			const candidate = await createCandidate(url, acme);
			const res = await api().post("/applications", acme.hr, { candidateId: candidate.id, openingId: opening.id, note: "via Cara's friend" });
			expect(res.status).toBe(201);
			expect(res.headers.location).toBe(`/api/v1/applications/${res.body.id}`);
			expect(res.body).toMatchObject({
				stage: "applied",
				candidateId: candidate.id,
				openingId: opening.id,
				note: "via Cara's friend",
				history: [],
				candidate: { id: candidate.id, firstName: "Cara", lastName: "Candidate", email: candidate.email },
				opening: { id: opening.id, title: opening.title, status: "open" }
			});
		});

		it("takes one application per candidate and opening (409)", async () => {
			const { opening, candidate } = await applicationAt(url, acme, "applied");
			const dup = await api().post("/applications", acme.hr, { candidateId: candidate.id, openingId: opening.id });
			expect(dup.status).toBe(409);
			expect(dup.body.data).toMatchObject({ field: "candidateId" });
			expect((await api().get(`/applications?openingId=${opening.id}`, acme.hr)).body.total).toBe(1);
		});

		it("takes applications only to open openings (409)", async () => {
			const candidate = await createCandidate(url, acme);
			for (const status of ["draft", "closed"]) {
				const opening = await createOpening(url, acme, { status });
				const res = await api().post("/applications", acme.hr, { candidateId: candidate.id, openingId: opening.id });
				expect(res.status).toBe(409);
				expect(res.body.data).toMatchObject({ field: "openingId", status });
			}
			expect((await api().get(`/applications?candidateId=${candidate.id}`, acme.hr)).body.total).toBe(0);
		});

		it("refuses unknown or foreign candidates and openings, and bad bodies (422 naming the field)", async () => {
			const opening = await createOpening(url, acme);
			const candidate = await createCandidate(url, acme);
			const cases: [string, object][] = [
				["candidateId", { candidateId: foreign.candidate.id, openingId: opening.id }],
				["openingId", { candidateId: candidate.id, openingId: foreign.opening.id }],
				["candidateId", { candidateId: "no-such-candidate", openingId: opening.id }],
				["openingId", { candidateId: candidate.id }],
				["stage", { candidateId: candidate.id, openingId: opening.id, stage: "offer" }]
			];
			for (const [field, body] of cases) {
				const res = await api().post("/applications", acme.hr, body);
				expect({ field: res.body.data?.[0]?.field, status: res.status }).toEqual({ field, status: 422 });
			}
			expect((await api().get(`/applications?candidateId=${candidate.id}`, acme.hr)).body.total).toBe(0);
		});

		it("shows a manager only the applications to openings they hire for", async () => {
			const mine = await applicationAt(url, acme, "applied");
			const theirs = await applicationAt(url, acme, "applied", await createOpening(url, acme, { hiringManagerId: acme.otherManagerEmployee.id }));
			const list = await api().get("/applications?pageSize=100", acme.manager);
			expect(list.status).toBe(200);
			const ids = list.body.rows.map((a: { id: string }) => a.id);
			expect(ids).toContain(mine.application.id);
			expect(ids).not.toContain(theirs.application.id);
			expect((await api().get(`/applications?openingId=${theirs.opening.id}`, acme.manager)).body.total).toBe(0);
			expect((await api().get(`/applications/${mine.application.id}`, acme.manager)).status).toBe(200);
			expect((await api().get(`/applications/${theirs.application.id}`, acme.manager)).status).toBe(403);
			expect((await api().get(`/applications/${theirs.application.id}`, acme.otherManager)).status).toBe(200);
			expect((await api().post("/applications", acme.manager, { candidateId: mine.candidate.id, openingId: theirs.opening.id })).status).toBe(403);
			expect((await api().get("/applications", acme.employee)).status).toBe(403);
			expect((await api().get(`/applications/${mine.application.id}`, acme.employee)).status).toBe(403);
		});

		it("lists with paging, sort and filters, and refuses unknown ones (422)", async () => {
			const company = await setUpCompany(url, "Pipers");
			const opening = await createOpening(url, company);
			const a = await applicationAt(url, company, "applied", opening);
			const b = await applicationAt(url, company, "screening", opening);
			const c = await applicationAt(url, company, "rejected", opening);
			const all = await api().get("/applications?sort=createdAt&pageSize=2", company.hr);
			expect(all.body).toMatchObject({ total: 3, totalPages: 2 });
			expect(all.body.rows.map((r: { id: string }) => r.id)).toEqual([a.application.id, b.application.id]);
			const last = await api().get("/applications?sort=createdAt&pageSize=2&page=2", company.hr);
			expect(last.body.rows.map((r: { id: string }) => r.id)).toEqual([c.application.id]);
			const screening = await api().get("/applications?stage=screening", company.hr);
			expect(screening.body.rows.map((r: { id: string }) => r.id)).toEqual([b.application.id]);
			const byCandidate = await api().get(`/applications?candidateId=${c.candidate.id}`, company.hr);
			expect(byCandidate.body.rows.map((r: { stage: string }) => r.stage)).toEqual(["rejected"]);
			for (const [query, field] of [
				["status=open", "status"],
				["sort=candidate", "sort"],
				["stage=sleeping", "stage"],
				["pageSize=1000", "pageSize"]
			]) {
				const bad = await api().get(`/applications?${query}`, company.hr);
				expect({ query, status: bad.status, field: bad.body.data?.[0]?.field }).toEqual({ query, status: 422, field });
			}
		});
	});

	// ---- The pipeline: stage moves ----

	describe("moving applications", () => {
		const move = (applicationId: string, stage: string, as: As = acme.hr, reason?: string) =>
			api().post(`/applications/${applicationId}/move`, as, reason === undefined ? { stage } : { stage, reason });

		it("moves forward one stage at a time, records the history and emits stageChanged", async () => {
			const { application, opening, candidate } = await applicationAt(url, acme, "applied");
			const res = await move(application.id, "screening", acme.hr, "strong CV");
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ stage: "screening", closedFrom: null });
			expect(res.body.history).toEqual([expect.objectContaining({ from: "applied", to: "screening", reason: "strong CV", by: acme.hr.id })]);
			expect((await move(application.id, "interview")).body.stage).toBe("interview");
			expect((await move(application.id, "offer")).body.stage).toBe("offer");
			await eventually(() => expect(eventsFor(application.id)).toHaveLength(3));
			expect(eventsFor(application.id)).toEqual([
				expect.objectContaining({
					tenantId: acme.owner.tenant.id,
					applicationId: application.id,
					openingId: opening.id,
					candidateId: candidate.id,
					from: "applied",
					to: "screening",
					// seq 1 is the application's creation (its audit record); each move carries its own after its event.
					reason: "strong CV",
					movedBy: acme.hr.id,
					seq: 2,
					eventId: expect.any(String)
				}),
				expect.objectContaining({ from: "screening", to: "interview", reason: null }),
				expect.objectContaining({ from: "interview", to: "offer" })
			]);
		});

		it("refuses applied → hired, and any move to hired: only an accepted offer hires (409 illegalTransition)", async () => {
			const { application } = await applicationAt(url, acme, "applied");
			const res = await move(application.id, "hired", acme.owner);
			expect(res.status).toBe(409);
			expect(res.body).toMatchObject({ type: "illegalTransition", data: { from: "applied", to: "hired", reason: "hiredByOfferOnly" } });
			const atOffer = await applicationAt(url, acme, "offer");
			const fromOffer = await move(atOffer.application.id, "hired");
			expect(fromOffer.status).toBe(409);
			expect(fromOffer.body.data).toMatchObject({ from: "offer", to: "hired" });
			expect(await stageOf(application.id)).toBe("applied");
			expect(await stageOf(atOffer.application.id)).toBe("offer");
			expect(eventsFor(application.id)).toEqual([]);
		});

		it("refuses to skip a stage or to go back (409 naming from and to), changing nothing", async () => {
			const { application } = await applicationAt(url, acme, "applied");
			for (const stage of ["interview", "offer"]) {
				const res = await move(application.id, stage);
				expect(res.status).toBe(409);
				expect(res.body).toMatchObject({ type: "illegalTransition", data: { from: "applied", to: stage, reason: "skipsStages" } });
			}
			await move(application.id, "screening");
			const back = await move(application.id, "applied");
			expect(back.status).toBe(409);
			expect(back.body.data).toMatchObject({ from: "screening", to: "applied", reason: "backwards" });
			const same = await move(application.id, "screening");
			expect(same.status).toBe(409);
			expect((await api().get(`/applications/${application.id}`, acme.hr)).body.history).toHaveLength(1);
		});

		it("keeps rejected and withdrawn terminal, unless staff reopen to a stage it had reached", async () => {
			const { application } = await applicationAt(url, acme, "interview");
			const rejected = await move(application.id, "rejected", acme.hr, "no fit");
			expect(rejected.body).toMatchObject({ stage: "rejected", closedFrom: "interview" });
			for (const stage of ["offer", "withdrawn"]) {
				const res = await move(application.id, stage);
				expect(res.status).toBe(409);
				expect(res.body.data).toMatchObject({ from: "rejected", to: stage });
			}
			const reopened = await move(application.id, "screening", acme.hr, "second look");
			expect(reopened.status).toBe(200);
			expect(reopened.body).toMatchObject({ stage: "screening", closedFrom: null });
			expect((await move(application.id, "withdrawn")).body.stage).toBe("withdrawn");
			expect((await move(application.id, "applied", acme.owner)).body.stage).toBe("applied");
		});

		it("does not let a manager reopen (403), though they move their own openings' applications", async () => {
			const { application } = await applicationAt(url, acme, "applied");
			expect((await move(application.id, "screening", acme.manager)).status).toBe(200);
			expect((await move(application.id, "rejected", acme.manager)).status).toBe(200);
			const reopen = await move(application.id, "applied", acme.manager);
			expect(reopen.status).toBe(403);
			expect(reopen.body.type).toBe("FORBIDDEN");
			expect(await stageOf(application.id)).toBe("rejected");
			expect((await move(application.id, "applied", acme.hr)).status).toBe(200);
		});

		it("does not let a manager move another opening's application, nor an employee any (403)", async () => {
			const { application } = await applicationAt(url, acme, "applied");
			expect((await move(application.id, "screening", acme.otherManager)).status).toBe(403);
			expect((await move(application.id, "screening", acme.employee)).status).toBe(403);
			expect(await stageOf(application.id)).toBe("applied");
		});

		it("lets exactly one of several concurrent moves from the same stage win", async () => {
			// Targets chosen so that whatever order the requests land in, only the first can be legal.
			for (const targets of [
				["interview", "interview", "interview", "interview"],
				["rejected", "withdrawn", "rejected", "withdrawn"]
			]) {
				const { application } = await applicationAt(url, acme, "screening");
				const answers = await Promise.all(targets.map(stage => move(application.id, stage)));
				expect(answers.map(r => r.status).sort()).toEqual([200, 409, 409, 409]);
				for (const lost of answers.filter(r => r.status === 409)) expect(lost.body.type).toBe("illegalTransition");
				const winner = answers.find(r => r.status === 200)!.body as Application;
				const now = (await api().get(`/applications/${application.id}`, acme.hr)).body;
				expect(now.stage).toBe(winner.stage);
				expect(now.history).toHaveLength(2);
				await eventually(() => expect(eventsFor(application.id).filter(e => e.from === "screening")).toHaveLength(1));
			}
		});

		it("stores a stage change only while the stage is still the expected one (setStage)", async () => {
			const { application } = await applicationAt(url, acme, "screening");
			const meta = { user: { id: acme.hr.id, tenantId: acme.owner.tenant.id, roles: ["hr"], employeeId: null, sessionId: "internal" } };
			const setStage = (stage: string) =>
				system.broker.call<Application, object>(RecruitmentActions.setStage, { id: application.id, stage, expect: "screening" }, { meta });
			const results = await Promise.allSettled([setStage("interview"), setStage("rejected"), setStage("withdrawn"), setStage("interview")]);
			const won = results.filter((r): r is PromiseFulfilledResult<Application> => r.status === "fulfilled");
			expect(won).toHaveLength(1);
			for (const r of results.filter((r): r is PromiseRejectedResult => r.status === "rejected")) {
				expect(r.reason).toMatchObject({ code: 409, type: "illegalTransition" });
			}
			expect(await stageOf(application.id)).toBe(won[0].value.stage);
		});

		it("withdraws the pending offer when an application leaves the offer stage", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id);
			expect((await move(application.id, "withdrawn")).status).toBe(200);
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body.status).toBe("withdrawn");
		});

		it("does not close an application whose offer is being accepted (409), and does once it is sent again", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id);
			await api().post(`/offers/${offer.id}/send`, acme.hr);
			const meta = { user: { id: acme.hr.id, tenantId: acme.owner.tenant.id, roles: ["hr"], employeeId: null, sessionId: "internal" } };
			// What an accept looks like between its claim and its commit.
			await system.broker.call(RecruitmentActions.setOfferStatus, { id: offer.id, status: "accepted", expect: "sent" }, { meta });
			for (const stage of ["rejected", "withdrawn"]) {
				const refused = await move(application.id, stage);
				expect(refused.status).toBe(409);
				expect(refused.body).toMatchObject({ type: "illegalTransition", data: { from: "offer", to: stage, reason: "offerAccepted" } });
			}
			expect(await stageOf(application.id)).toBe("offer");
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body.status).toBe("accepted");
			// The accept rolled back: the offer is sent again, and the move withdraws it.
			await system.broker.call(RecruitmentActions.setOfferStatus, { id: offer.id, status: "sent", expect: "accepted" }, { meta });
			expect((await move(application.id, "rejected")).status).toBe(200);
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body.status).toBe("withdrawn");
		});

		it("refuses a bad body (422 naming the field) and an unknown application (404)", async () => {
			const { application } = await applicationAt(url, acme, "applied");
			const bad = await move(application.id, "promoted");
			expect(bad.status).toBe(422);
			expect(bad.body.data[0].field).toBe("stage");
			const extra = await api().post(`/applications/${application.id}/move`, acme.hr, { stage: "screening", force: true });
			expect(extra.status).toBe(422);
			expect(extra.body.data[0].field).toBe("force");
			expect((await move("no-such-application", "screening")).status).toBe(404);
			expect(await stageOf(application.id)).toBe("applied");
		});
	});

	// ---- Interviews ----

	describe("interviews", () => {
		it("scheduling one moves an application before interview to interview (201)", async () => {
			const { application } = await applicationAt(url, acme, "applied");
			const res = await api().post("/interviews", acme.hr, {
				applicationId: application.id,
				scheduledAt: "2030-05-04T10:30:00+02:00",
				interviewerIds: [acme.interviewer.id, acme.hiringManager.id]
			});
			expect(res.status).toBe(201);
			expect(res.headers.location).toBe(`/api/v1/interviews/${res.body.id}`);
			expect(res.body).toMatchObject({
				applicationId: application.id,
				scheduledAt: "2030-05-04T08:30:00.000Z",
				result: "pending",
				feedback: null,
				interviewerIds: [acme.interviewer.id, acme.hiringManager.id]
			});
			const after = (await api().get(`/applications/${application.id}`, acme.hr)).body;
			expect(after.stage).toBe("interview");
			expect(after.history).toEqual([expect.objectContaining({ from: "applied", to: "interview", reason: "interview scheduled" })]);
			await eventually(() => expect(eventsFor(application.id)).toEqual([expect.objectContaining({ from: "applied", to: "interview" })]));
			// The interviewers are told through a durable event, once.
			await eventually(() =>
				expect(scheduled.filter(e => e.interviewId === res.body.id)).toEqual([
					expect.objectContaining({
						tenantId: acme.owner.tenant.id,
						applicationId: application.id,
						candidateId: application.candidateId,
						scheduledAt: "2030-05-04T08:30:00.000Z",
						interviewerIds: [acme.interviewer.id, acme.hiringManager.id]
					})
				])
			);
		});

		it("leaves an application at interview or offer where it is", async () => {
			for (const stage of ["interview", "offer"] as const) {
				const { application } = await applicationAt(url, acme, stage);
				// On a cluster the events of those moves cross NATS after the answers: count them all.
				await eventually(() => expect(eventsFor(application.id).at(-1)?.to).toBe(stage));
				const before = eventsFor(application.id).length;
				await scheduleInterview(url, acme, application.id);
				expect(await stageOf(application.id)).toBe(stage);
				expect(eventsFor(application.id)).toHaveLength(before);
			}
		});

		it("refuses to interview a rejected or withdrawn application (409)", async () => {
			const { application } = await applicationAt(url, acme, "rejected");
			const res = await api().post("/interviews", acme.hr, {
				applicationId: application.id,
				scheduledAt: "2030-01-01T09:00:00Z",
				interviewerIds: [acme.interviewer.id]
			});
			expect(res.status).toBe(409);
			expect(res.body).toMatchObject({ type: "illegalTransition", data: { from: "rejected", to: "interview" } });
			expect((await api().get(`/interviews?applicationId=${application.id}`, acme.hr)).body.total).toBe(0);
		});

		it("refuses bad input (422 naming the field) and changes nothing", async () => {
			const { application } = await applicationAt(url, acme, "screening");
			const good = { applicationId: application.id, scheduledAt: "2030-01-01T09:00:00Z", interviewerIds: [acme.interviewer.id] };
			const cases: [string, object][] = [
				["scheduledAt", { scheduledAt: "next tuesday" }],
				["scheduledAt", { scheduledAt: "2030-02-30T09:00:00Z" }],
				["scheduledAt", { scheduledAt: "2030-01-01T09:00:00" }],
				["interviewerIds", { interviewerIds: [] }],
				["interviewerIds", { interviewerIds: [globex.interviewer.id] }],
				["interviewerIds", { interviewerIds: ["no-such-employee"] }],
				["applicationId", { applicationId: foreign.application.id }],
				["applicationId", { applicationId: "no-such-application" }],
				["room", { room: "B12" }]
			];
			for (const [field, change] of cases) {
				const res = await api().post("/interviews", acme.hr, { ...good, ...change });
				expect({ field: res.body.data?.[0]?.field, status: res.status }).toEqual({ field, status: 422 });
			}
			expect(await stageOf(application.id)).toBe("screening");
			expect((await api().get(`/interviews?applicationId=${application.id}`, acme.hr)).body.total).toBe(0);
		});

		it("records feedback and result; a manager may for their openings, not for others (403)", async () => {
			const { application } = await applicationAt(url, acme, "screening");
			const interview = await scheduleInterview(url, acme, application.id);
			const res = await api().patch(`/interviews/${interview.id}`, acme.manager, { feedback: "Sharp and kind", result: "pass" });
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ feedback: "Sharp and kind", result: "pass" });
			expect((await api().get(`/interviews/${interview.id}`, acme.manager)).status).toBe(200);
			expect((await api().patch(`/interviews/${interview.id}`, acme.otherManager, { result: "fail" })).status).toBe(403);
			expect((await api().get(`/interviews/${interview.id}`, acme.otherManager)).status).toBe(403);
			expect((await api().get(`/interviews/${interview.id}`, acme.employee)).status).toBe(403);
			const bad = await api().patch(`/interviews/${interview.id}`, acme.hr, { result: "maybe" });
			expect(bad.status).toBe(422);
			expect(bad.body.data[0].field).toBe("result");
			const badPanel = await api().patch(`/interviews/${interview.id}`, acme.hr, { interviewerIds: [globex.interviewer.id], feedback: "x" });
			expect(badPanel.status).toBe(422);
			expect(badPanel.body.data[0].field).toBe("interviewerIds");
			const moved = await api().patch(`/interviews/${interview.id}`, acme.hr, { scheduledAt: "2030-03-02T09:00:00Z" });
			expect(moved.body).toMatchObject({ scheduledAt: "2030-03-02T09:00:00.000Z", feedback: "Sharp and kind", result: "pass" });
		});

		it("lets a manager schedule for their openings only (403 otherwise), and an employee not at all", async () => {
			const { application } = await applicationAt(url, acme, "screening");
			const body = { applicationId: application.id, scheduledAt: "2030-01-01T09:00:00Z", interviewerIds: [acme.interviewer.id] };
			expect((await api().post("/interviews", acme.otherManager, body)).status).toBe(403);
			expect((await api().post("/interviews", acme.employee, body)).status).toBe(403);
			expect(await stageOf(application.id)).toBe("screening");
			expect((await api().post("/interviews", acme.manager, body)).status).toBe(201);
			expect(await stageOf(application.id)).toBe("interview");
		});

		it("lists with paging, sort and filters, scoped for managers, and refuses unknown ones (422)", async () => {
			const company = await setUpCompany(url, "Panels");
			const one = await applicationAt(url, company, "screening");
			const other = await applicationAt(
				url,
				company,
				"screening",
				await createOpening(url, company, { hiringManagerId: company.otherManagerEmployee.id })
			);
			const late = await scheduleInterview(url, company, one.application.id, "2030-06-01T09:00:00Z");
			const early = await scheduleInterview(url, company, one.application.id, "2030-05-01T09:00:00Z");
			const theirs = await scheduleInterview(url, company, other.application.id, "2030-05-15T09:00:00Z");
			await api().patch(`/interviews/${early.id}`, company.hr, { result: "pass" });
			const all = await api().get("/interviews", company.hr);
			expect(all.body.rows.map((i: Interview) => i.id)).toEqual([early.id, theirs.id, late.id]);
			const paged = await api().get("/interviews?sort=-scheduledAt&pageSize=1&page=2", company.hr);
			expect(paged.body).toMatchObject({ total: 3, totalPages: 3 });
			expect(paged.body.rows.map((i: Interview) => i.id)).toEqual([theirs.id]);
			const passed = await api().get("/interviews?result=pass", company.hr);
			expect(passed.body.rows.map((i: Interview) => i.id)).toEqual([early.id]);
			const window = await api().get("/interviews?scheduledFrom=2030-05-10T00:00:00Z&scheduledTo=2030-06-01T09:00:00Z", company.hr);
			expect(window.body.rows.map((i: Interview) => i.id)).toEqual([theirs.id]);
			const byInterviewer = await api().get(`/interviews?interviewerId=${company.interviewer.id}`, company.hr);
			expect(byInterviewer.body.total).toBe(3);
			expect((await api().get(`/interviews?interviewerId=${company.hiringManager.id}`, company.hr)).body.total).toBe(0);
			const managers = await api().get("/interviews", company.manager);
			expect(managers.body.rows.map((i: Interview) => i.id)).toEqual([early.id, late.id]);
			expect((await api().get("/interviews", company.employee)).status).toBe(403);
			for (const [query, field] of [
				["stage=interview", "stage"],
				["sort=feedback", "sort"],
				["scheduledFrom=yesterday", "scheduledFrom"],
				["result=great", "result"]
			]) {
				const bad = await api().get(`/interviews?${query}`, company.hr);
				expect({ query, status: bad.status, field: bad.body.data?.[0]?.field }).toEqual({ query, status: 422, field });
			}
		});
	});

	// ---- Offers ----

	describe("offers", () => {
		it("needs the application in stage offer (409), then makes a draft (201)", async () => {
			const { application } = await applicationAt(url, acme, "interview");
			const early = await api().post("/offers", acme.hr, { applicationId: application.id, startDate: "2030-04-01" });
			expect(early.status).toBe(409);
			expect(early.body.data).toMatchObject({ field: "applicationId", stage: "interview" });
			await api().post(`/applications/${application.id}/move`, acme.hr, { stage: "offer" });
			const res = await api().post("/offers", acme.hr, {
				applicationId: application.id,
				startDate: "2030-04-01",
				salary: 85000,
				currency: "EUR",
				title: "Senior Engineer",
				positionId: acme.positionId,
				expiresAt: "2030-03-15"
			});
			expect(res.status).toBe(201);
			expect(res.headers.location).toBe(`/api/v1/offers/${res.body.id}`);
			expect(res.body).toMatchObject({
				applicationId: application.id,
				candidateId: application.candidateId,
				openingId: application.openingId,
				status: "draft",
				salary: 85000,
				currency: "EUR",
				startDate: "2030-04-01",
				expiresAt: "2030-03-15",
				employeeId: null,
				userId: null,
				createdBy: acme.hr.id
			});
			expect(res.body.liveKey).toBeUndefined();
		});

		it("allows one live offer per application (409); after a decline a new one may be made", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id);
			const second = await api().post("/offers", acme.hr, { applicationId: application.id, startDate: "2030-05-01" });
			expect(second.status).toBe(409);
			expect(second.body.data).toMatchObject({ field: "applicationId" });
			expect((await api().post(`/offers/${offer.id}/send`, acme.hr)).body.status).toBe("sent");
			const declined = await api().post(`/offers/${offer.id}/decline`, acme.hr);
			expect(declined.status).toBe(200);
			expect(declined.body.status).toBe("declined");
			// The application stays at offer: staff may make a better one, or close it.
			expect(await stageOf(application.id)).toBe("offer");
			expect((await api().post("/offers", acme.hr, { applicationId: application.id, startDate: "2030-05-01", salary: 90000 })).status).toBe(201);
		});

		it("refuses bad terms (422 naming the field) and creates nothing", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const cases: [string, object][] = [
				["startDate", { startDate: "2030-02-30" }],
				["startDate", { startDate: "1 April" }],
				// The hire's leave is granted in that year: one leave cannot live in would fail the accept.
				["startDate", { startDate: "1900-01-01" }],
				["startDate", { startDate: "2101-01-01" }],
				["expiresAt", { startDate: "2030-04-01", expiresAt: "2030-13-01" }],
				["currency", { startDate: "2030-04-01", currency: "eur" }],
				["salary", { startDate: "2030-04-01", salary: -1 }],
				["positionId", { startDate: "2030-04-01", positionId: globex.positionId }],
				["applicationId", { startDate: "2030-04-01", applicationId: foreign.application.id }],
				["status", { startDate: "2030-04-01", status: "accepted" }]
			];
			for (const [field, body] of cases) {
				const res = await api().post("/offers", acme.hr, { applicationId: application.id, ...body });
				expect({ field: res.body.data?.[0]?.field, status: res.status }).toEqual({ field, status: 422 });
			}
			expect((await api().get(`/offers?applicationId=${application.id}`, acme.hr)).body.total).toBe(0);
		});

		itInProcess("refuses an expiry already past where an offer is made, changed or sent (422 naming expiresAt); today's is fine", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const made = await api().post("/offers", acme.hr, { applicationId: application.id, startDate: "2030-04-01", expiresAt: "2020-01-01" });
			expect(made.status).toBe(422);
			expect(made.body).toMatchObject({ type: "BUSINESS_RULE", data: [{ field: "expiresAt", type: "past" }] });
			expect((await api().get(`/offers?applicationId=${application.id}`, acme.hr)).body.total).toBe(0);
			// Expiry is counted in UTC days, as accepting counts it: the last day is today's UTC date.
			const today = new Date().toISOString().slice(0, 10);
			const offer = await createOffer(url, acme, application.id, { expiresAt: today });
			const changed = await api().patch(`/offers/${offer.id}`, acme.hr, { expiresAt: "2020-01-01", salary: 1 });
			expect(changed.status).toBe(422);
			expect(changed.body.data[0].field).toBe("expiresAt");
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body).toMatchObject({ expiresAt: today, salary: 70000 });
			// A draft made while its date was ahead, and not sent before the date passed (no route stores a past one).
			const recruitment = system.broker.getLocalService("recruitment") as unknown as { store(name: string): Store };
			await recruitment.store("offers").updateMany({ _id: offer.id }, { $set: { expiresAt: "2020-01-01" } });
			const sent = await api().post(`/offers/${offer.id}/send`, acme.hr);
			expect(sent.status).toBe(422);
			expect(sent.body.data[0]).toMatchObject({ field: "expiresAt", type: "past" });
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body.status).toBe("draft");
			// Given a later date, the same draft goes out.
			expect((await api().patch(`/offers/${offer.id}`, acme.hr, { expiresAt: "2030-03-15" })).status).toBe(200);
			expect((await api().post(`/offers/${offer.id}/send`, acme.hr)).body).toMatchObject({ status: "sent", expiresAt: "2030-03-15" });
		});

		it("edits a draft only; sends, declines and withdraws by the offer rules (409 illegalTransition)", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id);
			const edited = await api().patch(`/offers/${offer.id}`, acme.hr, { salary: 72000, expiresAt: null });
			expect(edited.body).toMatchObject({ salary: 72000, expiresAt: null, status: "draft" });
			const notSent = await api().post(`/offers/${offer.id}/decline`, acme.hr);
			expect(notSent.status).toBe(409);
			expect(notSent.body).toMatchObject({ type: "illegalTransition", data: { from: "draft", to: "declined" } });
			expect((await api().post(`/offers/${offer.id}/send`, acme.hr)).status).toBe(200);
			const locked = await api().patch(`/offers/${offer.id}`, acme.hr, { salary: 1 });
			expect(locked.status).toBe(409);
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body.salary).toBe(72000);
			expect((await api().post(`/offers/${offer.id}/send`, acme.hr)).status).toBe(409);
			expect((await api().post(`/offers/${offer.id}/withdraw`, acme.hr)).body.status).toBe("withdrawn");
			const again = await api().post(`/offers/${offer.id}/decline`, acme.hr);
			expect(again.status).toBe(409);
			expect(again.body.data).toMatchObject({ from: "withdrawn", to: "declined" });
		});

		it("refuses a start date in a year leave cannot live in when a draft is changed (422), changing nothing", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id);
			const res = await api().patch(`/offers/${offer.id}`, acme.hr, { startDate: "9999-12-31", salary: 1 });
			expect(res.status).toBe(422);
			expect(res.body.data[0]).toMatchObject({ field: "startDate", type: "dateMax" });
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body).toMatchObject({ startDate: offer.startDate, salary: offer.salary });
		});

		itInProcess("does not change a draft that was sent after the change read it (409), and the sent terms stay", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id);
			// A send lands between the change's read of the draft and its write, as when both arrive at once.
			const recruitment = system.broker.getLocalService("recruitment") as unknown as { store(name: string): Store };
			const offers = recruitment.store("offers");
			const findOne = offers.findOne.bind(offers);
			const read = jest.spyOn(offers, "findOne").mockImplementationOnce(async query => {
				const draft = await findOne(query);
				expect((await api().post(`/offers/${offer.id}/send`, acme.hr)).status).toBe(200);
				return draft;
			});
			try {
				const changed = await api().patch(`/offers/${offer.id}`, acme.hr, { salary: 99999 });
				expect(changed.status).toBe(409);
				expect(changed.body.data).toMatchObject({ field: "status", status: "sent" });
			} finally {
				read.mockRestore();
			}
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body).toMatchObject({ status: "sent", salary: offer.salary });
		});

		it("keeps a position that an unanswered offer names (409), and lets it go once the offer is withdrawn", async () => {
			const positionId = (await api().post("/positions", acme.owner, { title: `Offered ${Math.random()}` })).body.id;
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id, { positionId });
			const refused = await api().del(`/positions/${positionId}`, acme.owner);
			expect(refused.status).toBe(409);
			expect(refused.body.data).toEqual({ employees: 0, offers: 1 });
			expect((await api().post(`/offers/${offer.id}/withdraw`, acme.hr)).status).toBe(200);
			expect((await api().del(`/positions/${positionId}`, acme.owner)).status).toBe(204);
		});

		describe("a reference to what a delete in org is deleting, made at once", () => {
			// The write must wait for org's delete, then refer to nothing.
			const racing = writtenWhileDeleting;
			const service = (name: string) => system.broker.getLocalService(name) as unknown as { adapter: Store; store(name: string): Store };

			itInProcess("an offer naming a position being deleted: 422 naming positionId, and no offer", async () => {
				const positionId = (await api().post("/positions", acme.owner, { title: `Going ${Math.random()}` })).body.id;
				const { application } = await applicationAt(url, acme, "offer");
				const res = await racing(
					service("recruitment").store("offers"),
					() => api().del(`/positions/${positionId}`, acme.owner),
					() => api().post("/offers", acme.hr, { applicationId: application.id, startDate: "2030-04-01", positionId })
				);
				expect(res.status).toBe(422);
				expect(res.body.data[0].field).toBe("positionId");
				expect((await api().get(`/offers?applicationId=${application.id}`, acme.hr)).body.total).toBe(0);
			});

			itInProcess("an opening in a department being deleted: 422 naming departmentId, and no opening", async () => {
				const departmentId = (await api().post("/departments", acme.owner, { name: `Going ${Math.random()}` })).body.id;
				const res = await racing(
					service("org").adapter,
					() => api().del(`/departments/${departmentId}`, acme.owner),
					() => api().post("/job-openings", acme.hr, openingBody(acme, { departmentId }))
				);
				expect(res.status).toBe(422);
				expect(res.body.data[0].field).toBe("departmentId");
				expect((await api().get(`/job-openings?departmentId=${departmentId}`, acme.hr)).body.total).toBe(0);
			});
		});

		it("is for staff only: managers and employees get 403", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id);
			for (const as of [acme.manager, acme.employee]) {
				expect((await api().get("/offers", as)).status).toBe(403);
				expect((await api().get(`/offers/${offer.id}`, as)).status).toBe(403);
				expect((await api().post("/offers", as, { applicationId: application.id, startDate: "2030-04-01" })).status).toBe(403);
				expect((await api().patch(`/offers/${offer.id}`, as, { salary: 1 })).status).toBe(403);
				for (const action of ["send", "decline", "withdraw"]) expect((await api().post(`/offers/${offer.id}/${action}`, as)).status).toBe(403);
			}
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body.status).toBe("draft");
		});

		it("lists with paging, sort and filters, and refuses unknown ones (422)", async () => {
			const company = await setUpCompany(url, "Offerers");
			const a = await applicationAt(url, company, "offer");
			const b = await applicationAt(url, company, "offer");
			const first = await createOffer(url, company, a.application.id, { startDate: "2030-06-01" });
			const second = await createOffer(url, company, b.application.id, { startDate: "2030-05-01" });
			await api().post(`/offers/${second.id}/send`, company.hr);
			const byStart = await api().get("/offers?sort=startDate", company.hr);
			expect(byStart.body.rows.map((o: Offer) => o.id)).toEqual([second.id, first.id]);
			const paged = await api().get("/offers?sort=startDate&pageSize=1&page=2", company.hr);
			expect(paged.body).toMatchObject({ total: 2, totalPages: 2, rows: [expect.objectContaining({ id: first.id })] });
			expect((await api().get("/offers?status=sent", company.hr)).body.rows.map((o: Offer) => o.id)).toEqual([second.id]);
			expect((await api().get(`/offers?candidateId=${a.candidate.id}`, company.hr)).body.rows.map((o: Offer) => o.id)).toEqual([first.id]);
			for (const [query, field] of [
				["salary=1", "salary"],
				["sort=salary", "sort"],
				["status=pending", "status"]
			]) {
				const bad = await api().get(`/offers?${query}`, company.hr);
				expect({ query, status: bad.status, field: bad.body.data?.[0]?.field }).toEqual({ query, status: 422, field });
			}
		});

		it("lets onboarding claim a sent offer exactly once (setOfferStatus with expect)", async () => {
			const { application } = await applicationAt(url, acme, "offer");
			const offer = await createOffer(url, acme, application.id);
			await api().post(`/offers/${offer.id}/send`, acme.hr);
			const meta = { user: { id: acme.hr.id, tenantId: acme.owner.tenant.id, roles: ["hr"], employeeId: null, sessionId: "internal" } };
			const claim = () => system.broker.call(RecruitmentActions.setOfferStatus, { id: offer.id, status: "accepted", expect: "sent" }, { meta });
			const results = await Promise.allSettled([claim(), claim(), claim()]);
			expect(results.filter(r => r.status === "fulfilled")).toHaveLength(1);
			for (const r of results.filter((r): r is PromiseRejectedResult => r.status === "rejected")) {
				expect(r.reason).toMatchObject({ code: 409, type: "illegalTransition" });
			}
			const linked = await system.broker.call<Offer, object>(
				RecruitmentActions.setOfferStatus,
				{
					id: offer.id,
					status: "accepted",
					expect: "accepted",
					employeeId: acme.interviewer.id,
					userId: acme.hr.id
				},
				{ meta }
			);
			expect(linked).toMatchObject({ status: "accepted", employeeId: acme.interviewer.id, userId: acme.hr.id });
			// Another tenant's caller finds no such offer.
			const stranger = { user: { ...meta.user, tenantId: globex.owner.tenant.id } };
			await expect(system.broker.call(RecruitmentActions.getOffer, { id: offer.id }, { meta: stranger })).rejects.toMatchObject({ code: 404 });
		});
	});

	// ---- Tenant isolation and closed doors ----

	describe("tenant isolation", () => {
		it("answers 404 for another company's records on every route", async () => {
			const { opening, candidate, application, interview, offer } = foreign;
			const routes: [string, string, object?][] = [
				["get", `/job-openings/${opening.id}`],
				["patch", `/job-openings/${opening.id}`, { title: "Hijacked" }],
				["del", `/job-openings/${opening.id}`],
				["get", `/candidates/${candidate.id}`],
				["patch", `/candidates/${candidate.id}`, { firstName: "Hijacked" }],
				["del", `/candidates/${candidate.id}`],
				["get", `/applications/${application.id}`],
				["post", `/applications/${application.id}/move`, { stage: "rejected" }],
				["get", `/interviews/${interview.id}`],
				["patch", `/interviews/${interview.id}`, { feedback: "Hijacked" }],
				["get", `/offers/${offer.id}`],
				["patch", `/offers/${offer.id}`, { salary: 1 }],
				["post", `/offers/${offer.id}/send`],
				["post", `/offers/${offer.id}/decline`],
				["post", `/offers/${offer.id}/withdraw`]
			];
			for (const [verb, path, body] of routes) {
				const res =
					verb === "get" || verb === "del"
						? await api()[verb](path, acme.owner)
						: await api()[verb as "post" | "patch"](path, acme.owner, body ?? {});
				expect({ route: `${verb} ${path}`, status: res.status }).toEqual({ route: `${verb} ${path}`, status: 404 });
			}
			// Globex's records are untouched.
			expect((await api().get(`/job-openings/${opening.id}`, globex.hr)).body.title).toBe(opening.title);
			expect((await api().get(`/candidates/${candidate.id}`, globex.hr)).body.firstName).toBe(candidate.firstName);
			expect((await api().get(`/applications/${application.id}`, globex.hr)).body.stage).toBe("offer");
			expect((await api().get(`/interviews/${interview.id}`, globex.hr)).body.feedback).toBeNull();
			expect((await api().get(`/offers/${offer.id}`, globex.hr)).body).toMatchObject({ status: "draft", salary: offer.salary });
		});

		it("lists only the caller's company, whatever the filters say", async () => {
			const { opening, candidate, application, offer } = foreign;
			expect((await api().get(`/applications?openingId=${opening.id}`, acme.owner)).body.total).toBe(0);
			expect((await api().get(`/applications?candidateId=${candidate.id}`, acme.owner)).body.total).toBe(0);
			expect((await api().get(`/interviews?applicationId=${application.id}`, acme.owner)).body.total).toBe(0);
			expect((await api().get(`/offers?applicationId=${application.id}`, acme.owner)).body.total).toBe(0);
			expect((await api().get(`/candidates?search=${encodeURIComponent(candidate.email)}`, acme.owner)).body.total).toBe(0);
			const openings = (await api().get("/job-openings?pageSize=100", acme.owner)).body.rows.map((o: { id: string }) => o.id);
			expect(openings).not.toContain(opening.id);
			expect((await api().get(`/offers?candidateId=${offer.candidateId}`, acme.owner)).body.total).toBe(0);
		});
	});

	describe("employees", () => {
		it("get 403 on every recruitment route", async () => {
			const { opening, candidate, application, interview, offer } = foreign;
			const as = acme.employee;
			const answers = await Promise.all([
				api().get("/job-openings", as),
				api().post("/job-openings", as, openingBody(acme)),
				api().get(`/job-openings/${opening.id}`, as),
				api().get("/candidates", as),
				api().post("/candidates", as, candidateBody()),
				api().get(`/candidates/${candidate.id}`, as),
				api().get("/applications", as),
				api().post("/applications", as, {}),
				api().get(`/applications/${application.id}`, as),
				api().post(`/applications/${application.id}/move`, as, { stage: "screening" }),
				api().get("/interviews", as),
				api().post("/interviews", as, {}),
				api().get(`/interviews/${interview.id}`, as),
				api().patch(`/interviews/${interview.id}`, as, { feedback: "x" }),
				api().get("/offers", as),
				api().post("/offers", as, {}),
				api().get(`/offers/${offer.id}`, as),
				api().post(`/offers/${offer.id}/decline`, as)
			]);
			expect(answers.map(r => r.status)).toEqual(answers.map(() => 403));
		});

		it("a manager without an employee record sees no openings or applications", async () => {
			const unlinked = await createUser(url, acme.owner, "manager");
			expect((await api().get("/job-openings", unlinked)).body.total).toBe(0);
			expect((await api().get("/applications", unlinked)).body.total).toBe(0);
			const { application } = await applicationAt(url, acme, "applied");
			expect((await api().get(`/applications/${application.id}`, unlinked)).status).toBe(403);
			expect((await api().post(`/applications/${application.id}/move`, unlinked, { stage: "screening" })).status).toBe(403);
		});

		it("a terminated hiring manager sees and moves nothing of their openings, as an employee (403), and changes no offer", async () => {
			const leaver = await hire(url, acme.owner, { firstName: "Lee", lastName: "Leaver", departmentId: acme.departmentId });
			const as = await linkedUser(url, acme.owner, "manager", leaver.id);
			const opening = await createOpening(url, acme, { hiringManagerId: leaver.id });
			const early = await applicationAt(url, acme, "screening", opening);
			const interview = await scheduleInterview(url, acme, early.application.id);
			const late = await applicationAt(url, acme, "offer", opening);
			const offer = await createOffer(url, acme, late.application.id);
			expect((await api().post(`/offers/${offer.id}/send`, acme.hr)).status).toBe(200);
			expect((await api().get("/applications", as)).body.total).toBe(2);
			expect((await api().get(`/job-openings/${opening.id}`, as)).status).toBe(200);

			const inFlight = await staleSession(system.broker, {
				id: as.id,
				tenantId: acme.owner.tenant.id,
				roles: ["manager"],
				employeeId: leaver.id,
				sessionId: "in-flight"
			});
			expect((await api().post(`/employees/${leaver.id}/terminate`, acme.hr, { date: "2024-12-31", reason: "Left" })).status).toBe(200);
			await eventually(async () => expect((await api().get("/applications", as)).status).toBe(401));
			// Requests already past the gateway when the termination landed: nothing to see or move.
			for (const path of ["/job-openings", "/applications", "/interviews"]) {
				expect({ path, total: (await inFlight("GET", path)).body.total }).toEqual({ path, total: 0 });
			}
			const body = { applicationId: early.application.id, scheduledAt: "2030-06-01T09:00:00Z", interviewerIds: [acme.interviewer.id] };
			const answers = await Promise.all([
				inFlight("GET", `/job-openings/${opening.id}`),
				inFlight("GET", `/applications/${early.application.id}`),
				inFlight("GET", `/interviews/${interview.id}`),
				inFlight("PATCH", `/interviews/${interview.id}`, { feedback: "late word", result: "pass" }),
				inFlight("POST", `/applications/${early.application.id}/move`, { stage: "rejected" }),
				inFlight("POST", "/interviews", body),
				inFlight("POST", `/applications/${late.application.id}/move`, { stage: "withdrawn" }),
				inFlight("PATCH", `/offers/${offer.id}`, { salary: 1 }),
				inFlight("POST", `/offers/${offer.id}/withdraw`)
			]);
			expect(answers.map(r => r.status)).toEqual(answers.map(() => 403));
			expect(await stageOf(early.application.id)).toBe("interview");
			expect(await stageOf(late.application.id)).toBe("offer");
			expect((await api().get(`/interviews?applicationId=${early.application.id}`, acme.hr)).body.total).toBe(1);
			expect((await api().get(`/interviews/${interview.id}`, acme.hr)).body).toMatchObject({ feedback: null, result: "pending" });
			expect((await api().get(`/offers/${offer.id}`, acme.hr)).body).toMatchObject({ status: "sent", salary: 70000 });
		});
	});
});
