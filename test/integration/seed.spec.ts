/**
 * The demo seed, run against the whole system in one process: what it promises (about 200
 * employees in a tree, candidates in every stage, leave in every state, logins that work), and
 * that running it twice leaves the first company alone.
 */
import request from "supertest";
import { describeSeed, seedDemo, type SeedResult } from "../../scripts/seed/seed-demo";
import { startRoomySystem } from "../support/employees";
import { bearer, login } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { suiteTimeout } from "../support/timeouts";

suiteTimeout(60_000);

describe("demo seed", () => {
	let system: RunningSystem;
	let result: SeedResult;
	let owner: string;

	const get = (path: string, token: string) => request(system.url).get(`/api/v1${path}`).set(bearer(token));
	const total = async (path: string) => (await get(path, owner)).body.total as number;

	beforeAll(async () => {
		system = await startRoomySystem();
		result = await seedDemo(system.broker);
		owner = (await login(system.url, "owner@demo.roster.test", "Demo-Password-1")).accessToken;
	});
	afterAll(() => system?.stop());

	it("creates about 200 employees in a department tree", async () => {
		expect(result.created).toBe(true);
		expect(await total("/employees?pageSize=1")).toBeGreaterThanOrEqual(190);
		const tree = (await get("/departments/tree", owner)).body;
		expect(tree).toHaveLength(1);
		expect(tree[0].children.length).toBeGreaterThan(3);
	});

	it("has applications in every stage and leave in every state", async () => {
		for (const stage of ["applied", "screening", "interview", "offer", "hired", "rejected", "withdrawn"]) {
			const count = await total(`/applications?stage=${stage}&pageSize=1`);
			expect({ stage, seeded: count > 0 }).toEqual({ stage, seeded: true });
		}
		for (const status of ["requested", "approved", "rejected", "cancelled"]) {
			const count = await total(`/leave-requests?status=${status}&pageSize=1`);
			expect({ status, seeded: count > 0 }).toEqual({ status, seeded: true });
		}
	});

	it("prints logins that work, each seeing what its role should", async () => {
		const text = describeSeed(result);
		for (const l of result.logins) {
			expect(text).toContain(l.email);
			const session = await login(system.url, l.email, l.password);
			expect((await get("/me", session.accessToken)).status).toBe(200);
		}
		const manager = await login(system.url, "manager@demo.roster.test", "Demo-Password-1");
		const team = (await get("/employees?pageSize=100", manager.accessToken)).body;
		expect(team.total).toBeGreaterThan(10);
		expect(team.total).toBeLessThan(await total("/employees?pageSize=1"));
		const employee = await login(system.url, "employee@demo.roster.test", "Demo-Password-1");
		expect((await get("/employees?pageSize=100", employee.accessToken)).body.total).toBe(1);
		expect((await get("/leave-requests", employee.accessToken)).body.total).toBeGreaterThan(0);
	});

	it("leaves an existing demo company alone when run again", async () => {
		const before = await total("/employees?pageSize=1");
		const again = await seedDemo(system.broker);
		expect(again.created).toBe(false);
		expect(await total("/employees?pageSize=1")).toBe(before);
	});
});
