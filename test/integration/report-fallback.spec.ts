/**
 * A report whose inputs cannot be read answers its last value, marked stale, instead of a 5xx
 * (services/app/reports.service.ts); the fresh answer stays the rule whenever the inputs answer.
 * One process: the employees service's store fails, then the service is gone altogether. The
 * cluster case, where the last value comes from Redis through another application node, is in
 * test/cluster/breaker.cluster.spec.ts.
 */
import type { Service } from "moleculer";
import { STALE_WARNING } from "../../services/app/reports.parts/last-report";
import { createDepartment, hire, linkedUser, startRoomySystem } from "../support/employees";
import { type Signup, createUser, signup } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { client } from "../support/recruitment";

/** Every way of reading a store (lib/store/types.ts): which one a report uses is the store's business. */
const STORE_READS = ["find", "findOne", "findById", "findByIds", "count", "countBy", "sumBy", "page"] as const;
type StoreRead = (typeof STORE_READS)[number];

describe("reports when their inputs fail", () => {
	let system: RunningSystem;
	let api: ReturnType<typeof client>;
	let owner: Signup;
	let employees: Service & { adapter: Record<StoreRead, (...args: unknown[]) => Promise<unknown>> };

	/** Every read of the employees store fails, as when its database is gone. */
	function breakEmployeesStore(): void {
		const down = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
		for (const read of STORE_READS) jest.spyOn(employees.adapter, read).mockRejectedValue(down);
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		api = client(system.url);
		employees = system.broker.getLocalService("employees") as typeof employees;
		owner = await signup(system.url, "Fallback GmbH");
		await hire(system.url, owner);
		await hire(system.url, owner);
	});
	afterAll(() => system?.stop());
	afterEach(() => jest.restoreAllMocks());

	it("answers fresh, unmarked, while the inputs answer", async () => {
		const res = await api.get("/reports/headcount", owner);
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ departments: [expect.objectContaining({ active: 2 })], totals: { active: 2, terminated: 0, total: 2 } });
		expect(res.headers.warning).toBeUndefined();
	});

	it("answers the last value, marked stale, when the data behind it fails after a change", async () => {
		// A change: the cached report no longer holds, so the next read must compute it.
		await hire(system.url, owner);
		breakEmployeesStore();
		const res = await api.get("/reports/headcount", owner);
		expect(res.status).toBe(200);
		expect(res.headers.warning).toBe(STALE_WARNING);
		expect(res.body.stale).toBe(true);
		expect(Date.parse(res.body.computedAt)).toBeLessThanOrEqual(Date.now());
		expect(res.body.totals).toEqual({ active: 2, terminated: 0, total: 2 });
	});

	it("a client's error is still the client's: 422 for an unknown parameter, 403 for a role without access", async () => {
		breakEmployeesStore();
		expect((await api.get("/reports/headcount?departmentId=x", owner)).status).toBe(422);
		const employee = await createUser(system.url, owner, "employee");
		expect((await api.get("/reports/headcount", employee)).status).toBe(403);
	});

	it("with no last value to give, the failure shows (500), and nothing of another tenant's is given", async () => {
		const other = await signup(system.url, "Never Computed Ltd");
		breakEmployeesStore();
		const res = await api.get("/reports/headcount", other);
		expect(res.status).toBe(500);
		expect(res.headers.warning).toBeUndefined();
	});

	it("once the data answers again, the answer is fresh and unmarked", async () => {
		const res = await api.get("/reports/headcount", owner);
		expect(res.status).toBe(200);
		expect(res.headers.warning).toBeUndefined();
		expect(res.body.stale).toBeUndefined();
		expect(res.body.totals).toEqual({ active: 3, terminated: 0, total: 3 });
	});

	it("answers the last value when no node runs the employees service at all", async () => {
		await hire(system.url, owner);
		// The HR reports, computed once while the employees service runs: staff's and a manager's.
		const managerId = (await hire(system.url, owner)).id;
		const manager = await linkedUser(system.url, owner, "manager", managerId);
		await hire(system.url, owner, { managerId });
		const staffCounts = (await api.get("/reports/headcount-as-of", owner)).body.total;
		const teamCounts = (await api.get("/reports/headcount-as-of", manager)).body.total;
		expect([staffCounts, teamCounts]).toEqual([6, 2]);
		const turnover = (await api.get("/reports/turnover", owner)).body.months;
		await system.broker.destroyService(employees);
		// A change elsewhere: the cached reports no longer hold, so they must be computed again.
		await createDepartment(system.url, owner, "Opened after");

		// As JSON and as CSV, each for whom it was computed, marked.
		const asStaff = await api.get("/reports/headcount-as-of", owner);
		expect(asStaff.headers.warning).toBe(STALE_WARNING);
		expect(asStaff.body).toMatchObject({ stale: true, total: 6, scope: "company" });
		const asManager = await api.get("/reports/headcount-as-of", manager);
		expect(asManager.headers.warning).toBe(STALE_WARNING);
		expect(asManager.body).toMatchObject({ stale: true, total: 2, scope: "team" });
		const csv = await api.get("/reports/turnover?format=csv", owner);
		expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
		expect(csv.headers.warning).toBe(STALE_WARNING);
		expect(csv.text.trim().split("\r\n")).toHaveLength(turnover.length + 1);
		// A report whose inputs still answer (the funnel reads recruitment only) stays fresh.
		expect((await api.get("/reports/funnel", owner)).headers.warning).toBeUndefined();
		// Parameters never computed before have no last value: the failure shows.
		expect((await api.get("/reports/headcount-as-of?asOf=2020-01-01", owner)).status).toBe(503);

		const res = await api.get("/reports/headcount", owner);
		expect(res.status).toBe(200);
		expect(res.headers.warning).toBe(STALE_WARNING);
		expect(res.body).toMatchObject({ stale: true, totals: { active: 3, terminated: 0, total: 3 } });
	});
});
