/**
 * Two nodes of a service racing on one PostgreSQL database: what one process used to
 * serialise must hold across nodes through the database itself. Each call is sent to a named
 * node, so the race is between processes, not between two calls on one of them.
 */
import type { AuthUser } from "../../lib/meta";
import { EmployeeActions } from "../../lib/names";
import { employeeBody } from "../support/employees";
import { describeWith } from "../support/external";
import { type Signup, createUser, signup } from "../support/http";
import { type ClusterTopology, startClusterTopology } from "../support/cluster-topology";
import { client, entitle, leaveType, person, workWeek } from "../support/leave";
import { type SentOffer, sentOffer } from "../support/onboarding";
import { type Company, setUpCompany } from "../support/recruitment";

jest.setTimeout(180_000);

type Settled = PromiseSettledResult<unknown>;
const statusOf = (r: Settled): number => (r.status === "fulfilled" ? 200 : ((r.reason as { code?: number }).code ?? 500));

describeWith(["nats", "redis", "postgres"], "two data nodes and two application nodes on one database", () => {
	let system: ClusterTopology;
	let owner: Signup;
	let node: (kind: "data" | "app", i: number) => string;

	beforeAll(async () => {
		system = await startClusterTopology();
		const namespace = system.broker.namespace;
		node = (kind, i) => `${kind}-${i}-${namespace}`;
		owner = await signup(system.url, "Race Ltd");
	});
	afterAll(() => system?.stop());

	const meta = (as: Signup): { user: AuthUser } => ({
		user: { id: as.user.id, tenantId: as.tenant.id, roles: ["owner"], employeeId: null, sessionId: "race-test" }
	});

	it("gives parallel hires on both nodes distinct employee numbers", async () => {
		const hires = await Promise.allSettled(
			Array.from({ length: 24 }, (_, i) =>
				system.broker.call<{ employeeNumber: string }, object>(EmployeeActions.hire, employeeBody(), {
					meta: meta(owner),
					nodeID: node("data", (i % 2) + 1)
				})
			)
		);
		const numbers = hires.map(h => (h.status === "fulfilled" ? h.value.employeeNumber : `failed: ${(h.reason as Error).message}`));
		expect(numbers.filter(n => n.startsWith("failed"))).toEqual([]);
		expect(new Set(numbers).size).toBe(24);
		expect(numbers.every(n => /^E\d{6}$/.test(n))).toBe(true);
	});

	it("never accepts two clashing leave requests sent to the two nodes at once", async () => {
		const annual = await leaveType(system.url, owner, { name: "Annual leave", yearlyAllowance: 25 });
		let accepted = 0;
		for (let round = 0; round < 6; round++) {
			const p = await person(system.url, owner, "employee");
			await entitle(system.url, owner, p.employeeId, annual.id, 2030, 25);
			const user: AuthUser = { id: p.userId, tenantId: owner.tenant.id, roles: ["employee"], employeeId: p.employeeId, sessionId: "race-test" };
			const week = workWeek(10 + round);
			const answers = await Promise.allSettled(
				[1, 2, 1, 2].map(i =>
					system.broker.call("leave.createRequest", { leaveTypeId: annual.id, ...week }, { meta: { user }, nodeID: node("data", i) })
				)
			);
			const statuses = answers.map(statusOf);
			accepted += statuses.filter(s => s === 200).length;
			expect(statuses.filter(s => s === 200).length).toBeLessThanOrEqual(1);
			expect(statuses.every(s => s === 200 || s === 409)).toBe(true);
			const held = await client(system.url).get(`/leave-requests?employeeId=${p.employeeId}&status=requested`, owner);
			expect(held.body.total).toBe(statuses.filter(s => s === 200).length);
		}
		// Both may lose a close race (each sees the other's request), but not every time.
		expect(accepted).toBeGreaterThan(0);
	});

	it("never lets two requests on the two nodes spend the same balance twice", async () => {
		const scarce = await leaveType(system.url, owner, { name: "Scarce leave", yearlyAllowance: 5 });
		const p = await person(system.url, owner, "employee");
		await entitle(system.url, owner, p.employeeId, scarce.id, 2030, 5);
		const user: AuthUser = { id: p.userId, tenantId: owner.tenant.id, roles: ["employee"], employeeId: p.employeeId, sessionId: "race-test" };
		// Two different weeks, five days each: either fits alone, both together do not.
		const answers = await Promise.allSettled(
			[20, 21].map((week, i) =>
				system.broker.call("leave.createRequest", { leaveTypeId: scarce.id, ...workWeek(week) }, { meta: { user }, nodeID: node("data", i + 1) })
			)
		);
		expect(answers.filter(a => a.status === "fulfilled").length).toBeLessThanOrEqual(1);
		const held = await client(system.url).get(`/leave-requests?employeeId=${p.employeeId}&leaveTypeId=${scarce.id}`, owner);
		expect(held.body.rows.filter((r: { status: string }) => r.status === "requested").length).toBeLessThanOrEqual(1);
	});

	it("never lets two moves on the two nodes make a loop of departments", async () => {
		const api = client(system.url);
		const department = async (name: string): Promise<string> => (await api.post("/departments", owner, { name })).body.id;
		for (let round = 0; round < 6; round++) {
			const [a, b] = await Promise.all([department(`Loop A${round}`), department(`Loop B${round}`)]);
			// Each alone is fine; together, A under B and B under A, they would be a loop.
			const answers = await Promise.allSettled([
				system.broker.call("org.moveDepartment", { id: a, parentId: b }, { meta: meta(owner), nodeID: node("data", 1) }),
				system.broker.call("org.moveDepartment", { id: b, parentId: a }, { meta: meta(owner), nodeID: node("data", 2) })
			]);
			expect(answers.map(statusOf).sort()).toEqual([200, 422]);
			const parents = await Promise.all([a, b].map(async id => (await api.get(`/departments/${id}`, owner)).body.parentId));
			expect(parents.filter(parent => parent === null)).toHaveLength(1);
		}
	});

	it("never leaves a hire in a department deleted on the other node at once", async () => {
		const api = client(system.url);
		for (let round = 0; round < 8; round++) {
			const departmentId: string = (await api.post("/departments", owner, { name: `Going ${round}` })).body.id;
			// Either the delete counts the hire (409) or the hire finds the department gone (422): never both done.
			const answers = await Promise.allSettled([
				system.broker.call(EmployeeActions.hire, employeeBody({ departmentId }), { meta: meta(owner), nodeID: node("data", 1) }),
				system.broker.call("org.deleteDepartment", { id: departmentId }, { meta: meta(owner), nodeID: node("data", 2) })
			]);
			const [hired, deleted] = answers.map(statusOf);
			expect([hired, deleted]).not.toEqual([200, 200]);
			expect((await api.get(`/departments/${departmentId}`, owner)).status).toBe(hired === 200 ? 200 : 404);
		}
	});

	describe("an offer accepted on both application nodes at once", () => {
		let company: Company;
		let sent: SentOffer;

		beforeAll(async () => {
			company = await setUpCompany(system.url, "Offer Race Inc");
			await leaveType(system.url, company.hr, { name: "Annual leave" });
		});

		it("hires once: one 201, the other 409 or the same hire", async () => {
			for (let round = 0; round < 3; round++) {
				sent = await sentOffer(system.url, company);
				const user: AuthUser = { id: company.hr.id, tenantId: company.owner.tenant.id, roles: ["hr"], employeeId: null, sessionId: "race-test" };
				const answers = await Promise.allSettled(
					[1, 2].map(i =>
						system.broker.call<{ employee: { id: string } }, object>(
							"onboarding.acceptOffer",
							{ id: sent.offer.id },
							{ meta: { user }, nodeID: node("app", i) }
						)
					)
				);
				const hired = answers
					.filter(a => a.status === "fulfilled")
					.map(a => (a as PromiseFulfilledResult<{ employee: { id: string } }>).value.employee.id);
				const refused = answers.filter(a => a.status === "rejected").map(statusOf);
				expect(refused.every(code => code === 409)).toBe(true);
				expect(new Set(hired).size).toBe(1);
				const employees = await client(system.url).get(`/employees?search=${encodeURIComponent(sent.candidate.email)}`, company.hr);
				expect(employees.body.total).toBe(1);
			}
		});
	});

	it("answers the same from either data node: a user made through one logs in through the other", async () => {
		for (let i = 0; i < 6; i++) {
			const made = await createUser(system.url, owner, "employee");
			expect(made.accessToken).toEqual(expect.any(String));
		}
	});
});
