/**
 * The REPL's own commands, as the functions the `mol $` prompt calls, against the whole system:
 * in one process here, and from a node without services joined to a real cluster when the
 * cluster-integration project re-runs this file (there `system.broker` is that node).
 * What each prints is checked against what the API answers the same person.
 */
import request from "supertest";
import { AsUser, tokenCommand } from "../../scripts/repl/as-user";
import { routesCommand } from "../../scripts/repl/routes";
import { tenantsCommand } from "../../scripts/repl/tenants";
import { createDepartment, hire, startRoomySystem } from "../support/employees";
import { type Signup, acceptInvitation, bearer, createUser, signup } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { suiteTimeout } from "../support/timeouts";

suiteTimeout(60_000);

describe("REPL commands", () => {
	let system: RunningSystem;
	let acme: Signup;
	let globex: Signup;
	/** An hr of both Acme and Globex: one person, two companies. */
	let twoCompanies: { email: string };
	let employeeOfAcme: { email: string };
	let asUser: AsUser;

	const me = (token: string) => request(system.url).get("/api/v1/me").set(bearer(token));
	/** The token a `token` command printed: its first line. */
	const printedToken = (printed: string) => printed.split("\n")[0];

	beforeAll(async () => {
		system = await startRoomySystem();
		[acme, globex] = await Promise.all([signup(system.url, "Acme REPL"), signup(system.url, "Globex REPL")]);
		twoCompanies = await createUser(system.url, acme, "hr");
		const invited = await request(system.url)
			.post("/api/v1/users")
			.set(bearer(globex.accessToken))
			.send({ email: twoCompanies.email, name: "Two Hats", role: "hr" });
		expect(invited.status).toBe(201);
		await acceptInvitation(system.url, twoCompanies.email, null);
		const person = await hire(system.url, acme, { lastName: "Worker" });
		employeeOfAcme = await createUser(system.url, acme, "employee", person.id);
		asUser = new AsUser(system.broker);
	});
	afterAll(() => system?.stop());

	describe("token", () => {
		it("prints an access token the gateway takes as that user", async () => {
			const printed = await tokenCommand(system.broker, { email: acme.email }, "development");
			expect(printed).toContain(`${acme.email} in Acme REPL, tenant ${acme.tenant.id}`);
			const res = await me(printedToken(printed));
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ id: acme.user.id, email: acme.email, tenantId: acme.tenant.id });
		});

		it.each(["test", "production"] as const)("is refused unless NODE_ENV is development (%s)", async env => {
			expect(await tokenCommand(system.broker, { email: acme.email }, env)).toBe(`token is for development only: this node runs with NODE_ENV=${env}.`);
		});

		it("asks which company of a person in several, naming them, and takes --tenant", async () => {
			const ambiguous = await tokenCommand(system.broker, { email: twoCompanies.email }, "development");
			expect(ambiguous).toMatch(/^ConflictError 409 CONFLICT: .* is in 2 companies: name one/);
			expect(ambiguous).toContain(acme.tenant.id);
			expect(ambiguous).toContain(globex.tenant.id);
			const printed = await tokenCommand(system.broker, { email: twoCompanies.email, tenant: globex.tenant.id }, "development");
			expect((await me(printedToken(printed))).body).toMatchObject({ tenantId: globex.tenant.id, role: "hr" });
		});

		it("says so for an unknown address", async () => {
			expect(await tokenCommand(system.broker, { email: "nobody-here@example.test" }, "development")).toMatch(
				/^NotFoundError 404 NOT_FOUND: Account not found/
			);
		});
	});

	describe("as <email> call", () => {
		const call = (email: string, action: string, json?: string, tenant?: string) =>
			asUser.command({ email, verb: "call", action, json, tenant }, "development");

		it("answers what the API answers that user", async () => {
			const printed = await call(employeeOfAcme.email, "employees.list", '{"pageSize": 5}');
			const viaHttp = await request(system.url)
				.get("/api/v1/employees?pageSize=5")
				.set(bearer(await tokenFor(employeeOfAcme.email)));
			expect(viaHttp.status).toBe(200);
			expect(JSON.parse(printed)).toEqual(viaHttp.body);
			// An employee sees themself only: the meta carried the user, not staff powers.
			expect(JSON.parse(printed).total).toBe(1);
		});

		it("refuses an action the user's role may not call, as the gateway would, and changes nothing", async () => {
			const before = (await request(system.url).get("/api/v1/departments").set(bearer(acme.accessToken))).body.total;
			const printed = await call(employeeOfAcme.email, "org.createDepartment", '{"name": "Not Allowed"}');
			expect(printed).toMatch(/^ForbiddenError 403 FORBIDDEN: Your role does not allow this/);
			expect((await request(system.url).get("/api/v1/departments").set(bearer(acme.accessToken))).body.total).toBe(before);
		});

		it("drops a tenantId in the params, as the gateway does: the token's company counts", async () => {
			const printed = await call(acme.email, "identity.me", JSON.stringify({ tenantId: globex.tenant.id }));
			expect(JSON.parse(printed)).toMatchObject({ tenantId: acme.tenant.id });
		});

		it("acts in the company --tenant names", async () => {
			expect(JSON.parse(await call(twoCompanies.email, "identity.me", undefined, globex.tenant.id))).toMatchObject({ tenantId: globex.tenant.id });
			expect(JSON.parse(await call(twoCompanies.email, "identity.me", undefined, acme.tenant.id))).toMatchObject({ tenantId: acme.tenant.id });
		});

		it("explains bad input: a verb other than call, params that are not a JSON object, an action no node serves", async () => {
			expect(await asUser.command({ email: acme.email, verb: "get", action: "identity.me" }, "development")).toMatch(/^Usage: as <email> call <action>/);
			expect(await call(acme.email, "identity.me", "[1, 2]")).toMatch(/^The params must be a JSON object/);
			expect(await call(acme.email, "identity.me", "{pageSize: 1}")).toMatch(/^The params must be a JSON object/);
			expect(await call(acme.email, "nothing.here")).toBe("No node serves nothing.here.");
		});

		it("is refused unless NODE_ENV is development", async () => {
			expect(await asUser.command({ email: acme.email, verb: "call", action: "identity.me" }, "production")).toBe(
				"as is for development only: this node runs with NODE_ENV=production."
			);
		});
	});

	it("routes: every REST route with its action and the nodes serving it", async () => {
		const printed = await routesCommand(system.broker);
		const lines = printed.split("\n");
		const employees = lines.find(l => /^GET\s+\/api\/v1\/employees\s/.test(l));
		expect(employees).toMatch(/employees\.list\s+\S+/);
		const servedBy = employees!.split(/\s+/).slice(3).join(" ").split(", ");
		const registry = system.broker.registry as unknown as { getNodeList(opts: object): Array<{ id: string }> };
		const nodeIds = registry.getNodeList({ onlyAvailable: true, withServices: false }).map(n => n.id);
		for (const node of servedBy) expect(nodeIds).toContain(node);
		expect(lines).toContainEqual(expect.stringMatching(/^POST\s+\/api\/v1\/auth\/login\s+identity\.login\s+\S/));
		expect(lines).toContainEqual(expect.stringMatching(/^GET\s+\/health\/ready\s+api\.ready\s+\S/));
		expect(lines.filter(l => l.includes("NO NODE"))).toEqual([]);
		expect(lines.at(-1)).toMatch(/^\(\d+ routes, as the gateway on \S+ has them\)$/);
	});

	it("tenants: each company with the counts its lists answer", async () => {
		const counted = await signup(system.url, "Counted REPL");
		await createDepartment(system.url, counted, "Only Department");
		await hire(system.url, counted, { lastName: "One" });
		await hire(system.url, counted, { lastName: "Two" });
		const printed = await tenantsCommand(system.broker);
		const [header, ...rows] = printed.split("\n").map(l => l.split(/\s{2,}/));
		expect(header).toEqual(["id", "name", "created", "users", "employees", "departments", "openings", "candidates", "leave requests"]);
		const row = rows.find(r => r[0] === counted.tenant.id);
		expect(row).toEqual([counted.tenant.id, "Counted REPL", expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), "1", "2", "1", "0", "0", "0"]);
		expect(rows.find(r => r[0] === acme.tenant.id)?.[3]).toBe("3");
	});

	async function tokenFor(email: string): Promise<string> {
		return printedToken(await tokenCommand(system.broker, { email }, "development"));
	}
});
