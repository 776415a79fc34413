/**
 * Reports over HTTP: what they count, who may read them, and that a cached report is never
 * stale once the change that affects it has returned.
 */
import { createDepartment, hire, startRoomySystem } from "../support/employees";
import { type Signup, createUser, signup } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { entitle, leaveType, person, requestLeave } from "../support/leave";
import { type Company, applicationAt, client, createOpening, setUpCompany } from "../support/recruitment";

describe("reports", () => {
	let system: RunningSystem;
	let api: ReturnType<typeof client>;

	beforeAll(async () => {
		system = await startRoomySystem();
		api = client(system.url);
	});
	afterAll(() => system?.stop());

	describe("headcount", () => {
		let owner: Signup;
		beforeAll(async () => {
			owner = await signup(system.url, "Headcount Inc");
		});

		it("counts employees by department and status, and follows every change at once", async () => {
			const sales = await createDepartment(system.url, owner, "Sales");
			const ops = await createDepartment(system.url, owner, "Ops");
			await Promise.all([
				hire(system.url, owner, { departmentId: sales }),
				hire(system.url, owner, { departmentId: sales }),
				hire(system.url, owner, { departmentId: ops })
			]);

			const first = await api.get("/reports/headcount", owner);
			expect(first.status).toBe(200);
			expect(first.body.departments).toEqual([
				{ departmentId: ops, departmentName: "Ops", active: 1, terminated: 0, total: 1 },
				{ departmentId: sales, departmentName: "Sales", active: 2, terminated: 0, total: 2 }
			]);
			expect(first.body.totals).toEqual({ active: 3, terminated: 0, total: 3 });

			// Cached now; each change below must show in the very next read.
			const newcomer = await hire(system.url, owner, { departmentId: ops });
			expect((await api.get("/reports/headcount", owner)).body.totals.active).toBe(4);
			await api.post(`/employees/${newcomer.id}/terminate`, owner, { date: "2024-06-30", reason: "Moved abroad" });
			const after = await api.get("/reports/headcount", owner);
			expect(after.body.departments.find((d: { departmentId: string }) => d.departmentId === ops)).toMatchObject({ active: 1, terminated: 1, total: 2 });
			await api.patch(`/departments/${ops}`, owner, { name: "Operations" });
			const renamed = await api.get("/reports/headcount", owner);
			expect(renamed.body.departments.map((d: { departmentName: string }) => d.departmentName)).toEqual(["Operations", "Sales"]);
		});

		it("is for staff only", async () => {
			const employee = await createUser(system.url, owner, "employee");
			const manager = await createUser(system.url, owner, "manager");
			expect((await api.get("/reports/headcount", employee)).status).toBe(403);
			expect((await api.get("/reports/headcount", manager)).status).toBe(403);
			const hr = await createUser(system.url, owner, "hr");
			expect((await api.get("/reports/headcount", hr)).status).toBe(200);
		});

		it("shows each tenant only its own people", async () => {
			const other = await signup(system.url, "Other Co");
			await hire(system.url, other);
			const res = await api.get("/reports/headcount", other);
			expect(res.body.totals).toEqual({ active: 1, terminated: 0, total: 1 });
		});

		it("rejects unknown parameters", async () => {
			const res = await api.get("/reports/headcount?departmentId=x", owner);
			expect(res.status).toBe(422);
			expect(res.body.data[0].field).toBe("departmentId");
		});
	});

	describe("leave", () => {
		it("sums approved days per type and month, split where a request crosses months, and follows decisions at once", async () => {
			const owner = await signup(system.url, "Leave Report GmbH");
			const annual = await leaveType(system.url, owner, { name: "Annual", yearlyAllowance: 25 });
			const worker = await person(system.url, owner, "employee");
			await entitle(system.url, owner, worker.employeeId, annual.id, 2031, 25);
			// Thursday 30 January to Tuesday 4 February 2031: 2 working days in each month.
			const crossing = await requestLeave(system.url, worker, { leaveTypeId: annual.id, startDate: "2031-01-30", endDate: "2031-02-04" });
			const march = await requestLeave(system.url, worker, { leaveTypeId: annual.id, startDate: "2031-03-03", endDate: "2031-03-03" });

			const before = await api.get("/reports/leave?year=2031", owner);
			expect(before.status).toBe(200);
			expect(before.body).toEqual({ year: 2031, types: [] });

			expect((await api.post(`/leave-requests/${crossing.id}/approve`, owner)).status).toBe(200);
			expect((await api.post(`/leave-requests/${march.id}/approve`, owner)).status).toBe(200);
			const after = await api.get("/reports/leave?year=2031", owner);
			expect(after.body.types).toEqual([{ leaveTypeId: annual.id, leaveTypeName: "Annual", months: [2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], total: 5 }]);

			expect((await api.post(`/leave-requests/${march.id}/cancel`, worker)).status).toBe(200);
			expect((await api.get("/reports/leave?year=2031", owner)).body.types[0]).toMatchObject({ total: 4 });
			expect((await api.get("/reports/leave?year=1999", owner)).body.data[0].field).toBe("year");
		});
	});

	describe("recruiting", () => {
		let company: Company;
		beforeAll(async () => {
			company = await setUpCompany(system.url, "Funnel Ltd");
		});

		it("counts openings by status and how far applications got, and follows moves at once", async () => {
			const opening = await createOpening(system.url, company, { status: "open" });
			await createOpening(system.url, company, { status: "draft" });
			await applicationAt(system.url, company, "applied", opening);
			const screened = await applicationAt(system.url, company, "screening", opening);
			await applicationAt(system.url, company, "interview", opening);

			const first = await api.get("/reports/recruiting", company.hr);
			expect(first.status).toBe(200);
			expect(first.body.openings).toEqual({ draft: 1, open: 1, closed: 0 });
			const stage = (body: { funnel: Array<{ stage: string; count: number }> }, name: string) => body.funnel.find(f => f.stage === name)!.count;
			expect(stage(first.body, "applied")).toBe(3);
			expect(stage(first.body, "screening")).toBe(2);
			expect(stage(first.body, "interview")).toBe(1);
			expect(stage(first.body, "hired")).toBe(0);

			const moved = await api.post(`/applications/${screened.application.id}/move`, company.hr, { stage: "rejected", reason: "Not a fit" });
			expect(moved.status).toBe(200);
			const after = await api.get("/reports/recruiting", company.hr);
			expect(stage(after.body, "screening")).toBe(1);
			expect(stage(after.body, "rejected")).toBe(1);
			expect(stage(after.body, "applied")).toBe(3);
		});

		it("is for staff only", async () => {
			expect((await api.get("/reports/recruiting", company.manager)).status).toBe(403);
			expect((await api.get("/reports/recruiting", company.employee)).status).toBe(403);
		});
	});
});
