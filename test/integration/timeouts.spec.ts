/**
 * Per-action timeouts through the gateway (lib/action-timeouts.ts): a read that hangs gives up
 * at the read timeout with 504, not at the write timeout or the 10 s every call had before, and
 * a report, which may legitimately take longer, is given its own longer time. One process: the
 * slowness is put into the real services' own methods.
 */
import type { Service } from "moleculer";
import { ActionTimeouts } from "../../lib/action-timeouts";
import { hire, startRoomySystem } from "../support/employees";
import { signup } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { client } from "../support/recruitment";

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Makes the service's method `name` take `ms` longer, once. */
function slowDownOnce(service: Service, name: string, ms: number): void {
	const methods = service as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
	const original = methods[name];
	jest.spyOn(methods, name).mockImplementationOnce(async (...args: unknown[]) => {
		await sleep(ms);
		return original.apply(service, args);
	});
}

describe("per-action timeouts", () => {
	let system: RunningSystem;
	let api: ReturnType<typeof client>;

	beforeAll(async () => {
		system = await startRoomySystem();
		api = client(system.url);
	});
	afterAll(() => system?.stop());
	afterEach(() => jest.restoreAllMocks());

	it("a read that does not answer gives up at its own timeout with 504", async () => {
		const owner = await signup(system.url, "Slow Reads Ltd");
		const employee = await hire(system.url, owner);
		slowDownOnce(system.broker.getLocalService("employees"), "findVisible", ActionTimeouts.read + 2000);
		const started = Date.now();
		const res = await api.get(`/employees/${employee.id}`, owner);
		const took = Date.now() - started;
		expect(res.status).toBe(504);
		expect(res.body).toMatchObject({ name: "RequestTimeoutError", code: 504 });
		expect(took).toBeGreaterThanOrEqual(ActionTimeouts.read - 50);
		expect(took).toBeLessThan(ActionTimeouts.write - 500);
		// The same read, answered in time, is a 200 again.
		expect((await api.get(`/employees/${employee.id}`, owner)).status).toBe(200);
	});

	it("a report that takes longer than any read may is still answered: it has the report timeout", async () => {
		const owner = await signup(system.url, "Slow Reports Ltd");
		await hire(system.url, owner);
		slowDownOnce(system.broker.getLocalService("reports"), "cachedDerived", ActionTimeouts.read + 1000);
		const started = Date.now();
		const res = await api.get("/reports/headcount", owner);
		expect(res.status).toBe(200);
		expect(res.body.totals).toEqual({ active: 1, terminated: 0, total: 1 });
		expect(Date.now() - started).toBeGreaterThan(ActionTimeouts.read);
		expect(res.headers.warning).toBeUndefined();
	});
});
