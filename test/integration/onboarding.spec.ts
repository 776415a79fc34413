/**
 * Onboarding over HTTP: accepting a sent offer hires the candidate (employee, linked user
 * account, leave entitlements, application hired, offer accepted, employee.hired); it is safe
 * to retry and to race; a failing step is compensated; a saga whose node died (its lease run
 * out) is resumed or compensated by the sweep, or taken over by a retried accept; roles,
 * tenants and offer statuses.
 */
import type { Service, ServiceSchema } from "moleculer";
import request from "supertest";
import { RecruitmentActions } from "../../lib/names/recruitment";
import LeaveService from "../../services/data/leave.service";
import { createDepartment, createPosition, hire, startRoomySystem } from "../support/employees";
import { PASSWORD, acceptInvitation, bearer, createUser, login, signup } from "../support/http";
import { mailTo, tokenOf } from "../support/mail";
import { leaveType } from "../support/leave";
import type { RunningSystem } from "../support/local-system";
import { type HireLog, type SentOffer, accept, listenToHires, metaUser, sentOffer } from "../support/onboarding";
import { type As, type Company, applicationAt, client, createOffer, createOpening, setUpCompany } from "../support/recruitment";
import { clusterTopology, eventually, itInProcess } from "../support/cluster-topology";
import { hireRequest } from "../../lib/onboarding/hire";
import { EmployeeActions, OnboardingSagaActions, type SagaOffer } from "../../lib/names";
import type { Store } from "../../lib/store/types";
import { suiteTimeout } from "../support/timeouts";

// Sweeps for stalled sagas often in one process (read when the system starts); a cluster's nodes keep their default.
process.env.ONBOARDING_SWEEP_INTERVAL ??= "200";
/** How long the sweep may take to notice a stalled saga and finish it. */
const SWEEP_WAIT_MS = clusterTopology ? 30_000 : 10_000;

// Each company is a signup and several users (password hashing): seconds, not milliseconds.
suiteTimeout(60_000);

describe("onboarding", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Company;
	let globex: Company;
	let hires: HireLog;
	/** Acme's leave types: every hire gets an entitlement for each. */
	let types: { id: string; name: string }[];

	const api = () => client(url);
	const employeesMatching = async (search: string, as: As = acme.hr) => (await api().get("/employees", as).query({ search })).body.total;
	const usersMatching = async (search: string, as: As = acme.hr) => (await api().get("/users", as).query({ search })).body.total;
	const entitlementCount = async (as: As = acme.hr) => (await api().get("/leave-entitlements?pageSize=1", as)).body.total;
	const offerOf = async (offerId: string, as: As = acme.hr) => (await api().get(`/offers/${offerId}`, as)).body;
	const stageOf = async (applicationId: string, as: As = acme.hr) => (await api().get(`/applications/${applicationId}`, as)).body.stage;

	/** Nothing of a hire exists: no employee or account for the email, the offer sent again, the application at offer. */
	async function expectNoHire(sent: SentOffer, email: string, usersBefore = 0): Promise<void> {
		expect(await employeesMatching(email)).toBe(0);
		expect(await usersMatching(email)).toBe(usersBefore);
		expect(await offerOf(sent.offer.id)).toMatchObject({ status: "sent", employeeId: null, userId: null });
		expect(await stageOf(sent.application.id)).toBe("offer");
		expect(hires.about(sent.offer.id)).toEqual([]);
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		hires = await listenToHires(system.broker);
		[acme, globex] = await Promise.all([setUpCompany(url, "Acme"), setUpCompany(url, "Globex")]);
		types = await Promise.all([
			leaveType(url, acme.hr, { name: "Annual leave", yearlyAllowance: 25 }),
			leaveType(url, acme.hr, { name: "Sick leave", yearlyAllowance: 10, paid: true })
		]);
	});
	afterAll(() => system?.stop());

	describe("accepting a sent offer", () => {
		it("hires the candidate: employee, linked user account, entitlements, application hired, offer accepted, employee.hired (201)", async () => {
			const sent = await sentOffer(url, acme, { positionId: acme.positionId, startDate: "2030-04-01" });
			const { candidate, application, opening } = sent;
			const res = await accept(url, acme.hr, sent.offer.id);
			expect(res.status).toBe(201);
			const { offer, employee, user } = res.body;
			expect(res.body).not.toHaveProperty("initialPassword");
			expect(res.headers.location).toBe(`/api/v1/employees/${employee.id}`);

			expect(employee).toMatchObject({
				firstName: candidate.firstName,
				lastName: candidate.lastName,
				workEmail: candidate.email,
				hireDate: "2030-04-01",
				departmentId: opening.departmentId,
				managerId: acme.hiringManager.id,
				positionId: acme.positionId,
				employmentType: "full_time",
				status: "active",
				userId: user.id
			});
			expect(user).toMatchObject({ email: candidate.email, role: "employee", status: "invited", employeeId: employee.id, name: "Cara Candidate" });
			expect(user.passwordHash).toBeUndefined();
			expect(offer).toMatchObject({ id: sent.offer.id, status: "accepted", employeeId: employee.id, userId: user.id });

			// Stored as answered.
			expect((await api().get(`/employees/${employee.id}`, acme.hr)).body).toMatchObject({
				departmentId: acme.departmentId,
				managerId: acme.hiringManager.id,
				hireDate: "2030-04-01",
				userId: user.id
			});
			expect(await offerOf(sent.offer.id)).toMatchObject({ status: "accepted", employeeId: employee.id, userId: user.id });
			const app = (await api().get(`/applications/${application.id}`, acme.hr)).body;
			expect(app.stage).toBe("hired");
			expect(app.history.at(-1)).toMatchObject({ from: "offer", to: "hired", by: acme.hr.id });

			// One entitlement per leave type for the start year, at the type's allowance.
			const entitlements = (await api().get(`/leave-entitlements?employeeId=${employee.id}&year=2030`, acme.hr)).body;
			expect(entitlements.total).toBe(types.length);
			const allowance = Object.fromEntries(entitlements.rows.map((e: { leaveTypeId: string; days: number }) => [e.leaveTypeId, e.days]));
			expect(allowance).toEqual({ [types[0].id]: 25, [types[1].id]: 10 });

			// The new employee follows the mailed invitation, chooses a password, and is linked to their record.
			await acceptInvitation(url, candidate.email, "Caras-Own-Secret-Phrase");
			const session = await login(url, candidate.email, "Caras-Own-Secret-Phrase");
			const me = (await api().get("/me", session)).body;
			expect(me).toMatchObject({ id: user.id, role: "employee", employeeId: employee.id, tenant: { id: acme.owner.tenant.id } });
			expect((await api().get(`/employees/${employee.id}`, session)).status).toBe(200);
			expect((await api().get(`/leave-entitlements?year=2030`, session)).body.total).toBe(types.length);

			expect(await hires.next(sent.offer.id)).toMatchObject({
				tenantId: acme.owner.tenant.id,
				employeeId: employee.id,
				userId: user.id,
				offerId: sent.offer.id,
				managerId: acme.hiringManager.id,
				departmentId: opening.departmentId
			});
			// The saga's record, as an operator sees it on the offer: done, and nothing of who held it.
			expect(offer.onboarding).toMatchObject({ state: "done", step: "commit", employeeId: employee.id, userId: user.id, error: null });
			expect(offer.onboarding).not.toHaveProperty("actor");
			expect(offer).not.toHaveProperty("_outbox");
		});

		it("hires a candidate who has an account at another company: a second membership, joined with their own password", async () => {
			const elsewhere = await signup(url, "Elsewhere Ltd");
			const pipeline = await applicationAt(url, acme, "offer");
			expect((await api().patch(`/candidates/${pipeline.candidate.id}`, acme.hr, { email: elsewhere.email })).status).toBe(200);
			const offer = await createOffer(url, acme, pipeline.application.id);
			await api().post(`/offers/${offer.id}/send`, acme.hr);
			const res = await accept(url, acme.hr, offer.id);
			expect(res.status).toBe(201);
			expect(res.body.user).toMatchObject({ email: elsewhere.email, status: "invited", tenantId: acme.owner.tenant.id });

			// A password is the person's own: the invitation neither asks for one nor takes one.
			const token = tokenOf(await mailTo(elsewhere.email, "invitation"));
			const withPassword = await request(url).post("/api/v1/auth/activate").send({ token, password: "Somebody-Elses-Choice-9" });
			expect(withPassword.status).toBe(422);
			expect(withPassword.body.data[0].field).toBe("password");
			const joined = await request(url).post("/api/v1/auth/activate").send({ token });
			expect(joined.status).toBe(200);
			expect(joined.body).toMatchObject({
				tenantId: acme.owner.tenant.id,
				user: { id: res.body.user.id, status: "active", employeeId: res.body.employee.id }
			});

			// One person, two companies: each token names one, and sees only that one.
			const signedIn = await login(url, elsewhere.email);
			expect((signedIn as unknown as { companies: Array<{ name: string }> }).companies.map(c => c.name).sort()).toEqual(
				[acme.owner.tenant.name, "Elsewhere Ltd"].sort()
			);
			const inAcme = await request(url).post("/api/v1/auth/login").send({ email: elsewhere.email, password: PASSWORD, companyId: acme.owner.tenant.id });
			expect((await request(url).get("/api/v1/me").set(bearer(inAcme.body.accessToken))).body).toMatchObject({
				role: "employee",
				employeeId: res.body.employee.id
			});
			expect((await request(url).get("/api/v1/me").set(bearer(elsewhere.accessToken))).body).toMatchObject({
				role: "owner",
				employeeId: null,
				tenant: { name: "Elsewhere Ltd" }
			});
		});

		it("is safe to retry: the same employee and user again (200, no password), nothing new created", async () => {
			const sent = await sentOffer(url, acme);
			const first = await accept(url, acme.hr, sent.offer.id);
			expect(first.status).toBe(201);
			const [employeesBefore, usersBefore, entitlementsBefore] = await Promise.all([
				api()
					.get("/employees?pageSize=1", acme.hr)
					.then(r => r.body.total),
				api()
					.get("/users?pageSize=1", acme.hr)
					.then(r => r.body.total),
				entitlementCount()
			]);
			for (const as of [acme.hr, acme.owner]) {
				const again = await accept(url, as, sent.offer.id);
				expect(again.status).toBe(200);
				expect(again.headers.location).toBeUndefined();
				expect(again.body).toMatchObject({
					offer: { id: sent.offer.id, status: "accepted", employeeId: first.body.employee.id, userId: first.body.user.id },
					employee: { id: first.body.employee.id, workEmail: sent.candidate.email },
					user: { id: first.body.user.id, email: sent.candidate.email, employeeId: first.body.employee.id }
				});
			}
			expect((await api().get("/employees?pageSize=1", acme.hr)).body.total).toBe(employeesBefore);
			expect((await api().get("/users?pageSize=1", acme.hr)).body.total).toBe(usersBefore);
			expect(await entitlementCount()).toBe(entitlementsBefore);
			expect(hires.about(sent.offer.id)).toHaveLength(1);
		});

		it("hires exactly once when two accepts race: one 201, the other 409 or the same hire", async () => {
			const sent = await sentOffer(url, acme);
			const results = await Promise.all([accept(url, acme.hr, sent.offer.id), accept(url, acme.owner, sent.offer.id)]);
			const created = results.filter(r => r.status === 201);
			expect(created).toHaveLength(1);
			const other = results.find(r => r !== created[0])!;
			expect([200, 409]).toContain(other.status);
			if (other.status === 200) expect(other.body.employee.id).toBe(created[0].body.employee.id);
			else expect(other.body.type).toMatch(/illegalTransition|CONFLICT/);
			expect(await employeesMatching(sent.candidate.email)).toBe(1);
			expect(await usersMatching(sent.candidate.email)).toBe(1);
			expect(await offerOf(sent.offer.id)).toMatchObject({ status: "accepted", employeeId: created[0].body.employee.id });
			// Once the winner is done, a retry answers its hire.
			const retry = await accept(url, acme.hr, sent.offer.id);
			expect(retry.status).toBe(200);
			expect(retry.body.employee.id).toBe(created[0].body.employee.id);
		});

		it("tells the losers of concurrent accepts that the offer is being (or was) accepted (409)", async () => {
			const sent = await sentOffer(url, acme);
			const results = await Promise.all([acme.hr, acme.owner, acme.hr, acme.owner].map(as => accept(url, as, sent.offer.id)));
			expect(results.filter(r => r.status === 201)).toHaveLength(1);
			for (const lost of results.filter(r => r.status !== 201)) {
				// A loser that looked after the winner had finished is answered the same hire.
				if (lost.status === 200) continue;
				expect(lost.status).toBe(409);
				expect(lost.body.message).toMatch(/being accepted|accepted already/);
			}
			expect(await employeesMatching(sent.candidate.email)).toBe(1);

			// The claim itself, raced where its message is made: nodes that read the offer sent and lost the write.
			const other = await sentOffer(url, acme);
			const claim = (n: number) =>
				system.broker.call<SagaOffer, object>(
					OnboardingSagaActions.start,
					{
						id: other.offer.id,
						sagaId: `race-${n}-${other.offer.id}`,
						employeeId: `emp-${n}-${other.offer.id}`,
						userId: `usr-${n}-${other.offer.id}`,
						holder: `node-${n}`,
						leaseMs: 60_000
					},
					{ meta: { user: metaUser(acme) } }
				);
			const claims = await Promise.allSettled([1, 2, 3, 4].map(claim));
			expect(claims.filter(c => c.status === "fulfilled")).toHaveLength(1);
			for (const c of claims.filter((c): c is PromiseRejectedResult => c.status === "rejected")) {
				expect(c.reason).toMatchObject({ code: 409, type: "illegalTransition", data: { from: "accepted", to: "accepted" } });
				expect(c.reason.message).toBe("The offer is already being accepted by another request; try again shortly");
			}
		});

		it("ends consistent when a move to rejected races the accept: hired with the offer accepted, or rejected with it withdrawn", async () => {
			for (let attempt = 1; attempt <= 3; attempt++) {
				const sent = await sentOffer(url, acme);
				const [accepted, moved] = await Promise.all([
					accept(url, acme.hr, sent.offer.id),
					api().post(`/applications/${sent.application.id}/move`, acme.owner, { stage: "rejected" })
				]);
				const [offer, stage] = await Promise.all([offerOf(sent.offer.id), stageOf(sent.application.id)]);
				if (accepted.status === 201) {
					expect({ attempt, moved: moved.status, stage, offer: offer.status }).toEqual({ attempt, moved: 409, stage: "hired", offer: "accepted" });
					continue;
				}
				expect({ attempt, accepted: accepted.status, moved: moved.status, stage, offer: offer.status }).toEqual({
					attempt,
					accepted: 409,
					moved: 200,
					stage: "rejected",
					offer: "withdrawn"
				});
				expect(await employeesMatching(sent.candidate.email)).toBe(0);
				// Nothing live is left to accept: a retry is refused before any hire is tried.
				const again = await accept(url, acme.hr, sent.offer.id);
				expect(again.status).toBe(409);
				expect(again.body.data).toMatchObject({ from: "withdrawn", reason: "offerStatus" });
			}
		});

		it("starts the entitlements in the year of the start date", async () => {
			const sent = await sentOffer(url, acme, { startDate: "2031-12-31" });
			const res = await accept(url, acme.hr, sent.offer.id);
			expect(res.status).toBe(201);
			const { employee } = res.body;
			expect((await api().get(`/leave-entitlements?employeeId=${employee.id}&year=2031`, acme.hr)).body.total).toBe(types.length);
			expect((await api().get(`/leave-entitlements?employeeId=${employee.id}&year=2030`, acme.hr)).body.total).toBe(0);
			expect(employee.positionId).toBeNull();
		});
	});

	describe("when a step fails", () => {
		itInProcess("undoes the hire when the candidate's email already has a user account (409), and succeeds once that is fixed", async () => {
			const taken = await createUser(url, acme.owner, "employee");
			const pipeline = await applicationAt(url, acme, "offer");
			const clash = await api().patch(`/candidates/${pipeline.candidate.id}`, acme.hr, { email: taken.email });
			expect(clash.status).toBe(200);
			const offer = await createOffer(url, acme, pipeline.application.id);
			await api().post(`/offers/${offer.id}/send`, acme.hr);
			const sent: SentOffer = { ...pipeline, offer };
			const [employeesBefore, entitlementsBefore] = await Promise.all([
				api()
					.get("/employees?pageSize=1", acme.hr)
					.then(r => r.body.total),
				entitlementCount()
			]);

			const warnings = jest.spyOn(system.broker.getLocalService("onboarding")!.logger, "warn");
			const res = await accept(url, acme.hr, offer.id);
			expect(res.status).toBe(409);
			expect(res.body).toMatchObject({ type: "CONFLICT", data: { field: "email" } });
			// It got past the hire: the account was the step that failed, and the employee was undone.
			expect(warnings).toHaveBeenCalledWith(expect.stringContaining(`offer ${offer.id} failed at 'invite the new hire'`), expect.anything());
			warnings.mockRestore();
			// The employee was hired before the account failed: it is gone again, with nothing of it left.
			await expectNoHire(sent, taken.email, 1);
			expect((await api().get("/employees?pageSize=1", acme.hr)).body.total).toBe(employeesBefore);
			expect(await entitlementCount()).toBe(entitlementsBefore);
			expect((await login(url, taken.email)).accessToken).toBeTruthy();

			// Fixed: the candidate gets their own email; the same offer is accepted now.
			const fixed = await api().patch(`/candidates/${pipeline.candidate.id}`, acme.hr, { email: `fixed-${taken.email}` });
			expect(fixed.status).toBe(200);
			const retry = await accept(url, acme.hr, offer.id);
			expect(retry.status).toBe(201);
			expect(retry.body.employee.workEmail).toBe(`fixed-${taken.email}`);
			expect(await employeesMatching(`fixed-${taken.email}`)).toBe(1);
			expect(await offerOf(offer.id)).toMatchObject({ status: "accepted", employeeId: retry.body.employee.id, userId: retry.body.user.id });
			expect(await stageOf(pipeline.application.id)).toBe("hired");
			expect(await hires.next(offer.id)).toMatchObject({ employeeId: retry.body.employee.id });
		});

		const sentFor = async (openingOverrides: Record<string, unknown>, offerOverrides: Record<string, unknown> = {}): Promise<SentOffer> => {
			const pipeline = await applicationAt(url, acme, "offer", await createOpening(url, acme, openingOverrides));
			const offer = await createOffer(url, acme, pipeline.application.id, offerOverrides);
			return { ...pipeline, offer: (await api().post(`/offers/${offer.id}/send`, acme.hr)).body };
		};
		const expectGone = async (sent: SentOffer, gone: string, message: string) => {
			const res = await accept(url, acme.hr, sent.offer.id);
			expect({ gone, status: res.status, message: res.body.message }).toEqual({ gone, status: 409, message });
			expect(res.body).toMatchObject({ type: "CONFLICT", data: { reason: "referenceGone", gone } });
			await expectNoHire(sent, sent.candidate.email);
		};

		it("answers 409 saying which part of the opening is gone (department, hiring manager), and hires no one", async () => {
			const [departmentId, manager] = await Promise.all([
				createDepartment(url, acme.owner, `Gone ${Date.now()}`),
				hire(url, acme.owner, { firstName: "Mona", lastName: "Leaving" })
			]);
			const inDepartment = await sentFor({ departmentId });
			const underManager = await sentFor({ hiringManagerId: manager.id });
			// A closed opening's sent offer can still be accepted, and nothing points at the department any more.
			expect((await api().patch(`/job-openings/${inDepartment.opening.id}`, acme.hr, { status: "closed" })).status).toBe(200);
			expect((await api().del(`/departments/${departmentId}`, acme.owner)).status).toBe(204);
			expect((await api().post(`/employees/${manager.id}/terminate`, acme.owner, { date: "2024-06-30", reason: "moved on" })).status).toBe(200);

			await expectGone(inDepartment, "opening.departmentId", "The opening's department no longer exists: change the opening before accepting");
			await expectGone(
				underManager,
				"opening.hiringManagerId",
				"The opening's hiring manager is no longer an active employee: change the opening before accepting"
			);
		});

		itInProcess("answers 409 naming the offer's position when it is gone, and hires no one", async () => {
			const positionId = await createPosition(url, acme.owner, `Gone ${Date.now()}`);
			const inPosition = await sentFor({}, { positionId });
			// A sent offer keeps its position; one removed before that rule (stored data) is what is left to explain.
			expect((await api().del(`/positions/${positionId}`, acme.owner)).status).toBe(409);
			const org = system.broker.getLocalService("org") as unknown as { store(name: string): Store };
			await org.store("positions").removeById(positionId);
			await expectGone(inPosition, "offer.positionId", "The offer's position no longer exists: withdraw the offer and make a new one");
		});

		it("changes nothing when the candidate's email is already an employee's work email (409 naming workEmail)", async () => {
			const colleague = await hire(url, acme.owner, { firstName: "Wanda", lastName: "Working" });
			const pipeline = await applicationAt(url, acme, "offer");
			await api().patch(`/candidates/${pipeline.candidate.id}`, acme.hr, { email: colleague.workEmail });
			const offer = await createOffer(url, acme, pipeline.application.id);
			await api().post(`/offers/${offer.id}/send`, acme.hr);
			const usersBefore = await usersMatching(colleague.workEmail);

			const res = await accept(url, acme.hr, offer.id);
			expect(res.status).toBe(409);
			expect(res.body.data).toMatchObject({ field: "workEmail" });
			expect(await employeesMatching(colleague.workEmail)).toBe(1);
			expect(await usersMatching(colleague.workEmail)).toBe(usersBefore);
			expect(await offerOf(offer.id)).toMatchObject({ status: "sent", employeeId: null, userId: null });
			expect(await stageOf(pipeline.application.id)).toBe("offer");
		});
	});

	describe("when the node running a saga dies", () => {
		const meta = () => ({ meta: { user: metaUser(acme) } });
		/** A saga claimed by a node that is alive (for the lease given). */
		async function claimedByANode(sent: SentOffer, leaseMs = 60_000): Promise<SagaOffer> {
			return system.broker.call<SagaOffer, object>(
				OnboardingSagaActions.start,
				{
					id: sent.offer.id,
					sagaId: `saga-${sent.offer.id}`,
					employeeId: `emp-${sent.offer.id}`,
					userId: `usr-${sent.offer.id}`,
					holder: "dead-node",
					leaseMs
				},
				meta()
			);
		}
		/**
		 * What a node leaves behind when it dies right after the hire (the step recorded before it
		 * ran), `record` saying more: its last record lets the lease run out at once.
		 */
		async function hiredByADeadNode(sent: SentOffer, record: object = {}): Promise<SagaOffer> {
			const { saga } = await claimedByANode(sent);
			await system.broker.call(EmployeeActions.hireWithId, { id: saga.employeeId, ...hireRequest(sent.offer, sent.candidate, sent.opening) }, meta());
			const recorded = await system.broker.call<SagaOffer, object>(
				OnboardingSagaActions.record,
				{
					id: sent.offer.id,
					sagaId: saga.sagaId,
					holder: saga.holder,
					step: "hire",
					leaseMs: 1,
					...record
				},
				meta()
			);
			// Run out for sure: within the same millisecond the lease still holds (a quick machine saw a 409).
			while (Date.now() <= recorded.saga.leaseUntil) await new Promise(resolve => setTimeout(resolve, 1));
			return recorded;
		}

		it("the sweep resumes a stalled saga forward: the hire it started, one user, application hired, one employee.hired", async () => {
			const sent = await sentOffer(url, acme);
			const { saga } = await hiredByADeadNode(sent);
			await eventually(
				async () => expect(await offerOf(sent.offer.id)).toMatchObject({ status: "accepted", employeeId: saga.employeeId, userId: saga.userId }),
				SWEEP_WAIT_MS
			);
			expect((await offerOf(sent.offer.id)).onboarding).toMatchObject({ sagaId: saga.sagaId, state: "done", attempts: 1 });
			// The employee the dead node hired, not a second one; the account linked to it.
			expect(await employeesMatching(sent.candidate.email)).toBe(1);
			expect((await api().get(`/users/${saga.userId}`, acme.hr)).body).toMatchObject({
				email: sent.candidate.email,
				employeeId: saga.employeeId,
				status: "invited"
			});
			expect((await api().get(`/employees/${saga.employeeId}`, acme.hr)).body).toMatchObject({ userId: saga.userId });
			expect(await stageOf(sent.application.id)).toBe("hired");
			expect((await api().get(`/leave-entitlements?employeeId=${saga.employeeId}`, acme.hr)).body.total).toBe(types.length);
			expect(await hires.next(sent.offer.id)).toMatchObject({ employeeId: saga.employeeId, userId: saga.userId });
			expect(hires.about(sent.offer.id)).toHaveLength(1);
			// The new hire got their invitation although the node that began never sent it.
			await acceptInvitation(url, sent.candidate.email);
			// A retry now answers the finished hire.
			expect((await accept(url, acme.hr, sent.offer.id)).status).toBe(200);
		});

		it("the sweep finishes a compensation its node left half done: no employee, no user, the offer sent again", async () => {
			const sent = await sentOffer(url, acme);
			const { saga } = await hiredByADeadNode(sent, { step: "invite", state: "compensating", error: "the node gave up" });
			await eventually(
				async () =>
					expect(await offerOf(sent.offer.id)).toMatchObject({ status: "sent", onboarding: { state: "compensated", error: "the node gave up" } }),
				SWEEP_WAIT_MS
			);
			await expectNoHire(sent, sent.candidate.email);
			expect((await api().get(`/employees/${saga.employeeId}`, acme.hr)).status).toBe(404);
			// Sent again: it can be accepted afresh.
			expect((await accept(url, acme.hr, sent.offer.id)).status).toBe(201);
		});

		itInProcess("a retried accept takes a stalled saga over (201, the same hire), and answers 409 while a live node holds it", async () => {
			const onboarding = system.broker.getLocalService("onboarding") as Service & { sweepStalled(): Promise<void> };
			// The sweep is paused, so that the retry is what takes the saga over.
			const sweep = jest.spyOn(onboarding, "sweepStalled").mockResolvedValue();
			try {
				const held = await sentOffer(url, acme);
				await claimedByANode(held);
				const busy = await accept(url, acme.hr, held.offer.id);
				expect(busy.status).toBe(409);
				expect(busy.body).toMatchObject({ type: "CONFLICT", data: { status: "accepted" } });
				expect(await employeesMatching(held.candidate.email)).toBe(0);

				const stalled = await sentOffer(url, acme);
				const { saga } = await hiredByADeadNode(stalled);
				const res = await accept(url, acme.hr, stalled.offer.id);
				// The body says why, should it be a 409 (a lease lost, or a rolled-back hire).
				expect({ status: res.status, body: res.body }).toMatchObject({
					status: 201,
					body: {
						offer: { status: "accepted", employeeId: saga.employeeId, userId: saga.userId },
						employee: { id: saga.employeeId },
						user: { id: saga.userId }
					}
				});
				expect(res.body.offer.onboarding).toMatchObject({ state: "done", attempts: 1 });
				expect(await employeesMatching(stalled.candidate.email)).toBe(1);
				expect(await stageOf(stalled.application.id)).toBe("hired");
				expect(await hires.next(stalled.offer.id)).toMatchObject({ employeeId: saga.employeeId });
			} finally {
				sweep.mockRestore();
			}
		});
	});

	describe("who may accept", () => {
		it("is for staff: managers (even the hiring manager) and employees get 403 and change nothing", async () => {
			const sent = await sentOffer(url, acme);
			for (const as of [acme.manager, acme.otherManager, acme.employee]) {
				const res = await accept(url, as, sent.offer.id);
				expect(res.status).toBe(403);
			}
			await expectNoHire(sent, sent.candidate.email);
			expect((await accept(url, acme.owner, sent.offer.id)).status).toBe(201);
		});

		it("answers 404 for another company's offer and for an unknown one, changing nothing", async () => {
			const theirs = await sentOffer(url, globex);
			const res = await accept(url, acme.owner, theirs.offer.id);
			expect(res.status).toBe(404);
			expect(res.body.type).toBe("NOT_FOUND");
			expect(await offerOf(theirs.offer.id, globex.hr)).toMatchObject({ status: "sent", employeeId: null });
			expect(await employeesMatching(theirs.candidate.email, globex.hr)).toBe(0);
			expect(await stageOf(theirs.application.id, globex.hr)).toBe("offer");
			expect((await accept(url, acme.hr, "no-such-offer")).status).toBe(404);
			// Globex may still accept its own offer.
			expect((await accept(url, globex.hr, theirs.offer.id)).status).toBe(201);
		});

		it("lets no client choose the id of an employee or a user, as onboarding does internally (422 naming id)", async () => {
			const email = `chosen-${Date.now()}@example.test`;
			const employee = await api().post("/employees", acme.hr, {
				id: "chosen-employee",
				firstName: "Cho",
				lastName: "Sen",
				workEmail: email,
				hireDate: "2030-01-01"
			});
			expect(employee.status).toBe(422);
			expect(employee.body.data[0].field).toBe("id");
			const user = await api().post("/users", acme.hr, { id: "chosen-user", email, name: "Cho Sen", role: "employee" });
			expect(user.status).toBe(422);
			expect(user.body.data[0].field).toBe("id");
			expect(await employeesMatching(email)).toBe(0);
			expect(await usersMatching(email)).toBe(0);
		});

		it("refuses unknown body fields (422 naming the field) and changes nothing", async () => {
			const sent = await sentOffer(url, acme);
			const res = await accept(url, acme.hr, sent.offer.id, { employeeId: acme.hiringManager.id });
			expect(res.status).toBe(422);
			expect(res.body.data[0].field).toBe("employeeId");
			await expectNoHire(sent, sent.candidate.email);
		});
	});

	describe("offers that cannot be accepted", () => {
		it("refuses a draft, a declined and a withdrawn offer (409 illegalTransition) and hires no one", async () => {
			const draft = await applicationAt(url, acme, "offer");
			const draftOffer = await createOffer(url, acme, draft.application.id);
			const declined = await sentOffer(url, acme);
			await api().post(`/offers/${declined.offer.id}/decline`, acme.hr);
			const withdrawn = await sentOffer(url, acme);
			await api().post(`/offers/${withdrawn.offer.id}/withdraw`, acme.hr);
			const cases: [string, string, string][] = [
				[draftOffer.id, "draft", draft.candidate.email],
				[declined.offer.id, "declined", declined.candidate.email],
				[withdrawn.offer.id, "withdrawn", withdrawn.candidate.email]
			];
			for (const [offerId, status, email] of cases) {
				const res = await accept(url, acme.hr, offerId);
				expect({ status, code: res.status }).toEqual({ status, code: 409 });
				expect(res.body).toMatchObject({ type: "illegalTransition", data: { from: status, to: "accepted", reason: "offerStatus" } });
				expect((await offerOf(offerId)).status).toBe(status);
				expect(await employeesMatching(email)).toBe(0);
			}
		});

		itInProcess("refuses an offer past its expiry date (409) and hires no one", async () => {
			const sent = await sentOffer(url, acme, { expiresAt: new Date().toISOString().slice(0, 10) });
			// Sent on its last day, and the day has passed (no route stores a past date).
			const recruitment = system.broker.getLocalService("recruitment") as unknown as { store(name: string): Store };
			await recruitment.store("offers").updateMany({ _id: sent.offer.id }, { $set: { expiresAt: "2020-01-31" } });
			const res = await accept(url, acme.hr, sent.offer.id);
			expect(res.status).toBe(409);
			expect(res.body).toMatchObject({ type: "illegalTransition", data: { reason: "expired" } });
			await expectNoHire(sent, sent.candidate.email);
		});

		it("answers 409 while another request is still accepting the offer (accepted, no hire recorded yet)", async () => {
			const sent = await sentOffer(url, acme);
			// What a concurrent accept looks like between its claim and its commit.
			await system.broker.call(
				RecruitmentActions.setOfferStatus,
				{ id: sent.offer.id, status: "accepted", expect: "sent" },
				{ meta: { user: metaUser(acme) } }
			);
			const res = await accept(url, acme.hr, sent.offer.id);
			expect(res.status).toBe(409);
			expect(res.body).toMatchObject({ type: "CONFLICT", data: { status: "accepted" } });
			expect(await employeesMatching(sent.candidate.email)).toBe(0);
			expect(await offerOf(sent.offer.id)).toMatchObject({ status: "accepted", employeeId: null });
		});

		it("refuses an offer whose application left the race meanwhile (409), claiming nothing", async () => {
			const sent = await sentOffer(url, acme);
			// Only internal calls can get here (a pipeline move to rejected withdraws the offer).
			await system.broker.call(
				RecruitmentActions.setStage,
				{ id: sent.application.id, stage: "rejected", expect: "offer" },
				{ meta: { user: metaUser(acme) } }
			);
			const res = await accept(url, acme.hr, sent.offer.id);
			expect(res.status).toBe(409);
			expect(res.body).toMatchObject({ type: "illegalTransition", data: { from: "rejected", to: "hired" } });
			expect(await offerOf(sent.offer.id)).toMatchObject({ status: "sent", employeeId: null });
			expect(await employeesMatching(sent.candidate.email)).toBe(0);
		});
	});
});

describe("onboarding while a data service is down", () => {
	let system: RunningSystem;
	let url: string;
	let company: Company;

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		company = await setUpCompany(url, "Initech");
		await leaveType(url, company.hr, { name: "Annual leave" });
	});
	afterAll(() => system?.stop());

	itInProcess(
		"undoes the account and the employee when granting leave fails (503), keeps the saga compensating until leave is back, then the sweep rolls it back and a retry works",
		async () => {
			const { broker } = system;
			const sent = await sentOffer(url, company);
			const email = sent.candidate.email;
			const onboarding = broker.getLocalService("onboarding") as Service;
			const errors = jest.spyOn(onboarding.logger, "error");
			await broker.destroyService(broker.getLocalService("leave") as Service);

			const res = await accept(url, company.hr, sent.offer.id);
			expect(res.status).toBe(503);
			const api = client(url);
			expect((await api.get("/employees", company.hr).query({ search: email })).body.total).toBe(0);
			expect((await api.get("/users", company.hr).query({ search: email })).body.total).toBe(0);
			expect((await api.get(`/applications/${sent.application.id}`, company.hr)).body.stage).toBe("offer");
			// Revoking the entitlements needed the same service: logged with the offer id, not the client's error.
			expect(errors).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`offer ${sent.offer.id}.*leave entitlements`)), expect.anything());
			errors.mockRestore();
			// Not rolled back while an undo is owed: the saga stays compensating, for the sweep to finish.
			expect((await api.get(`/offers/${sent.offer.id}`, company.hr)).body).toMatchObject({
				status: "accepted",
				employeeId: null,
				userId: null,
				onboarding: { state: "compensating", step: "entitlements" }
			});

			broker.createService(LeaveService as ServiceSchema);
			await broker.waitForServices("leave");
			await eventually(async () => {
				expect((await api.get(`/offers/${sent.offer.id}`, company.hr)).body).toMatchObject({
					status: "sent",
					employeeId: null,
					userId: null,
					onboarding: { state: "compensated" }
				});
			}, SWEEP_WAIT_MS);
			const retry = await accept(url, company.hr, sent.offer.id);
			expect(retry.status).toBe(201);
			expect((await api.get("/employees", company.hr).query({ search: email })).body.total).toBe(1);
			await acceptInvitation(url, email);
			expect((await login(url, email)).accessToken).toBeTruthy();
		}
	);
});
