/**
 * Employees over HTTP: hiring and the lifecycle rules, the history, the reporting line and
 * its cycles, the directory, who sees what (sensitive fields included), and tenant isolation.
 */
import { randomUUID } from "node:crypto";
import request from "supertest";
import type { AuthUser } from "../../lib/meta";
import type { Role } from "../../lib/roles";
import { EmployeeActions, EmployeeEvents, type EmployeeSummary, IdentityActions, OrgActions } from "../../lib/names";
import { PASSWORD, type Session, type Signup, bearer, createUser, signup, uniqueEmail } from "../support/http";
import { metaUser } from "../support/leave";
import { type HiredEmployee, createDepartment, createPosition, employeeBody, hire, linkedUser, startRoomySystem } from "../support/employees";
import type { RunningSystem } from "../support/local-system";
import { channelProbe } from "../support/channels";
import { eventually, itInProcess } from "../support/cluster-topology";
import type { Store } from "../../lib/store/types";
import { answeredInOrder, sentDuring } from "../support/races";
import { staleSession } from "../support/stale-session";

const SENSITIVE = ["nationalId", "birthDate", "homeAddress"];
const PERSONAL = { nationalId: "AB-123456", birthDate: "1990-05-17", homeAddress: "1 Main Street, Springfield" };

describe("employees", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let globex: Signup;
	let hr: { id: string } & Session;

	const get = (path: string, as: Session) => request(url).get(`/api/v1${path}`).set(bearer(as.accessToken));
	const post = (path: string, as: Session, body: object) => request(url).post(`/api/v1${path}`).set(bearer(as.accessToken)).send(body);
	const patch = (path: string, as: Session, body: object) => request(url).patch(`/api/v1${path}`).set(bearer(as.accessToken)).send(body);

	/** The employee as staff see it now. */
	const current = async (employeeId: string, as: Session = acme) => (await get(`/employees/${employeeId}`, as)).body;
	const countAll = async (as: Session) => (await get("/employees?pageSize=1", as)).body.total as number;
	const historyOf = async (employeeId: string, as: Session = acme) => (await get(`/employees/${employeeId}/history?sort=at`, as)).body.rows;
	const ids = (rows: Array<{ id: string }>) => rows.map(r => r.id).sort();

	/** A parameter that is malformed in itself: the validator's type and message. */
	function expect422(res: request.Response, field: string, type?: string): void {
		expect({ status: res.status, type: res.body.type, message: res.body.message }).toEqual({
			status: 422,
			type: "VALIDATION_ERROR",
			message: "Parameters validation error!"
		});
		expect(res.body.data[0]).toMatchObject(type ? { field, type } : { field });
	}

	/** A well-formed request a business rule refuses: its own type, and the rule in the message. */
	function expectRule(res: request.Response, field: string, type: string): void {
		expect({ status: res.status, type: res.body.type }).toEqual({ status: 422, type: "BUSINESS_RULE" });
		expect(res.body.message).toBe(`The request breaks a rule: ${res.body.data[0].message}`);
		expect(res.body.data[0]).toMatchObject({ field, type });
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
		hr = await createUser(url, acme, "hr");
	});
	afterAll(() => system?.stop());

	describe("hire", () => {
		it("gives parallel hires without a number distinct assigned numbers", async () => {
			const company = await signup(url, "Busy Hiring Day");
			// Straight to the service, as onboarding and the seed call it: HTTP would space them out.
			const meta = { user: metaUser(company) };
			const hires = await Promise.all(
				Array.from({ length: 25 }, () => system.broker.call<HiredEmployee, object>("employees.hire", employeeBody(), { meta }))
			);
			const numbers = hires.map(h => h.employeeNumber);
			expect(new Set(numbers).size).toBe(25);
			expect(numbers.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `E${String(i + 1).padStart(6, "0")}`));
		});

		it("answers 201 with the record, its location, defaults and an assigned number", async () => {
			const res = await post("/employees", hr, {
				firstName: "Grace",
				lastName: "Hopper",
				workEmail: uniqueEmail("Grace").toUpperCase(),
				hireDate: "2024-03-01",
				phone: "+1 555 0100",
				...PERSONAL
			});
			expect(res.status).toBe(201);
			expect(res.headers.location).toBe(`/api/v1/employees/${res.body.id}`);
			expect(res.body).toMatchObject({
				firstName: "Grace",
				lastName: "Hopper",
				status: "active",
				employmentType: "full_time",
				hireDate: "2024-03-01",
				departmentId: null,
				positionId: null,
				managerId: null,
				terminationDate: null,
				terminationReason: null,
				userId: null,
				...PERSONAL
			});
			expect(res.body.workEmail).toBe(res.body.workEmail.toLowerCase());
			expect(res.body.employeeNumber).toMatch(/^E\d{6}$/);
			expect(res.body).not.toHaveProperty("tenantId");
			const next = await hire(url, acme);
			expect(Number(next.employeeNumber.slice(1))).toBe(Number(res.body.employeeNumber.slice(1)) + 1);
		});

		it("assigns a number past those typed in by hand in its own pattern, however many come next", async () => {
			const last = Number((await hire(url, acme)).employeeNumber.slice(1));
			const assigned = (n: number) => `E${String(n).padStart(6, "0")}`;
			for (let n = last + 1; n <= last + 7; n++) await hire(url, acme, { employeeNumber: assigned(n) });
			const res = await post("/employees", acme, employeeBody());
			expect(res.status).toBe(201);
			expect(res.body.employeeNumber).toBe(assigned(last + 8));
		});

		it("takes a department, a position and a manager of the tenant", async () => {
			const [departmentId, positionId] = await Promise.all([createDepartment(url, acme, "Hiring Dept"), createPosition(url, acme, "Hiring Engineer")]);
			const boss = await hire(url, acme);
			const res = await post("/employees", acme, {
				firstName: "Kay",
				lastName: "Kay",
				workEmail: uniqueEmail(),
				hireDate: "2024-02-02",
				departmentId,
				positionId,
				managerId: boss.id,
				employmentType: "contractor",
				employeeNumber: "K-1"
			});
			expect(res.status).toBe(201);
			expect(res.body).toMatchObject({ departmentId, positionId, managerId: boss.id, employmentType: "contractor", employeeNumber: "K-1" });
		});

		it("is for staff only (403 for managers and employees)", async () => {
			for (const role of ["manager", "employee"]) {
				const user = await createUser(url, acme, role);
				const res = await post("/employees", user, { firstName: "No", lastName: "Body", workEmail: uniqueEmail(), hireDate: "2024-01-01" });
				expect(res.status).toBe(403);
			}
		});

		it("refuses a taken employee number or work email in the tenant (409 naming the field), but not another tenant's", async () => {
			const first = await hire(url, acme, { employeeNumber: "DUP-1" });
			const before = await countAll(acme);
			const number = await post("/employees", hr, {
				firstName: "A",
				lastName: "B",
				workEmail: uniqueEmail(),
				hireDate: "2024-01-01",
				employeeNumber: "DUP-1"
			});
			expect(number.status).toBe(409);
			expect(number.body).toMatchObject({ type: "CONFLICT", data: { field: "employeeNumber" } });
			const mail = await post("/employees", hr, { firstName: "A", lastName: "B", workEmail: first.workEmail.toUpperCase(), hireDate: "2024-01-01" });
			expect(mail.status).toBe(409);
			expect(mail.body.data).toEqual({ field: "workEmail" });
			expect(await countAll(acme)).toBe(before);
			const elsewhere = await post("/employees", globex, {
				firstName: "A",
				lastName: "B",
				workEmail: first.workEmail,
				hireDate: "2024-01-01",
				employeeNumber: "DUP-1"
			});
			expect(elsewhere.status).toBe(201);
		});

		it("leaves the account link to identity: hire and patch refuse a userId (422 naming it)", async () => {
			const user = await createUser(url, acme, "employee");
			const hired = await post("/employees", acme, { firstName: "A", lastName: "B", workEmail: uniqueEmail(), hireDate: "2024-01-01", userId: user.id });
			expect(hired.status).toBe(422);
			expect(hired.body.data).toEqual([expect.objectContaining({ field: "userId" })]);
			const someone = await hire(url, acme);
			const patched = await patch(`/employees/${someone.id}`, acme, { userId: user.id });
			expect(patched.status).toBe(422);
			expect((await get(`/employees/${someone.id}`, acme)).body.userId).toBeNull();
		});

		it("refuses references outside the tenant's org and employees (422 naming the field), changing nothing", async () => {
			const [foreignDept, foreignPos] = await Promise.all([createDepartment(url, globex, "Foreign"), createPosition(url, globex, "Foreign Title")]);
			const foreignBoss = await hire(url, globex);
			const leaver = await hire(url, acme);
			await post(`/employees/${leaver.id}/terminate`, acme, { date: "2024-06-30", reason: "Moved away" });
			const before = await countAll(acme);
			const base = { firstName: "A", lastName: "B", workEmail: uniqueEmail(), hireDate: "2024-01-01" };
			expectRule(await post("/employees", acme, { ...base, departmentId: "no-such-department" }), "departmentId", "reference");
			expectRule(await post("/employees", acme, { ...base, departmentId: foreignDept }), "departmentId", "reference");
			expectRule(await post("/employees", acme, { ...base, positionId: foreignPos }), "positionId", "reference");
			expectRule(await post("/employees", acme, { ...base, managerId: foreignBoss.id }), "managerId", "reference");
			expectRule(await post("/employees", acme, { ...base, managerId: leaver.id }), "managerId", "reference");
			expect(await countAll(acme)).toBe(before);
		});

		it("validates the body (422 naming the field), changing nothing", async () => {
			const before = await countAll(acme);
			const base = { firstName: "A", lastName: "B", workEmail: uniqueEmail(), hireDate: "2024-01-01" };
			expect422(await post("/employees", acme, { ...base, hireDate: "2024-02-30" }), "hireDate");
			expect422(await post("/employees", acme, { ...base, hireDate: "01/02/2024" }), "hireDate");
			expect422(await post("/employees", acme, { ...base, hireDate: "0000-01-01" }), "hireDate", "dateMin");
			expect422(await post("/employees", acme, { ...base, hireDate: "9999-12-31" }), "hireDate", "dateMax");
			expect422(await post("/employees", acme, { ...base, birthDate: "1800-01-01" }), "birthDate", "dateMin");
			expectRule(await post("/employees", acme, { ...base, birthDate: "2099-01-01" }), "birthDate", "dateOrder");
			expect422(await post("/employees", acme, { ...base, workEmail: "not-an-email" }), "workEmail");
			expect422(await post("/employees", acme, { ...base, employmentType: "volunteer" }), "employmentType");
			expect422(await post("/employees", acme, { ...base, salary: 100 }), "salary", "unknownField");
			expect422(await post("/employees", acme, { ...base, status: "terminated" }), "status", "unknownField");
			const { firstName: _omit, ...noName } = base;
			expect422(await post("/employees", acme, noName), "firstName");
			expect(await countAll(acme)).toBe(before);
		});
	});

	describe("patch", () => {
		let person: HiredEmployee;
		let self: { id: string } & Session;

		beforeAll(async () => {
			person = await hire(url, acme, { firstName: "Pat", lastName: "Patch", phone: "+44 20 7946 0000", ...PERSONAL });
			self = await linkedUser(url, acme, "employee", person.id);
		});

		it("lets staff change any field, and records who changed what (sensitive values left out)", async () => {
			const departmentId = await createDepartment(url, acme, "Patch Dept");
			const res = await patch(`/employees/${person.id}`, hr, { lastName: "Patched", departmentId, nationalId: "ZZ-999", employmentType: "part_time" });
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ lastName: "Patched", departmentId, nationalId: "ZZ-999", employmentType: "part_time" });
			const entry = (await historyOf(person.id)).at(-1);
			expect(entry).toMatchObject({
				type: "updated",
				by: hr.id,
				employeeId: person.id,
				changes: { lastName: { from: "Patch", to: "Patched" }, departmentId: { from: null, to: departmentId }, nationalId: { redacted: true } }
			});
			expect(JSON.stringify(entry)).not.toContain("ZZ-999");
			expect(JSON.stringify(entry)).not.toContain(PERSONAL.nationalId);
			expect(Date.parse(entry.at)).toBeGreaterThan(Date.now() - 60_000);
		});

		it("answers an empty or unchanged patch with the record and no history entry", async () => {
			const before = (await historyOf(person.id)).length;
			const res = await patch(`/employees/${person.id}`, acme, { firstName: "Pat" });
			expect(res.status).toBe(200);
			expect((await historyOf(person.id)).length).toBe(before);
		});

		it("lets employees change their own contact fields", async () => {
			const res = await patch(`/employees/${person.id}`, self, { phone: "+44 20 7946 0999", homeAddress: "2 New Road" });
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ phone: "+44 20 7946 0999", homeAddress: "2 New Road" });
			const entry = (await historyOf(person.id)).at(-1);
			expect(entry).toMatchObject({
				type: "updated",
				by: self.id,
				changes: { phone: { from: "+44 20 7946 0000", to: "+44 20 7946 0999" }, homeAddress: { redacted: true } }
			});
			expect((await patch(`/employees/${person.id}`, self, { phone: null })).body.phone).toBeNull();
		});

		it("refuses employees any other field of their own (403), changing nothing", async () => {
			const before = await current(person.id);
			for (const body of [{ lastName: "Hacker" }, { phone: "+1 555 0000", employmentType: "intern" }, { managerId: null }]) {
				const res = await patch(`/employees/${person.id}`, self, body);
				expect(res.status).toBe(403);
				expect(res.body.type).toBe("FORBIDDEN");
			}
			expect(await current(person.id)).toEqual(before);
		});

		it("refuses a taken work email or number (409 naming the field)", async () => {
			const other = await hire(url, acme, { employeeNumber: "TAKEN-7" });
			const mail = await patch(`/employees/${person.id}`, acme, { workEmail: other.workEmail });
			expect(mail.status).toBe(409);
			expect(mail.body.data).toEqual({ field: "workEmail" });
			const number = await patch(`/employees/${person.id}`, acme, { employeeNumber: "TAKEN-7" });
			expect(number.status).toBe(409);
			expect(number.body.data).toEqual({ field: "employeeNumber" });
			expect((await patch(`/employees/${other.id}`, acme, { employeeNumber: "TAKEN-7" })).status).toBe(200);
		});

		it("validates references and values (422 naming the field)", async () => {
			expectRule(await patch(`/employees/${person.id}`, acme, { positionId: "nope" }), "positionId", "reference");
			expect422(await patch(`/employees/${person.id}`, acme, { birthDate: "1990-13-01" }), "birthDate");
			expect422(await patch(`/employees/${person.id}`, acme, { phone: "call me" }), "phone");
			expect422(await patch(`/employees/${person.id}`, acme, { status: "terminated" }), "status", "unknownField");
		});

		it("answers 404 for a missing employee", async () => {
			expect((await patch("/employees/no-such-id", acme, { firstName: "X" })).status).toBe(404);
		});
	});

	describe("lifecycle", () => {
		it("transfers an active employee, effective on a date, and records it", async () => {
			const [departmentId, positionId] = await Promise.all([createDepartment(url, acme, "Transfer To"), createPosition(url, acme, "Transfer Title")]);
			const boss = await hire(url, acme);
			const mover = await hire(url, acme, { hireDate: "2023-01-01" });
			const res = await post(`/employees/${mover.id}/transfer`, hr, { departmentId, positionId, managerId: boss.id, effectiveDate: "2024-07-01" });
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ departmentId, positionId, managerId: boss.id });
			expect((await historyOf(mover.id)).at(-1)).toMatchObject({
				type: "transferred",
				effectiveDate: "2024-07-01",
				by: hr.id,
				changes: { departmentId: { from: null, to: departmentId }, managerId: { from: null, to: boss.id } }
			});
		});

		it("refuses a transfer that changes nothing, predates the hire or names a bad reference (422)", async () => {
			const mover = await hire(url, acme, { hireDate: "2024-05-01" });
			expectRule(await post(`/employees/${mover.id}/transfer`, acme, { effectiveDate: "2024-06-01" }), "departmentId", "noChange");
			expectRule(await post(`/employees/${mover.id}/transfer`, acme, { managerId: null }), "departmentId", "noChange");
			const boss = await hire(url, acme);
			expectRule(await post(`/employees/${mover.id}/transfer`, acme, { managerId: boss.id, effectiveDate: "2024-04-30" }), "effectiveDate", "dateOrder");
			expectRule(await post(`/employees/${mover.id}/transfer`, acme, { departmentId: "nope" }), "departmentId", "reference");
			expect(await historyOf(mover.id)).toHaveLength(1);
		});

		it("terminates an active employee once, transfers no terminated one, rehires only a terminated one", async () => {
			const worker = await hire(url, acme, { hireDate: "2022-01-10" });
			expect((await post(`/employees/${worker.id}/rehire`, acme, { date: "2024-01-01" })).status).toBe(409);
			expectRule(await post(`/employees/${worker.id}/terminate`, acme, { date: "2021-12-31", reason: "Too early" }), "date", "dateOrder");

			const ended = await post(`/employees/${worker.id}/terminate`, hr, { date: "2024-03-31", reason: "Resigned" });
			expect(ended.status).toBe(200);
			expect(ended.body).toMatchObject({ status: "terminated", terminationDate: "2024-03-31", terminationReason: "Resigned" });
			expect((await post(`/employees/${worker.id}/terminate`, acme, { date: "2024-04-30", reason: "Again" })).status).toBe(409);
			const boss = await hire(url, acme);
			const moved = await post(`/employees/${worker.id}/transfer`, acme, { managerId: boss.id });
			expect(moved.status).toBe(409);
			expect(moved.body.type).toBe("CONFLICT");
			expect(await current(worker.id)).toMatchObject({ status: "terminated", managerId: null });

			expectRule(await post(`/employees/${worker.id}/rehire`, acme, { date: "2024-03-31" }), "date", "dateOrder");
			const back = await post(`/employees/${worker.id}/rehire`, hr, { date: "2024-09-01", employmentType: "part_time", managerId: boss.id });
			expect(back.status).toBe(200);
			expect(back.body).toMatchObject({
				status: "active",
				hireDate: "2024-09-01",
				terminationDate: null,
				terminationReason: null,
				employmentType: "part_time",
				managerId: boss.id
			});
			expect((await post(`/employees/${worker.id}/rehire`, acme, { date: "2024-10-01" })).status).toBe(409);

			const history = await historyOf(worker.id);
			expect(history.map((e: { type: string }) => e.type)).toEqual(["hired", "terminated", "rehired"]);
			expect(history[0]).toMatchObject({ by: acme.user.id, effectiveDate: "2022-01-10", changes: { status: { from: null, to: "active" } } });
			expect(history[1]).toMatchObject({
				by: hr.id,
				effectiveDate: "2024-03-31",
				changes: { status: { from: "active", to: "terminated" }, terminationReason: { from: null, to: "Resigned" } }
			});
			expect(history[2]).toMatchObject({
				by: hr.id,
				effectiveDate: "2024-09-01",
				changes: { hireDate: { from: "2022-01-10", to: "2024-09-01" }, terminationDate: { from: "2024-03-31", to: null } }
			});
		});

		it("terminates a manager who has reports, leaving the reports with them", async () => {
			const boss = await hire(url, acme);
			const report = await hire(url, acme, { managerId: boss.id });
			expect((await post(`/employees/${boss.id}/terminate`, acme, { date: "2024-12-31", reason: "Retired" })).status).toBe(200);
			expect(await current(report.id)).toMatchObject({ managerId: boss.id, status: "active" });
			// Keeping the terminated manager is fine; choosing them anew is not.
			expect((await patch(`/employees/${report.id}`, acme, { managerId: boss.id, lastName: "Kept" })).status).toBe(200);
			const fresh = await hire(url, acme);
			expectRule(await patch(`/employees/${fresh.id}`, acme, { managerId: boss.id }), "managerId", "reference");
		});

		it("is for staff only, and validates its input", async () => {
			const worker = await hire(url, acme);
			const self = await linkedUser(url, acme, "manager", worker.id);
			expect((await post(`/employees/${worker.id}/terminate`, self, { date: "2024-12-31", reason: "Self" })).status).toBe(403);
			expect((await post(`/employees/${worker.id}/transfer`, self, { managerId: null })).status).toBe(403);
			expect422(await post(`/employees/${worker.id}/terminate`, acme, { date: "2024-12-31" }), "reason");
			expect422(await post(`/employees/${worker.id}/terminate`, acme, { date: "2024-02-31", reason: "x" }), "date");
			expect422(await post(`/employees/${worker.id}/terminate`, acme, { date: "2024-12-31", reason: "x", note: "y" }), "note", "unknownField");
			expect((await current(worker.id)).status).toBe("active");
		});
	});

	describe("reporting line", () => {
		// boss ← mid ← (low1 ← leaf, low2)
		let boss: HiredEmployee, mid: HiredEmployee, low1: HiredEmployee, low2: HiredEmployee, leaf: HiredEmployee;

		beforeAll(async () => {
			boss = await hire(url, acme, { lastName: "Boss" });
			mid = await hire(url, acme, { lastName: "Mid", managerId: boss.id });
			[low1, low2] = await Promise.all([
				hire(url, acme, { lastName: "Low1", managerId: mid.id }),
				hire(url, acme, { lastName: "Low2", managerId: mid.id })
			]);
			leaf = await hire(url, acme, { lastName: "Leaf", managerId: low1.id });
		});

		it("lists direct reports, and with depth=all the whole subtree, in the list shape", async () => {
			const direct = await get(`/employees/${mid.id}/reports`, acme);
			expect(direct.status).toBe(200);
			expect(direct.body).toMatchObject({ total: 2, page: 1, pageSize: 20, totalPages: 1 });
			expect(ids(direct.body.rows)).toEqual([low1.id, low2.id].sort());
			const all = await get(`/employees/${boss.id}/reports?depth=all`, acme);
			expect(ids(all.body.rows)).toEqual([mid.id, low1.id, low2.id, leaf.id].sort());
			const paged = await get(`/employees/${boss.id}/reports?depth=all&sort=lastName&pageSize=3&page=2`, acme);
			expect(paged.body).toMatchObject({ total: 4, totalPages: 2 });
			expect(paged.body.rows.map((r: { lastName: string }) => r.lastName)).toEqual(["Mid"]);
			expect((await get(`/employees/${leaf.id}/reports?depth=all`, acme)).body.total).toBe(0);
			for (const row of all.body.rows) for (const field of SENSITIVE) expect(row).not.toHaveProperty(field);
		});

		it("is never stale: a new hire under the line shows at once", async () => {
			expect((await get(`/employees/${boss.id}/reports?depth=all`, acme)).body.total).toBe(4);
			const newcomer = await hire(url, acme, { managerId: leaf.id });
			expect(ids((await get(`/employees/${boss.id}/reports?depth=all`, acme)).body.rows)).toContain(newcomer.id);
			await post(`/employees/${newcomer.id}/transfer`, acme, { managerId: null });
			expect((await get(`/employees/${boss.id}/reports?depth=all`, acme)).body.total).toBe(4);
		});

		it("refuses a manager who is the employee or anyone under them (422 managerId), changing nothing", async () => {
			expectRule(await patch(`/employees/${boss.id}`, acme, { managerId: boss.id }), "managerId", "cycle");
			expectRule(await patch(`/employees/${boss.id}`, acme, { managerId: mid.id }), "managerId", "cycle");
			expectRule(await patch(`/employees/${boss.id}`, acme, { managerId: leaf.id }), "managerId", "cycle");
			expectRule(await post(`/employees/${mid.id}/transfer`, acme, { managerId: leaf.id }), "managerId", "cycle");
			expectRule(await post(`/employees/${low1.id}/transfer`, acme, { managerId: low1.id }), "managerId", "cycle");
			expect((await current(boss.id)).managerId).toBeNull();
			expect((await current(mid.id)).managerId).toBe(boss.id);
			// Sideways and upwards is fine.
			expect((await post(`/employees/${leaf.id}/transfer`, acme, { managerId: low2.id })).status).toBe(200);
			expect((await post(`/employees/${leaf.id}/transfer`, acme, { managerId: low1.id })).status).toBe(200);
		});

		itInProcess("takes changes of the reporting line in turn: two that together close a loop cannot both pass (422 managerId)", async () => {
			const [p, q] = [await hire(url, acme), await hire(url, acme)];
			// p under q is held at its write while q under p is sent: alone each is fine, together a loop.
			const store = (system.broker.getLocalService("employees") as unknown as { adapter: Store }).adapter;
			const [first, second] = await sentDuring(
				store,
				"updateById",
				() => patch(`/employees/${p.id}`, acme, { managerId: q.id }),
				() => patch(`/employees/${q.id}`, acme, { managerId: p.id })
			);
			expect(first.status).toBe(200);
			expectRule(second, "managerId", "cycle");
			expect((await current(q.id)).managerId).toBeNull();
		});

		describe("hires under a manager, in flight", () => {
			const employees = () => (system.broker.getLocalService("employees") as unknown as { adapter: Store }).adapter;
			/** `second` sent while `first`'s hire is held at its insert for a while. */
			const racing = (first: () => PromiseLike<request.Response>, second: () => PromiseLike<request.Response>) =>
				answeredInOrder(employees(), "insert", first, second, { holdMs: 600 });

			itInProcess("go side by side: a newcomer closes no loop, so one hire does not wait for another", async () => {
				const head = await hire(url, acme);
				const { answers, order } = await racing(
					() => post("/employees", acme, employeeBody({ managerId: head.id })),
					() => post("/employees", acme, employeeBody({ managerId: head.id }))
				);
				expect({ statuses: answers.map(res => res.status), order }).toEqual({ statuses: [201, 201], order: ["second", "first"] });
			});

			itInProcess("hold back the manager's termination until they land: no one is put under a manager who has left", async () => {
				const head = await hire(url, acme);
				const { answers, order } = await racing(
					() => post("/employees", acme, employeeBody({ managerId: head.id })),
					() => post(`/employees/${head.id}/terminate`, acme, { date: "2030-01-31", reason: "Moving on" })
				);
				expect({ statuses: answers.map(res => res.status), order }).toEqual({ statuses: [201, 200], order: ["first", "second"] });
			});
		});

		it("refuses a rehire under someone who still reports to the employee", async () => {
			const chief = await hire(url, acme);
			const deputy = await hire(url, acme, { managerId: chief.id });
			await post(`/employees/${chief.id}/terminate`, acme, { date: "2024-12-31", reason: "Sabbatical" });
			expectRule(await post(`/employees/${chief.id}/rehire`, acme, { date: "2025-06-01", managerId: deputy.id }), "managerId", "cycle");
			expect((await current(chief.id)).status).toBe("terminated");
		});

		it("validates depth and list parameters (422)", async () => {
			expect422(await get(`/employees/${boss.id}/reports?depth=deep`, acme), "depth");
			expect422(await get(`/employees/${boss.id}/reports?sort=nationalId`, acme), "sort", "sortField");
			expect422(await get(`/employees/${boss.id}/reports?team=1`, acme), "team", "unknownField");
		});

		describe("seen by a manager and an employee", () => {
			let manager: Session;
			let worker: Session;

			beforeAll(async () => {
				manager = await linkedUser(url, acme, "manager", mid.id);
				worker = await linkedUser(url, acme, "employee", low2.id);
			});

			it("a manager lists themself and everyone under them, nobody else", async () => {
				const res = await get("/employees?pageSize=100", manager);
				expect(res.status).toBe(200);
				expect(ids(res.body.rows)).toEqual([mid.id, low1.id, low2.id, leaf.id].sort());
				expect(res.body.total).toBe(4);
				const filtered = await get(`/employees?managerId=${mid.id}`, manager);
				expect(ids(filtered.body.rows)).toEqual([low1.id, low2.id].sort());
			});

			it("a manager reads their reports at any depth without sensitive fields, and themself with them", async () => {
				for (const target of [low1, leaf]) {
					const res = await get(`/employees/${target.id}`, manager);
					expect(res.status).toBe(200);
					for (const field of SENSITIVE) expect(res.body).not.toHaveProperty(field);
				}
				const own = await get(`/employees/${mid.id}`, manager);
				expect(own.body).toHaveProperty("nationalId");
				expect((await get(`/employees/${boss.id}`, manager)).status).toBe(404);
				expect((await get(`/employees/${low1.id}/reports`, manager)).body.rows.map((r: { id: string }) => r.id)).toEqual([leaf.id]);
				expect((await get(`/employees/${mid.id}/reports?depth=all`, manager)).body.total).toBe(3);
				expect((await get(`/employees/${leaf.id}/history`, manager)).status).toBe(200);
				expect((await get(`/employees/${boss.id}/reports`, manager)).status).toBe(404);
				expect((await get(`/employees/${boss.id}/history`, manager)).status).toBe(404);
			});

			it("a manager changes nobody's record (403 for reports, 404 beyond)", async () => {
				expect((await patch(`/employees/${low1.id}`, manager, { phone: "+1 555 1234" })).status).toBe(403);
				expect((await patch(`/employees/${boss.id}`, manager, { phone: "+1 555 1234" })).status).toBe(404);
				expect((await current(low1.id)).phone).toBeNull();
			});

			it("an employee sees only themself", async () => {
				const list = await get("/employees", worker);
				expect(list.body).toMatchObject({ total: 1, rows: [{ id: low2.id }] });
				for (const field of SENSITIVE) expect(list.body.rows[0]).not.toHaveProperty(field);
				const own = await get(`/employees/${low2.id}`, worker);
				expect(own.status).toBe(200);
				expect(own.body).toHaveProperty("birthDate");
				for (const other of [mid, low1, boss]) expect((await get(`/employees/${other.id}`, worker)).status).toBe(404);
				expect((await get(`/employees/${low2.id}/history`, worker)).status).toBe(200);
				expect((await get(`/employees/${mid.id}/history`, worker)).status).toBe(404);
				expect((await get(`/employees/${low2.id}/reports`, worker)).body.total).toBe(0);
				expect((await patch(`/employees/${low1.id}`, worker, { phone: "+1 555 1234" })).status).toBe(404);
			});

			it("a user with no employee record sees no one", async () => {
				const unlinked = await createUser(url, acme, "manager");
				expect((await get("/employees", unlinked)).body).toMatchObject({ total: 0, rows: [] });
				expect((await get(`/employees/${mid.id}`, unlinked)).status).toBe(404);
			});

			it("a terminated manager's team is no longer theirs: they see themself only, as an employee does", async () => {
				// head ← member ← sub
				const head = await hire(url, acme);
				const member = await hire(url, acme, { managerId: head.id });
				const sub = await hire(url, acme, { managerId: member.id });
				const headUser = await linkedUser(url, acme, "manager", head.id);
				expect((await get(`/employees/${member.id}`, headUser)).status).toBe(200);
				expect(ids((await get(`/employees/${head.id}/reports?depth=all`, headUser)).body.rows)).toEqual([member.id, sub.id].sort());
				expect(ids((await get(`/employees/${member.id}/reports`, headUser)).body.rows)).toEqual([sub.id]);
				const inFlight = await staleSession(system.broker, {
					id: headUser.id,
					tenantId: acme.tenant.id,
					roles: ["manager"],
					employeeId: head.id,
					sessionId: "in-flight"
				});

				expect((await post(`/employees/${head.id}/terminate`, hr, { date: "2024-12-31", reason: "Left" })).status).toBe(200);
				// The account ends with the employment: its session is refused at once, and so is a new sign-in.
				await eventually(async () => expect((await get(`/employees/${member.id}`, headUser)).status).toBe(401));
				expect((await request(url).post("/api/v1/auth/login").send({ email: headUser.email, password: PASSWORD })).status).toBe(401);
				// A request already past the gateway finds no team either: the powers need the employment.
				for (const other of [member, sub]) {
					expect((await inFlight("GET", `/employees/${other.id}`)).status).toBe(404);
					expect((await inFlight("GET", `/employees/${other.id}/history`)).status).toBe(404);
					expect((await inFlight("GET", `/employees/${other.id}/reports`)).status).toBe(404);
					expect((await inFlight("PATCH", `/employees/${other.id}`, { phone: "+1 555 1234" })).status).toBe(404);
				}
				expect((await inFlight("GET", "/employees?pageSize=100")).body).toMatchObject({ total: 1, rows: [{ id: head.id }] });
				expect((await inFlight("GET", `/employees?managerId=${head.id}`)).body.total).toBe(0);
				expect((await inFlight("GET", `/employees/${head.id}/reports?depth=all`)).body.total).toBe(0);
				expect((await inFlight("GET", `/employees/${head.id}`)).body).toMatchObject({ id: head.id, status: "terminated" });
			});
		});
	});

	describe("sensitive fields", () => {
		it("staff and the employee see them on one record; lists never carry them", async () => {
			const person = await hire(url, acme, { lastName: "Sensitive", ...PERSONAL });
			const self = await linkedUser(url, acme, "employee", person.id);
			for (const viewer of [acme, hr, self]) expect((await get(`/employees/${person.id}`, viewer)).body).toMatchObject(PERSONAL);
			for (const viewer of [acme, hr, self]) {
				const list = await get("/employees?search=Sensitive&pageSize=100", viewer);
				expect(list.body.rows.length).toBeGreaterThan(0);
				for (const row of list.body.rows) for (const field of SENSITIVE) expect(row).not.toHaveProperty(field);
			}
		});
	});

	describe("directory", () => {
		let owner: Signup;
		let eng: string, ops: string, dev: string;
		let ada: HiredEmployee, grace: HiredEmployee, margaret: HiredEmployee;

		beforeAll(async () => {
			owner = await signup(url, "Directory Co");
			[eng, ops, dev] = await Promise.all([
				createDepartment(url, owner, "Eng"),
				createDepartment(url, owner, "Ops"),
				createPosition(url, owner, "Developer")
			]);
			ada = await hire(url, owner, {
				firstName: "Ada",
				lastName: "Lovelace",
				workEmail: "ada@analytical.test",
				employeeNumber: "N-001",
				departmentId: eng,
				positionId: dev,
				hireDate: "2020-01-01"
			});
			await hire(url, owner, {
				firstName: "Alan",
				lastName: "Turing",
				employeeNumber: "N-002",
				departmentId: eng,
				managerId: ada.id,
				hireDate: "2021-06-01",
				employmentType: "contractor"
			});
			grace = await hire(url, owner, {
				firstName: "Grace",
				lastName: "Hopper",
				employeeNumber: "N-003",
				departmentId: ops,
				positionId: dev,
				hireDate: "2019-03-15"
			});
			await hire(url, owner, {
				firstName: "Linus",
				lastName: "Torvalds",
				employeeNumber: "N-004",
				departmentId: ops,
				managerId: ada.id,
				hireDate: "2022-09-09"
			});
			margaret = await hire(url, owner, { firstName: "Margaret", lastName: "Hamilton", employeeNumber: "N-005", hireDate: "2018-07-20" });
			await post(`/employees/${margaret.id}/terminate`, owner, { date: "2023-12-31", reason: "Retired" });
		});

		const names = (rows: Array<{ lastName: string }>) => rows.map(r => r.lastName);

		it("lists the tenant sorted by last name by default, in the list shape", async () => {
			const res = await get("/employees", owner);
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ total: 5, page: 1, pageSize: 20, totalPages: 1 });
			expect(names(res.body.rows)).toEqual(["Hamilton", "Hopper", "Lovelace", "Torvalds", "Turing"]);
		});

		it("searches by name, email and number", async () => {
			expect(names((await get("/employees?search=lovE", owner)).body.rows)).toEqual(["Lovelace"]);
			expect(names((await get("/employees?search=ada%20love", owner)).body.rows)).toEqual(["Lovelace"]);
			expect(names((await get("/employees?search=analytical.test", owner)).body.rows)).toEqual(["Lovelace"]);
			expect(names((await get("/employees?search=N-003", owner)).body.rows)).toEqual(["Hopper"]);
			expect(names((await get("/employees?search=H", owner)).body.rows)).toEqual(["Hamilton", "Hopper"]);
			expect((await get("/employees?search=.*", owner)).body.total).toBe(0);
		});

		it("filters by department, position, manager, status and employment type", async () => {
			expect(names((await get(`/employees?departmentId=${eng}`, owner)).body.rows)).toEqual(["Lovelace", "Turing"]);
			expect(names((await get(`/employees?positionId=${dev}`, owner)).body.rows)).toEqual(["Hopper", "Lovelace"]);
			expect(names((await get(`/employees?managerId=${ada.id}`, owner)).body.rows)).toEqual(["Torvalds", "Turing"]);
			expect(names((await get("/employees?status=terminated", owner)).body.rows)).toEqual(["Hamilton"]);
			expect((await get("/employees?status=active", owner)).body.total).toBe(4);
			expect(names((await get("/employees?employmentType=contractor", owner)).body.rows)).toEqual(["Turing"]);
			expect(names((await get(`/employees?departmentId=${ops}&managerId=${ada.id}`, owner)).body.rows)).toEqual(["Torvalds"]);
		});

		it("sorts on allowed fields, descending with '-', and pages", async () => {
			expect(names((await get("/employees?sort=-hireDate", owner)).body.rows)).toEqual(["Torvalds", "Turing", "Lovelace", "Hopper", "Hamilton"]);
			expect(names((await get("/employees?sort=employeeNumber", owner)).body.rows)).toEqual(["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton"]);
			const page2 = await get("/employees?sort=firstName&pageSize=2&page=2", owner);
			expect(page2.body).toMatchObject({ total: 5, page: 2, pageSize: 2, totalPages: 3 });
			expect(page2.body.rows.map((r: { firstName: string }) => r.firstName)).toEqual(["Grace", "Linus"]);
			expect((await get("/employees?pageSize=2&page=9", owner)).body.rows).toEqual([]);
		});

		it("refuses unknown filters, unknown sort fields and bad paging (422 naming the field)", async () => {
			expect422(await get("/employees?salary=100", owner), "salary", "unknownField");
			expect422(await get("/employees?tenantId=x&nationalId=1", owner), "nationalId", "unknownField");
			expect422(await get("/employees?sort=nationalId", owner), "sort", "sortField");
			expect422(await get("/employees?sort=-bogus", owner), "sort", "sortField");
			expect422(await get("/employees?pageSize=101", owner), "pageSize");
			expect422(await get("/employees?page=0", owner), "page");
			expect422(await get("/employees?status=retired", owner), "status");
			expect422(await get("/employees?search=", owner), "search");
			// Every word must match: a sixth would not be looked for, so it is refused rather than ignored.
			expect422(await get("/employees?search=a b c d e zzzz", owner), "search", "stringPattern");
			expect((await get("/employees?search=%20a%20b%20c%20d%20e%20", owner)).status).toBe(200);
		});

		it("pages and filters an employee's history", async () => {
			await patch(`/employees/${grace.id}`, owner, { lastName: "Hopper-Murray" });
			await patch(`/employees/${grace.id}`, owner, { lastName: "Hopper" });
			const page = await get(`/employees/${grace.id}/history?pageSize=2`, owner);
			expect(page.body).toMatchObject({ total: 3, totalPages: 2 });
			expect(page.body.rows[0].changes.lastName).toEqual({ from: "Hopper-Murray", to: "Hopper" });
			expect((await get(`/employees/${grace.id}/history?type=hired`, owner)).body.total).toBe(1);
			expect422(await get(`/employees/${grace.id}/history?sort=by`, owner), "sort", "sortField");
			expect422(await get(`/employees/${grace.id}/history?type=promoted`, owner), "type");
		});
	});

	describe("names on rows", () => {
		it("directory and reports rows name their department, position and manager, and say so anew after a rename", async () => {
			const company = await signup(url, "Named Rows");
			const [departmentId, positionId] = await Promise.all([createDepartment(url, company, "Kitchen"), createPosition(url, company, "Cook")]);
			const chef = await hire(url, company, { firstName: "Hana", lastName: "Head" });
			const cook = await hire(url, company, { firstName: "Carl", lastName: "Cook", departmentId, positionId, managerId: chef.id });
			const rowOf = async (path: string, id: string) => (await get(path, company)).body.rows.find((r: { id: string }) => r.id === id);

			expect(await rowOf("/employees", cook.id)).toMatchObject({ departmentName: "Kitchen", positionTitle: "Cook", managerName: "Hana Head" });
			expect(await rowOf(`/employees/${chef.id}/reports`, cook.id)).toMatchObject({
				departmentName: "Kitchen",
				positionTitle: "Cook",
				managerName: "Hana Head"
			});
			// A row pointing at nothing says so.
			expect(await rowOf("/employees", chef.id)).toMatchObject({ departmentName: null, positionTitle: null, managerName: null });

			const renames = await Promise.all([
				request(url).patch(`/api/v1/departments/${departmentId}`).set(bearer(company.accessToken)).send({ name: "Galley" }),
				request(url).patch(`/api/v1/positions/${positionId}`).set(bearer(company.accessToken)).send({ title: "Sous-chef" }),
				patch(`/employees/${chef.id}`, company, { lastName: "Heads" })
			]);
			expect(renames.map(r => r.status)).toEqual([200, 200, 200]);
			expect(await rowOf("/employees", cook.id)).toMatchObject({ departmentName: "Galley", positionTitle: "Sous-chef", managerName: "Hana Heads" });
			expect(await rowOf(`/employees/${chef.id}/reports`, cook.id)).toMatchObject({
				departmentName: "Galley",
				positionTitle: "Sous-chef",
				managerName: "Hana Heads"
			});
		});

		it("an employee sees the names on their own row; the names' batch reads answer for the caller's company only", async () => {
			const departmentId = await createDepartment(url, acme, "Own Row Dept");
			const boss = await hire(url, acme, { firstName: "Bea", lastName: "Boss" });
			const worker = await hire(url, acme, { departmentId, managerId: boss.id });
			const account = await linkedUser(url, acme, "employee", worker.id);
			const mine = (await get("/employees", account)).body.rows;
			expect(mine).toEqual([expect.objectContaining({ id: worker.id, departmentName: "Own Row Dept", managerName: "Bea Boss" })]);
			// The batch reads behind the names answer only for the caller's own company.
			const asGlobex = { meta: { user: metaUser(globex) } };
			const asAcme = { meta: { user: metaUser(acme) } };
			const ask = { departmentIds: [departmentId], positionIds: [] };
			expect(await system.broker.call(OrgActions.names, ask, asAcme)).toEqual({ departments: { [departmentId]: "Own Row Dept" }, positions: {} });
			expect(await system.broker.call(OrgActions.names, ask, asGlobex)).toEqual({ departments: {}, positions: {} });
			expect(await system.broker.call(IdentityActions.userNames, { ids: [account.id] }, asAcme)).toEqual({ [account.id]: expect.any(String) });
			expect(await system.broker.call(IdentityActions.userNames, { ids: [account.id] }, asGlobex)).toEqual({});
		});
	});

	describe("tenant isolation", () => {
		it("answers 404 for another tenant's employee on every route", async () => {
			const theirs = await hire(url, acme, { managerId: null });
			const before = await current(theirs.id);
			const routes: Array<() => request.Test> = [
				() => get(`/employees/${theirs.id}`, globex),
				() => patch(`/employees/${theirs.id}`, globex, { firstName: "Stolen" }),
				() => post(`/employees/${theirs.id}/transfer`, globex, { managerId: null, departmentId: null, positionId: null }),
				() => post(`/employees/${theirs.id}/terminate`, globex, { date: "2024-12-31", reason: "Hostile" }),
				() => post(`/employees/${theirs.id}/rehire`, globex, { date: "2025-01-01" }),
				() => get(`/employees/${theirs.id}/history`, globex),
				() => get(`/employees/${theirs.id}/reports?depth=all`, globex)
			];
			for (const route of routes) {
				const res = await route();
				expect({ status: res.status, type: res.body.type }).toEqual({ status: 404, type: "NOT_FOUND" });
			}
			expect(await current(theirs.id)).toEqual(before);
			const list = await get("/employees?pageSize=100", globex);
			expect(ids(list.body.rows)).not.toContain(theirs.id);
		});

		it("refuses another tenant's employee as a manager, in a patch and a transfer (422)", async () => {
			const mine = await hire(url, globex);
			const theirs = await hire(url, acme);
			expectRule(await patch(`/employees/${mine.id}`, globex, { managerId: theirs.id }), "managerId", "reference");
			expectRule(await post(`/employees/${mine.id}/transfer`, globex, { managerId: theirs.id }), "managerId", "reference");
		});

		it("keeps tenantId out of a client's hands", async () => {
			const res = await post("/employees", globex, {
				firstName: "T",
				lastName: "Id",
				workEmail: uniqueEmail(),
				hireDate: "2024-01-01",
				tenantId: acme.tenant.id
			});
			expect(res.status).toBe(201);
			expect((await get(`/employees/${res.body.id}`, acme)).status).toBe(404);
		});
	});

	describe("internal actions", () => {
		const metaOf = (s: Signup): { user: AuthUser } => ({
			user: { id: s.user.id, tenantId: s.tenant.id, roles: ["owner"], employeeId: null, sessionId: "test" }
		});

		it("setUser writes the employee's side of an account link only over the link it expects", async () => {
			const made = await hire(url, acme);
			const set = (userId: string | null, expect: string | null) =>
				system.broker.call(EmployeeActions.setUser, { id: made.id, userId, expect }, { meta: metaOf(acme) });
			const userId = randomUUID();
			await expect(set(userId, randomUUID())).rejects.toMatchObject({ code: 409 });
			await expect(set(userId, null)).resolves.toMatchObject({ id: made.id, userId });
			await expect(set(randomUUID(), null)).rejects.toMatchObject({ code: 409 });
			expect((await get(`/employees/${made.id}`, acme)).body.userId).toBe(userId);
			await expect(
				system.broker.call(EmployeeActions.setUser, { id: made.id, userId: null, expect: userId }, { meta: metaOf(globex) })
			).rejects.toMatchObject({ code: 404 });
		});

		it("undoHire removes the employee and its history (onboarding's compensation)", async () => {
			const made = await system.broker.call<{ id: string; userId: string }, object>(
				EmployeeActions.hire,
				{ firstName: "On", lastName: "Boarded", workEmail: uniqueEmail(), hireDate: "2024-01-01" },
				{ meta: metaOf(acme) }
			);
			expect(made).toMatchObject({ userId: null, status: "active" });
			expect((await get(`/employees/${made.id}/history`, acme)).body.total).toBe(1);
			expect(await system.broker.call(EmployeeActions.undoHire, { id: made.id }, { meta: metaOf(globex) })).toEqual({ removed: false });
			expect((await get(`/employees/${made.id}`, acme)).status).toBe(200);
			expect(await system.broker.call(EmployeeActions.undoHire, { id: made.id }, { meta: metaOf(acme) })).toEqual({ removed: true });
			expect((await get(`/employees/${made.id}`, acme)).status).toBe(404);
			expect((await get(`/employees/${made.id}/history`, acme)).status).toBe(404);
			expect(await system.broker.call(EmployeeActions.undoHire, { id: made.id }, { meta: metaOf(acme) })).toEqual({ removed: false });
		});

		it("summaries, reportIds and isManagerOf answer within the caller's tenant", async () => {
			const boss = await hire(url, acme);
			const mid = await hire(url, acme, { managerId: boss.id });
			const low = await hire(url, acme, { managerId: mid.id });
			const foreign = await hire(url, globex);
			const summaries = await system.broker.call<EmployeeSummary[], object>(
				EmployeeActions.summaries,
				{ ids: [boss.id, low.id, foreign.id, "missing"] },
				{ meta: metaOf(acme) }
			);
			expect(ids(summaries)).toEqual([boss.id, low.id].sort());
			expect(Object.keys(summaries[0]).sort()).toEqual(
				[
					"id",
					"employeeNumber",
					"firstName",
					"lastName",
					"workEmail",
					"phone",
					"departmentId",
					"positionId",
					"managerId",
					"status",
					"userId",
					"hireDate",
					"terminationDate"
				].sort()
			);

			const call = (action: string, params: object, as: Signup = acme) => system.broker.call(action, params, { meta: metaOf(as) });
			expect(await call(EmployeeActions.reportIds, { id: boss.id, depth: "direct" })).toEqual([mid.id]);
			expect(((await call(EmployeeActions.reportIds, { id: boss.id, depth: "all" })) as string[]).sort()).toEqual([mid.id, low.id].sort());
			await expect(call(EmployeeActions.reportIds, { id: boss.id, depth: "all" }, globex)).rejects.toMatchObject({ code: 404 });
			expect(await call(EmployeeActions.isManagerOf, { managerId: boss.id, employeeId: low.id })).toBe(true);
			expect(await call(EmployeeActions.isManagerOf, { managerId: low.id, employeeId: boss.id })).toBe(false);
			expect(await call(EmployeeActions.isManagerOf, { managerId: boss.id, employeeId: boss.id })).toBe(false);
			expect(await call(EmployeeActions.isManagerOf, { managerId: boss.id, employeeId: low.id }, globex)).toBe(false);
			await expect(call(EmployeeActions.summaries, { ids: [] }, acme)).resolves.toEqual([]);
			await expect(system.broker.call(EmployeeActions.summaries, { ids: [boss.id] })).rejects.toMatchObject({ code: 401 });
		});

		it("isManagerOf and activeManager answer for an active employment only, again after a rehire", async () => {
			const boss = await hire(url, acme);
			const mid = await hire(url, acme, { managerId: boss.id });
			const low = await hire(url, acme, { managerId: mid.id });
			const foreign = await hire(url, globex);
			const manages = (managerId: string, employeeId: string) =>
				system.broker.call(EmployeeActions.isManagerOf, { managerId, employeeId }, { meta: metaOf(acme) });
			const as = (roles: Role[], employeeId: string) => ({ meta: { user: { ...metaOf(acme).user, roles, employeeId } } });
			const activeManager = (roles: Role[] = ["manager"]) => system.broker.call(EmployeeActions.activeManager, {}, as(roles, mid.id));
			expect(await manages(boss.id, low.id)).toBe(true);
			expect(await manages(mid.id, low.id)).toBe(true);
			expect(await activeManager()).toBe(mid.id);
			expect(await activeManager(["employee"])).toBeNull();
			expect(await system.broker.call(EmployeeActions.activeManager, {}, as(["manager"], foreign.id))).toBeNull();

			await post(`/employees/${mid.id}/terminate`, acme, { date: "2024-12-31", reason: "Left" });
			expect(await manages(mid.id, low.id)).toBe(false);
			expect(await activeManager()).toBeNull();
			// Above a terminated manager, the line still holds: the reports keep them until staff move them.
			expect(await manages(boss.id, low.id)).toBe(true);

			await post(`/employees/${mid.id}/rehire`, acme, { date: "2025-02-01" });
			expect(await manages(mid.id, low.id)).toBe(true);
			expect(await activeManager()).toBe(mid.id);
		});

		it("countInDepartment counts employees of any status, and org refuses to delete a staffed department", async () => {
			const departmentId = await createDepartment(url, acme, "Counted");
			const count = () => system.broker.call(EmployeeActions.countInDepartment, { departmentId }, { meta: metaOf(acme) });
			expect(await count()).toBe(0);
			const one = await hire(url, acme, { departmentId });
			await hire(url, acme, { departmentId });
			await post(`/employees/${one.id}/terminate`, acme, { date: "2024-12-31", reason: "Done" });
			expect(await count()).toBe(2);
			expect(await system.broker.call(EmployeeActions.countInDepartment, { departmentId }, { meta: metaOf(globex) })).toBe(0);
			expect((await request(url).delete(`/api/v1/departments/${departmentId}`).set(bearer(acme.accessToken))).status).toBe(409);
		});

		it("announces every change on its channel, sensitive values left out", async () => {
			const probe = await channelProbe<{ tenantId: string; employeeId: string; eventId: string; seq: number; changes: Record<string, unknown> }>(
				system.broker,
				"employees-event-probe",
				EmployeeEvents.changed
			);
			const seen = probe.seen;
			const person = await hire(url, acme, PERSONAL);
			await patch(`/employees/${person.id}`, acme, { nationalId: "NEW-1", firstName: "Evented" });
			await post(`/employees/${person.id}/terminate`, acme, { date: "2024-12-31", reason: "Event" });
			await eventually(() => expect(seen.filter(e => e.employeeId === person.id)).toHaveLength(3));
			const mine = seen.filter(e => e.employeeId === person.id);
			expect(mine.every(e => e.tenantId === acme.tenant.id)).toBe(true);
			expect(mine[1].changes).toEqual({ nationalId: { redacted: true }, firstName: { from: "Erin", to: "Evented" } });
			expect(JSON.stringify(mine)).not.toContain("NEW-1");
			expect(JSON.stringify(mine)).not.toContain(PERSONAL.nationalId);
			// Each its own event, numbered in the employee's history.
			expect(new Set(mine.map(e => e.eventId)).size).toBe(3);
			// Later changes have higher numbers; the audit records the same writes carry share the count.
			const seqs = mine.map(e => e.seq as number);
			expect(seqs[0]).toBe(1);
			expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
			expect(new Set(seqs).size).toBe(3);
			await probe.stop();
		});
	});
});
