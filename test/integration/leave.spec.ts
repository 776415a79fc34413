/**
 * Leave over HTTP: types, holidays, entitlements, requests and balances (the data service),
 * and approvals (the leave workflow). Rules, role scoping, tenant isolation on every route,
 * bad input, and the event that tells the requester.
 */
import type { AuthUser } from "../../lib/meta";
import type { Store } from "../../lib/store/types";
import { LeaveActions, LeaveEvents } from "../../lib/names/leave";
import { ReportSources } from "../../lib/names/reports";
import { hire, startRoomySystem } from "../support/employees";
import { type Session, type Signup, createUser, signup } from "../support/http";
import {
	type LeaveEventLog,
	type Person,
	client,
	day,
	entitle,
	holiday,
	leaveType,
	listenToLeaveEvents,
	metaUser,
	person,
	requestLeave,
	workWeek
} from "../support/leave";
import type { RunningSystem } from "../support/local-system";
import { eventually, itInProcess } from "../support/cluster-topology";
import { staleSession } from "../support/stale-session";
import { answeredInOrder, writtenWhileDeleting } from "../support/races";

describe("leave", () => {
	let system: RunningSystem;
	let api: ReturnType<typeof client>;
	let acme: Signup;
	let globex: Signup;
	let hr: Session;
	let annual: { id: string };
	let unpaid: { id: string };
	let globexType: { id: string };
	let globexEmployee: Person;
	let events: LeaveEventLog;

	/** A fresh employee of Acme with `days` of annual leave for 2030. */
	async function employee(days = 20, role = "employee", managerId: string | null = null): Promise<Person> {
		const p = await person(system.url, acme, role, managerId);
		await entitle(system.url, acme, p.employeeId, annual.id, 2030, days);
		return p;
	}

	async function balanceOf(as: { accessToken: string }, employeeId: string, leaveTypeId = annual.id) {
		const res = await api.get("/leave-balances", as, { employeeId, year: 2030 });
		expect(res.status).toBe(200);
		return res.body.balances.find((b: { leaveTypeId: string }) => b.leaveTypeId === leaveTypeId);
	}

	/** The caller the gateway saw for `p`, before anything changed. */
	const stale = (p: Person): AuthUser => ({ id: p.userId, tenantId: acme.tenant.id, roles: ["manager"], employeeId: p.employeeId, sessionId: "in-flight" });

	async function requestsOf(employeeId: string): Promise<number> {
		const res = await api.get("/leave-requests", acme, { employeeId });
		expect(res.status).toBe(200);
		return res.body.total;
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		api = client(system.url);
		[acme, globex] = await Promise.all([signup(system.url, "Acme"), signup(system.url, "Globex")]);
		hr = await createUser(system.url, acme, "hr");
		annual = await leaveType(system.url, acme, { name: "Annual Leave", yearlyAllowance: 20, carryOverCap: 5 });
		unpaid = await leaveType(system.url, acme, { name: "Unpaid", paid: false, yearlyAllowance: 0, allowNegative: true });
		globexType = await leaveType(system.url, globex, { name: "Annual Leave" });
		globexEmployee = await person(system.url, globex, "employee");
		events = await listenToLeaveEvents(system.broker);
	});
	afterAll(() => system?.stop());

	// ---- Leave types ---------------------------------------------------------------------

	describe("leave types", () => {
		it("are created by staff with defaults: 201 and a Location", async () => {
			const res = await api.post("/leave-types", hr, { name: "Sick", paid: true, yearlyAllowance: 10 });
			expect(res.status).toBe(201);
			expect(res.body).toMatchObject({ name: "Sick", paid: true, yearlyAllowance: 10, carryOverCap: 0, allowNegative: false });
			expect(res.body).not.toHaveProperty("tenantId");
			expect(res.headers.location).toBe(`/api/v1/leave-types/${res.body.id}`);
		});

		it("are managed by staff only (403) but read by everyone signed in", async () => {
			const someone = await person(system.url, acme, "manager");
			expect((await api.post("/leave-types", someone, { name: "Mine", paid: true, yearlyAllowance: 1 })).status).toBe(403);
			expect((await api.patch(`/leave-types/${annual.id}`, someone, { yearlyAllowance: 99 })).status).toBe(403);
			expect((await api.del(`/leave-types/${annual.id}`, someone)).status).toBe(403);
			const list = await api.get("/leave-types", someone);
			expect(list.status).toBe(200);
			expect(list.body.rows.map((t: { id: string }) => t.id)).toContain(annual.id);
			expect((await api.get(`/leave-types/${annual.id}`, someone)).body).toMatchObject({ id: annual.id, yearlyAllowance: 20 });
		});

		it("have names unique per tenant regardless of case (409 name); another tenant may reuse one", async () => {
			const res = await api.post("/leave-types", acme, { name: "annual leave", paid: true, yearlyAllowance: 5 });
			expect(res.status).toBe(409);
			expect(res.body.data).toMatchObject({ field: "name" });
			const renamed = await api.patch(`/leave-types/${unpaid.id}`, acme, { name: "ANNUAL LEAVE" });
			expect(renamed.status).toBe(409);
			expect((await api.get(`/leave-types/${unpaid.id}`, acme)).body.name).toBe("Unpaid");
			expect(globexType.id).toEqual(expect.any(String));
		});

		it.each([
			[{ name: "X", paid: true, yearlyAllowance: 2.3 }, "yearlyAllowance"],
			[{ name: "X", paid: true, yearlyAllowance: -1 }, "yearlyAllowance"],
			[{ name: "X", paid: true, yearlyAllowance: 400 }, "yearlyAllowance"],
			[{ name: "X", paid: true, yearlyAllowance: 3, carryOverCap: 0.7 }, "carryOverCap"],
			[{ name: "X", paid: "yes", yearlyAllowance: 3 }, "paid"],
			[{ name: "X", yearlyAllowance: 3 }, "paid"],
			[{ name: "", paid: true, yearlyAllowance: 3 }, "name"],
			[{ name: "X", paid: true, yearlyAllowance: 3, allowNegative: "no" }, "allowNegative"],
			[{ name: "X", paid: true, yearlyAllowance: 3, tenantColour: "red" }, "tenantColour"]
		])("refuses %j naming %s (422), creating nothing", async (body, field) => {
			const before = (await api.get("/leave-types", acme)).body.total;
			const res = await api.post("/leave-types", acme, body);
			expect(res.status).toBe(422);
			expect(res.body.data.map((d: { field: string }) => d.field)).toContain(field);
			expect((await api.get("/leave-types", acme)).body.total).toBe(before);
		});

		it("list with paging, sorting and filters; unknown filters and sort fields are 422", async () => {
			const own = await signup(system.url, "Typeco");
			await leaveType(system.url, own, { name: "Annual", yearlyAllowance: 25 });
			await leaveType(system.url, own, { name: "Sick", yearlyAllowance: 10 });
			await leaveType(system.url, own, { name: "Unpaid", paid: false, yearlyAllowance: 0, allowNegative: true });

			const page = await api.get("/leave-types", own, { pageSize: 2, page: 2 });
			expect(page.status).toBe(200);
			expect(page.body).toMatchObject({ total: 3, page: 2, pageSize: 2, totalPages: 2 });
			expect(page.body.rows.map((t: { name: string }) => t.name)).toEqual(["Unpaid"]);

			const sorted = await api.get("/leave-types", own, { sort: "-yearlyAllowance" });
			expect(sorted.body.rows.map((t: { name: string }) => t.name)).toEqual(["Annual", "Sick", "Unpaid"]);
			const unpaidOnly = await api.get("/leave-types", own, { paid: false });
			expect(unpaidOnly.body.rows.map((t: { name: string }) => t.name)).toEqual(["Unpaid"]);
			const searched = await api.get("/leave-types", own, { search: "SIC" });
			expect(searched.body.rows.map((t: { name: string }) => t.name)).toEqual(["Sick"]);

			for (const [query, field] of [
				[{ pageSize: 101 }, "pageSize"],
				[{ page: 0 }, "page"],
				[{ sort: "colour" }, "sort"],
				[{ colour: "red" }, "colour"],
				[{ paid: "maybe" }, "paid"]
			] as const) {
				const res = await api.get("/leave-types", own, query);
				expect({ query, status: res.status }).toEqual({ query, status: 422 });
				expect(res.body.data[0].field).toBe(field);
			}
		});

		it("are updated and deleted by staff; a type in use cannot be deleted (409)", async () => {
			const type = await leaveType(system.url, acme, { name: "Study", yearlyAllowance: 3 });
			const patched = await api.patch(`/leave-types/${type.id}`, hr, { yearlyAllowance: 4.5, carryOverCap: 2 });
			expect(patched.status).toBe(200);
			expect(patched.body).toMatchObject({ name: "Study", yearlyAllowance: 4.5, carryOverCap: 2 });
			const bad = await api.patch(`/leave-types/${type.id}`, hr, { yearlyAllowance: 1.25 });
			expect(bad.status).toBe(422);
			expect(bad.body.data[0].field).toBe("yearlyAllowance");

			const p = await person(system.url, acme, "employee");
			await entitle(system.url, acme, p.employeeId, type.id, 2030, 3);
			const inUse = await api.del(`/leave-types/${type.id}`, hr);
			expect(inUse.status).toBe(409);
			expect((await api.get(`/leave-types/${type.id}`, hr)).status).toBe(200);

			const spare = await leaveType(system.url, acme, { name: "Spare" });
			expect((await api.del(`/leave-types/${spare.id}`, hr)).status).toBe(204);
			expect((await api.get(`/leave-types/${spare.id}`, hr)).status).toBe(404);
		});

		itInProcess("an entitlement or a request of a type being deleted waits for the delete, then is 422: no orphan of a deleted type", async () => {
			const p = await person(system.url, acme, "employee");
			const leave = system.broker.getLocalService("leave") as unknown as { store(name: string): Store };
			const entitlements = leave.store("leaveEntitlements");
			for (const write of [
				(typeId: string) => api.post("/leave-entitlements", hr, { employeeId: p.employeeId, leaveTypeId: typeId, year: 2031, days: 3 }),
				(typeId: string) => api.post("/leave-requests", p, { leaveTypeId: typeId, ...workWeek(3) })
			]) {
				const type = await leaveType(system.url, acme, { name: `Going ${Math.random()}`, allowNegative: true });
				// The write arrives while the delete has counted the type's uses and not yet removed it.
				const res = await writtenWhileDeleting(
					entitlements,
					() => api.del(`/leave-types/${type.id}`, hr),
					() => write(type.id)
				);
				expect(res.status).toBe(422);
				expect(res.body.data?.[0].field).toBe("leaveTypeId");
				expect((await api.get(`/leave-entitlements?leaveTypeId=${type.id}`, hr)).body.total).toBe(0);
				expect((await api.get(`/leave-requests?leaveTypeId=${type.id}`, hr)).body.total).toBe(0);
			}
		});

		itInProcess("a grant (onboarding) while a type is being deleted waits for the delete and grants nothing of that type", async () => {
			const p = await person(system.url, acme, "employee");
			const leave = system.broker.getLocalService("leave") as unknown as { store(name: string): Store };
			const entitlements = leave.store("leaveEntitlements");
			const type = await leaveType(system.url, acme, { name: `Going ${Math.random()}`, yearlyAllowance: 3 });
			// The grant arrives while the delete has counted the type's uses and not yet removed it.
			const made = await writtenWhileDeleting(
				entitlements,
				() => api.del(`/leave-types/${type.id}`, hr),
				() =>
					system.broker.call<Array<{ leaveTypeId: string }>, object>(
						LeaveActions.grantEntitlements,
						{ employeeId: p.employeeId, year: 2032 },
						{ meta: { user: metaUser(acme) } }
					)
			);
			expect(made.length).toBeGreaterThan(0);
			expect(made.filter(e => e.leaveTypeId === type.id)).toEqual([]);
			expect((await api.get(`/leave-entitlements?leaveTypeId=${type.id}`, hr)).body.total).toBe(0);
		});

		itInProcess("requests of one type by two employees go side by side: one does not wait for the other", async () => {
			const [p1, p2] = [await person(system.url, acme, "employee"), await person(system.url, acme, "employee")];
			const type = await leaveType(system.url, acme, { name: `Busy ${Math.random()}`, allowNegative: true });
			const requests = (system.broker.getLocalService("leave") as unknown as { adapter: Store }).adapter;
			const send = (who: Session) => () => api.post("/leave-requests", who, { leaveTypeId: type.id, ...workWeek(5) });
			const { answers, order } = await answeredInOrder(requests, "insert", send(p1), send(p2), { holdMs: 600 });
			expect({ statuses: answers.map(res => res.status), order }).toEqual({ statuses: [201, 201], order: ["second", "first"] });
		});

		it("of another tenant are 404 on every route, and stay as they were", async () => {
			expect((await api.get(`/leave-types/${annual.id}`, globex)).status).toBe(404);
			expect((await api.patch(`/leave-types/${annual.id}`, globex, { yearlyAllowance: 1 })).status).toBe(404);
			expect((await api.del(`/leave-types/${annual.id}`, globex)).status).toBe(404);
			expect((await api.get("/leave-types", globex)).body.rows.map((t: { id: string }) => t.id)).not.toContain(annual.id);
			expect((await api.get(`/leave-types/${annual.id}`, acme)).body.yearlyAllowance).toBe(20);
		});
	});

	// ---- Holidays ------------------------------------------------------------------------

	describe("holidays", () => {
		it("are created by staff, one per date (409 date), and listed by year for everyone", async () => {
			const own = await signup(system.url, "Holidayco");
			const res = await api.post("/holidays", own, { date: "2030-05-01", name: "Labour Day" });
			expect(res.status).toBe(201);
			expect(res.body).toMatchObject({ date: "2030-05-01", name: "Labour Day" });
			expect(res.headers.location).toBe(`/api/v1/holidays/${res.body.id}`);
			await holiday(system.url, own, "2030-12-25", "Christmas");
			await holiday(system.url, own, "2031-01-01", "New Year");
			const dup = await api.post("/holidays", own, { date: "2030-05-01", name: "Again" });
			expect(dup.status).toBe(409);
			expect(dup.body.data).toMatchObject({ field: "date" });
			// A year no list can ask for (?year= stops at 2100) is refused, on creation and on a change.
			const far = await api.post("/holidays", own, { date: "9999-05-01", name: "Far" });
			expect(far.status).toBe(422);
			expect(far.body.data[0]).toMatchObject({ field: "date" });
			expect((await api.patch(`/holidays/${res.body.id}`, own, { date: "9999-05-01" })).status).toBe(422);
			expect((await api.get(`/holidays/${res.body.id}`, own)).body.date).toBe("2030-05-01");

			const someone = await person(system.url, own, "employee");
			expect((await api.post("/holidays", someone, { date: "2030-06-01", name: "Mine" })).status).toBe(403);
			const year = await api.get("/holidays", someone, { year: 2030, sort: "-date" });
			expect(year.status).toBe(200);
			expect(year.body.rows.map((h: { date: string }) => h.date)).toEqual(["2030-12-25", "2030-05-01"]);
			const window = await api.get("/holidays", someone, { from: "2030-06-01", to: "2031-06-01" });
			expect(window.body.rows.map((h: { date: string }) => h.date)).toEqual(["2030-12-25", "2031-01-01"]);
			expect((await api.get("/holidays", someone, { pageSize: 1 })).body).toMatchObject({ total: 3, totalPages: 3 });

			for (const [query, field] of [
				[{ year: "soon" }, "year"],
				[{ from: "2030-02-30" }, "from"],
				[{ sort: "colour" }, "sort"],
				[{ region: "north" }, "region"],
				[{ pageSize: 500 }, "pageSize"]
			] as const) {
				const bad = await api.get("/holidays", someone, query);
				expect({ query, status: bad.status }).toEqual({ query, status: 422 });
				expect(bad.body.data[0].field).toBe(field);
			}
		});

		it.each([
			[{ date: "2030-02-30", name: "Nope" }, "date"],
			[{ date: "30/01/2030", name: "Nope" }, "date"],
			[{ date: "2030-03-03" }, "name"],
			[{ date: "2030-03-03", name: "X", recurring: true }, "recurring"]
		])("refuses %j naming %s (422)", async (body, field) => {
			const res = await api.post("/holidays", hr, body);
			expect(res.status).toBe(422);
			expect(res.body.data[0].field).toBe(field);
		});

		it("are renamed, moved and deleted by staff; another tenant's are 404 on every route", async () => {
			const id = await holiday(system.url, acme, "2030-08-15", "Assumption");
			const moved = await api.patch(`/holidays/${id}`, hr, { date: "2030-08-16", name: "Moved" });
			expect(moved.status).toBe(200);
			expect(moved.body).toMatchObject({ date: "2030-08-16", name: "Moved" });
			expect((await api.get(`/holidays/${id}`, globex)).status).toBe(404);
			expect((await api.patch(`/holidays/${id}`, globex, { name: "Stolen" })).status).toBe(404);
			expect((await api.del(`/holidays/${id}`, globex)).status).toBe(404);
			expect((await api.get("/holidays", globex, { year: 2030 })).body.total).toBe(0);
			expect((await api.get(`/holidays/${id}`, acme)).body.name).toBe("Moved");
			expect((await api.del(`/holidays/${id}`, hr)).status).toBe(204);
			expect((await api.get(`/holidays/${id}`, acme)).status).toBe(404);
		});
	});

	// ---- Entitlements --------------------------------------------------------------------

	describe("entitlements", () => {
		it("are created by staff, one per employee, type and year (409 year)", async () => {
			const p = await person(system.url, acme, "employee");
			const res = await api.post("/leave-entitlements", hr, { employeeId: p.employeeId, leaveTypeId: annual.id, year: 2030, days: 22.5, carriedOver: 2 });
			expect(res.status).toBe(201);
			expect(res.body).toMatchObject({ employeeId: p.employeeId, leaveTypeId: annual.id, year: 2030, days: 22.5, carriedOver: 2, source: "manual" });
			expect(res.headers.location).toBe(`/api/v1/leave-entitlements/${res.body.id}`);
			const dup = await api.post("/leave-entitlements", hr, { employeeId: p.employeeId, leaveTypeId: annual.id, year: 2030, days: 1 });
			expect(dup.status).toBe(409);
			expect(dup.body.data).toMatchObject({ field: "year" });
			expect((await api.post("/leave-entitlements", p, { employeeId: p.employeeId, leaveTypeId: unpaid.id, year: 2030, days: 1 })).status).toBe(403);
		});

		it("refuse bad input and foreign references, naming the field (422)", async () => {
			const p = await person(system.url, acme, "employee");
			const good = { employeeId: p.employeeId, leaveTypeId: annual.id, year: 2030, days: 5 };
			for (const [body, field] of [
				[{ ...good, employeeId: "no-such-employee" }, "employeeId"],
				[{ ...good, employeeId: globexEmployee.employeeId }, "employeeId"],
				[{ ...good, leaveTypeId: globexType.id }, "leaveTypeId"],
				[{ ...good, days: 2.25 }, "days"],
				[{ ...good, days: -1 }, "days"],
				[{ ...good, carriedOver: 0.1 }, "carriedOver"],
				[{ ...good, year: 1999 }, "year"],
				[{ ...good, year: 2030.5 }, "year"],
				[{ ...good, employeeNumber: "7" }, "employeeNumber"]
			] as const) {
				const res = await api.post("/leave-entitlements", acme, body);
				expect({ body, status: res.status }).toEqual({ body, status: 422 });
				expect(res.body.data[0].field).toBe(field);
			}
			expect((await api.get("/leave-entitlements", acme, { employeeId: p.employeeId })).body.total).toBe(0);
		});

		it("are seen by the employee (own), their managers and staff; anyone else gets 404", async () => {
			const boss = await person(system.url, acme, "manager");
			const worker = await employee(20, "employee", boss.employeeId);
			const colleague = await employee(15);
			const mine = await api.get("/leave-entitlements", worker);
			expect(mine.status).toBe(200);
			expect(mine.body.rows.map((e: { employeeId: string }) => e.employeeId)).toEqual([worker.employeeId]);
			expect((await api.get("/leave-entitlements", worker, { employeeId: colleague.employeeId })).body.total).toBe(0);
			const colleagues = await api.get("/leave-entitlements", hr, { employeeId: colleague.employeeId });
			const colleagueEntitlement = colleagues.body.rows[0].id;
			expect((await api.get(`/leave-entitlements/${colleagueEntitlement}`, worker)).status).toBe(404);
			expect((await api.get(`/leave-entitlements/${colleagueEntitlement}`, boss)).status).toBe(404);
			const workerEntitlement = mine.body.rows[0].id;
			expect((await api.get(`/leave-entitlements/${workerEntitlement}`, boss)).status).toBe(200);
			expect((await api.get("/leave-entitlements", boss)).body.rows.map((e: { employeeId: string }) => e.employeeId)).toEqual([worker.employeeId]);
			expect((await api.get(`/leave-entitlements/${colleagueEntitlement}`, hr)).status).toBe(200);
		});

		it("list with paging, sorting and filters; unknown ones are 422", async () => {
			const p = await person(system.url, acme, "employee");
			await entitle(system.url, acme, p.employeeId, annual.id, 2029, 18);
			await entitle(system.url, acme, p.employeeId, annual.id, 2030, 20);
			await entitle(system.url, acme, p.employeeId, unpaid.id, 2030, 0);
			const res = await api.get("/leave-entitlements", hr, { employeeId: p.employeeId, sort: "year,-days", pageSize: 2 });
			expect(res.body).toMatchObject({ total: 3, totalPages: 2 });
			expect(res.body.rows.map((e: { year: number; days: number }) => [e.year, e.days])).toEqual([
				[2029, 18],
				[2030, 20]
			]);
			expect((await api.get("/leave-entitlements", hr, { employeeId: p.employeeId, year: 2030, leaveTypeId: unpaid.id })).body.total).toBe(1);
			for (const [query, field] of [
				[{ year: "last" }, "year"],
				[{ sort: "employeeId" }, "sort"],
				[{ status: "active" }, "status"],
				[{ pageSize: 0 }, "pageSize"]
			] as const) {
				const bad = await api.get("/leave-entitlements", hr, query);
				expect({ query, status: bad.status }).toEqual({ query, status: 422 });
				expect(bad.body.data[0].field).toBe(field);
			}
		});

		it("are changed and removed by staff only; another tenant's are 404 on every route", async () => {
			const p = await person(system.url, acme, "employee");
			const id = await entitle(system.url, acme, p.employeeId, annual.id, 2030, 20);
			expect((await api.patch(`/leave-entitlements/${id}`, p, { days: 99 })).status).toBe(403);
			const bad = await api.patch(`/leave-entitlements/${id}`, hr, { days: 1.2 });
			expect(bad.status).toBe(422);
			expect(bad.body.data[0].field).toBe("days");
			const patched = await api.patch(`/leave-entitlements/${id}`, hr, { days: 25, carriedOver: 1.5 });
			expect(patched.status).toBe(200);
			expect(patched.body).toMatchObject({ days: 25, carriedOver: 1.5 });

			expect((await api.get(`/leave-entitlements/${id}`, globex)).status).toBe(404);
			expect((await api.patch(`/leave-entitlements/${id}`, globex, { days: 0 })).status).toBe(404);
			expect((await api.del(`/leave-entitlements/${id}`, globex)).status).toBe(404);
			expect((await api.get("/leave-entitlements", globex, { employeeId: p.employeeId })).body.total).toBe(0);
			expect((await api.get(`/leave-entitlements/${id}`, acme)).body.days).toBe(25);

			expect((await api.del(`/leave-entitlements/${id}`, p)).status).toBe(403);
			expect((await api.del(`/leave-entitlements/${id}`, hr)).status).toBe(204);
			expect((await api.get(`/leave-entitlements/${id}`, hr)).status).toBe(404);
		});

		it("may not be lowered below the days taken and pending (422 days, insufficientBalance), unless the type allows a negative balance", async () => {
			const p = await person(system.url, acme, "employee");
			const id = await entitle(system.url, acme, p.employeeId, annual.id, 2030, 10);
			const taken = await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(2, 0), endDate: day(2, 1) });
			expect((await api.post(`/leave-requests/${taken.id}/approve`, hr)).status).toBe(200);
			await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(3) });
			await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(4, 0), endDate: day(4, 2) });
			expect(await balanceOf(hr, p.employeeId)).toMatchObject({ entitled: 10, taken: 2, pending: 8, remaining: 0 });

			// Pending days count, as they do when a request is admitted.
			for (const body of [{ days: 1 }, { days: 9.5 }, { days: 5, carriedOver: 4 }]) {
				const res = await api.patch(`/leave-entitlements/${id}`, hr, body);
				expect({ body, status: res.status }).toEqual({ body, status: 422 });
				expect(res.body.data).toEqual([expect.objectContaining({ field: "days", type: "insufficientBalance" })]);
				expect(res.body.data[0].message).toMatch(/2 day\(s\) are taken and 8 pending/);
			}
			expect((await api.get(`/leave-entitlements/${id}`, hr)).body).toMatchObject({ days: 10, carriedOver: 0 });
			expect(await balanceOf(hr, p.employeeId)).toMatchObject({ remaining: 0 });
			// Deleting it is lowering it to nothing: 409 while days stand on it.
			const gone = await api.del(`/leave-entitlements/${id}`, hr);
			expect(gone.status).toBe(409);
			expect(gone.body.data).toEqual({ taken: 2, pending: 8 });
			expect((await api.get(`/leave-entitlements/${id}`, hr)).status).toBe(200);
			// Exactly what is held, or the days moved into the carry-over, is enough.
			expect((await api.patch(`/leave-entitlements/${id}`, hr, { days: 6, carriedOver: 4 })).body).toMatchObject({ days: 6, carriedOver: 4 });
			const carry = await api.patch(`/leave-entitlements/${id}`, hr, { carriedOver: 3.5 });
			expect(carry.status).toBe(422);
			expect(carry.body.data[0]).toMatchObject({ field: "carriedOver", type: "insufficientBalance" });

			// A type that allows a negative balance may go below zero, as its requests may.
			const negativeId = await entitle(system.url, acme, p.employeeId, unpaid.id, 2030, 5);
			await requestLeave(system.url, p, { leaveTypeId: unpaid.id, ...workWeek(6) });
			expect((await api.patch(`/leave-entitlements/${negativeId}`, hr, { days: 1 })).status).toBe(200);
			expect(await balanceOf(hr, p.employeeId, unpaid.id)).toMatchObject({ entitled: 1, pending: 5, remaining: -4 });
			expect((await api.del(`/leave-entitlements/${negativeId}`, hr)).status).toBe(204);
		});

		// In one process: the test holds the leave service's own admission open.
		itInProcess("lowered while a request is being admitted: the change waits for the admission, then is refused", async () => {
			const p = await person(system.url, acme, "employee");
			const id = await entitle(system.url, acme, p.employeeId, annual.id, 2030, 10);
			await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(7) });
			// The second request passes its balance check and is held before it is stored.
			const leave = system.broker.getLocalService("leave") as unknown as { admit: (...args: unknown[]) => Promise<void> };
			const admit = leave.admit;
			let release = () => {};
			const held = new Promise<void>(resolve => (release = resolve));
			let admitted = () => {};
			const checked = new Promise<void>(resolve => (admitted = resolve));
			leave.admit = async (...args) => {
				await admit(...args);
				admitted();
				await held;
			};
			try {
				const requested = api.post("/leave-requests", hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...workWeek(8) }).then(res => res);
				await checked;
				// Alone, 5 days fit the 5 pending; with the held request they do not. Unlocked, the change
				// would land while the request is held; locked, it waits, so give it a bounded while.
				const lowered = api.patch(`/leave-entitlements/${id}`, hr, { days: 5 }).then(res => res);
				await Promise.race([lowered, new Promise(resolve => setTimeout(resolve, 300))]);
				release();
				expect((await requested).status).toBe(201);
				const refused = await lowered;
				expect(refused.status).toBe(422);
				expect(refused.body.data[0]).toMatchObject({ field: "days", type: "insufficientBalance" });
			} finally {
				leave.admit = admit;
				release();
			}
			expect(await balanceOf(hr, p.employeeId)).toMatchObject({ entitled: 10, pending: 10, remaining: 0 });
		});

		describe("granted for a year (leave.grantEntitlements)", () => {
			it("makes one per leave type with its allowance and the capped carry-over; twice is once; revoke undoes it", async () => {
				const co = await signup(system.url, "Grantco");
				const holidays = await leaveType(system.url, co, { name: "Holidays", yearlyAllowance: 20, carryOverCap: 5 });
				const training = await leaveType(system.url, co, { name: "Training", yearlyAllowance: 4, carryOverCap: 0 });
				const parental = await leaveType(system.url, co, { name: "Parental", yearlyAllowance: 10, carryOverCap: 8 });
				const p = await person(system.url, co, "employee");
				// 2029: 20 days of holidays, 12 taken → 8 left, 5 carried; parental 10, 7.5 taken → 2.5 carried.
				await entitle(system.url, co, p.employeeId, holidays.id, 2029, 20);
				await entitle(system.url, co, p.employeeId, parental.id, 2029, 10);
				const taken = await requestLeave(system.url, p, { leaveTypeId: holidays.id, startDate: "2029-03-05", endDate: "2029-03-20" });
				expect(taken.days).toBe(12);
				expect((await api.post(`/leave-requests/${taken.id}/approve`, co)).status).toBe(200);
				const parentalTaken = await requestLeave(system.url, p, {
					leaveTypeId: parental.id,
					startDate: "2029-06-04",
					endDate: "2029-06-12",
					halfDayEnd: true
				});
				expect(parentalTaken.days).toBe(6.5);
				await requestLeave(system.url, p, { leaveTypeId: parental.id, startDate: "2029-07-02", endDate: "2029-07-02" });

				const meta = { user: metaUser(co) };
				const granted = await system.broker.call<Array<Record<string, unknown>>, object>(
					LeaveActions.grantEntitlements,
					{ employeeId: p.employeeId, year: 2030 },
					{ meta }
				);
				const byType = (id: string) => granted.find(e => e.leaveTypeId === id);
				expect(granted).toHaveLength(3);
				expect(byType(holidays.id)).toMatchObject({ year: 2030, days: 20, carriedOver: 5, source: "grant" });
				expect(byType(training.id)).toMatchObject({ days: 4, carriedOver: 0 });
				expect(byType(parental.id)).toMatchObject({ days: 10, carriedOver: 2.5 });

				const again = await system.broker.call<Array<{ id: string }>, object>(
					LeaveActions.grantEntitlements,
					{ employeeId: p.employeeId, year: 2030 },
					{ meta }
				);
				expect(again.map(e => e.id).sort()).toEqual(granted.map(e => e.id).sort());
				expect((await api.get("/leave-entitlements", co, { employeeId: p.employeeId, year: 2030 })).body.total).toBe(3);
				const balance = await api.get("/leave-balances", co, { employeeId: p.employeeId, year: 2030 });
				expect(balance.body.balances.find((b: { leaveTypeId: string }) => b.leaveTypeId === holidays.id)).toMatchObject({
					entitled: 20,
					carriedOver: 5,
					remaining: 25
				});

				const revoked = await system.broker.call<{ removed: number }, object>(
					LeaveActions.revokeEntitlements,
					{ employeeId: p.employeeId, year: 2030 },
					{ meta }
				);
				expect(revoked).toEqual({ removed: 3 });
				expect((await api.get("/leave-entitlements", co, { employeeId: p.employeeId, year: 2030 })).body.total).toBe(0);
				expect((await api.get("/leave-entitlements", co, { employeeId: p.employeeId, year: 2029 })).body.total).toBe(2);
			});

			it("refuses an employee of another tenant (422 employeeId)", async () => {
				await expect(
					system.broker.call(
						LeaveActions.grantEntitlements,
						{ employeeId: globexEmployee.employeeId, year: 2030 },
						{ meta: { user: metaUser(acme) } }
					)
				).rejects.toMatchObject({ code: 422, data: [expect.objectContaining({ field: "employeeId" })] });
			});
		});
	});

	// ---- Requests ------------------------------------------------------------------------

	describe("requests", () => {
		/** One employee for every refused request: nothing may ever be stored for them. */
		let refuser: Person | undefined;

		it("count working days: weekends and the tenant's holidays are left out", async () => {
			const p = await employee();
			await holiday(system.url, acme, day(30, 2), "Midweek Holiday");
			const week = await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(30, 0), endDate: day(30, 6) });
			expect(week).toMatchObject({ days: 4, status: "requested", employeeId: p.employeeId });
			const overWeekend = await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(31, 4), endDate: day(32, 0) });
			expect(overWeekend.days).toBe(2);
			const res = await api.get(`/leave-requests/${week.id}`, p);
			expect(res.body).toMatchObject({ startDate: day(30, 0), endDate: day(30, 6), days: 4, year: 2030, reason: null, decidedBy: null });
		});

		it("take half a day off for each half-day flag", async () => {
			const p = await employee();
			expect((await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(1), halfDayStart: true })).days).toBe(4.5);
			expect((await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(2), halfDayStart: true, halfDayEnd: true })).days).toBe(4);
			expect((await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(3, 1), endDate: day(3, 1), halfDayEnd: true })).days).toBe(0.5);
			// The afternoon of that same day is still free.
			expect((await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(3, 1), endDate: day(3, 1), halfDayStart: true })).days).toBe(
				0.5
			);
			expect((await balanceOf(hr, p.employeeId)).pending).toBe(9.5);
		});

		it.each([
			["an end before the start", { startDate: day(5, 3), endDate: day(5, 1) }, "endDate"],
			["a range across two years", { startDate: "2030-12-30", endDate: "2031-01-03" }, "endDate"],
			["a weekend only", { startDate: day(5, 5), endDate: day(5, 6) }, "startDate"],
			["one day, half twice", { startDate: day(5, 1), endDate: day(5, 1), halfDayStart: true, halfDayEnd: true }, "halfDayEnd"],
			["half of a Saturday", { startDate: day(5, 5), endDate: day(6, 1), halfDayStart: true }, "halfDayStart"],
			["half of a Sunday", { startDate: day(5, 1), endDate: day(5, 6), halfDayEnd: true }, "halfDayEnd"],
			["the 30th of February", { startDate: "2030-02-30", endDate: "2030-03-01" }, "startDate"],
			["a date in the wrong format", { startDate: "07/01/2030", endDate: day(5, 1) }, "startDate"],
			["a year after any a query can name", { startDate: "9999-01-04", endDate: "9999-01-08" }, "startDate"],
			["a year before any a query can name", { startDate: "1999-12-27", endDate: "1999-12-31" }, "startDate"],
			["a missing end", { startDate: day(5, 1), endDate: undefined }, "endDate"],
			["a half-day flag that is no boolean", { ...workWeek(5), halfDayStart: "morning" }, "halfDayStart"],
			["a reason too long", { ...workWeek(5), reason: "x".repeat(501) }, "reason"],
			["another tenant's leave type", { ...workWeek(5), leaveTypeId: "GLOBEX" }, "leaveTypeId"],
			["an unknown leave type", { ...workWeek(5), leaveTypeId: "no-such-type" }, "leaveTypeId"],
			["an unknown field", { ...workWeek(5), status: "approved" }, "status"]
		])("refuse %s (422 naming the field) and store nothing", async (_what, body, field) => {
			refuser ??= await employee();
			const p = refuser;
			const leaveTypeId =
				(body as { leaveTypeId?: string }).leaveTypeId === "GLOBEX" ? globexType.id : ((body as { leaveTypeId?: string }).leaveTypeId ?? annual.id);
			const res = await api.post("/leave-requests", p, { ...body, leaveTypeId });
			expect(res.status).toBe(422);
			expect(res.body.data[0].field).toBe(field);
			expect(await requestsOf(p.employeeId)).toBe(0);
		});

		it("may not overlap the employee's requested or approved leave (409); rejected and cancelled leave frees the days", async () => {
			const boss = await person(system.url, acme, "manager");
			const p = await employee(40, "employee", boss.employeeId);
			const first = await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(8, 0), endDate: day(8, 2) });
			const clash = await api.post("/leave-requests", p, { leaveTypeId: unpaid.id, startDate: day(8, 2), endDate: day(8, 4) });
			expect(clash.status).toBe(409);
			expect(clash.body.data).toMatchObject({ field: "startDate", requestId: first.id });

			expect((await api.post(`/leave-requests/${first.id}/approve`, boss)).status).toBe(200);
			expect((await api.post("/leave-requests", p, { leaveTypeId: annual.id, startDate: day(7, 4), endDate: day(8, 0) })).status).toBe(409);
			expect(await requestsOf(p.employeeId)).toBe(1);

			// Morning of Wednesday taken by one request, the afternoon by the next: no overlap.
			const morning = await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(9, 0), endDate: day(9, 2), halfDayEnd: true });
			const afternoon = await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(9, 2), endDate: day(9, 4), halfDayStart: true });
			expect(morning.days + afternoon.days).toBe(5);

			const rejected = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(10) });
			expect((await api.post(`/leave-requests/${rejected.id}/reject`, boss)).status).toBe(200);
			const cancelled = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(11) });
			expect((await api.post(`/leave-requests/${cancelled.id}/cancel`, p)).status).toBe(200);
			await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(10) });
			await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(11) });
		});

		it("must fit the balance, pending days included (422 insufficientBalance), unless the type allows a negative balance", async () => {
			const p = await employee(5);
			await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(12, 0), endDate: day(12, 2) });
			const over = await api.post("/leave-requests", p, { leaveTypeId: annual.id, startDate: day(13, 0), endDate: day(13, 2) });
			expect(over.status).toBe(422);
			expect(over.body.data[0]).toMatchObject({ field: "leaveTypeId", type: "insufficientBalance" });
			expect(over.body.data[0].message).toMatch(/3 day\(s\).*only 2 remain/);
			expect(await requestsOf(p.employeeId)).toBe(1);
			// Exactly what remains fits.
			await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(13, 0), endDate: day(13, 1) });
			expect(await balanceOf(p, p.employeeId)).toMatchObject({ entitled: 5, pending: 5, remaining: 0 });

			// No entitlement at all, but the type allows going negative.
			const negative = await requestLeave(system.url, p, { leaveTypeId: unpaid.id, ...workWeek(14) });
			expect(negative.days).toBe(5);
			expect(await balanceOf(p, p.employeeId, unpaid.id)).toMatchObject({ entitled: 0, pending: 5, remaining: -5 });
			// A type without an entitlement that year, and no negative balance: nothing to take from.
			const sick = await leaveType(system.url, acme, { name: `Sick ${p.employeeId}`, yearlyAllowance: 10 });
			const none = await api.post("/leave-requests", p, { leaveTypeId: sick.id, ...workWeek(15) });
			expect(none.status).toBe(422);
			expect(none.body.data[0].type).toBe("insufficientBalance");
		});

		it("admit only one of several identical requests sent at once", async () => {
			const p = await employee();
			const body = { leaveTypeId: annual.id, ...workWeek(16) };
			const answers = await Promise.all([1, 2, 3].map(() => api.post("/leave-requests", p, body)));
			expect(answers.map(r => r.status).sort()).toEqual([201, 409, 409]);
			// Straight into the broker as well, where nothing staggers the calls the way HTTP parsing does.
			const user = { id: p.userId, tenantId: acme.tenant.id, roles: ["employee"], employeeId: p.employeeId, sessionId: "test-session" };
			const direct = await Promise.allSettled(
				[1, 2, 3, 4].map(() => system.broker.call("leave.createRequest", { leaveTypeId: annual.id, ...workWeek(17) }, { meta: { user } }))
			);
			expect(direct.map(r => (r.status === "fulfilled" ? 201 : (r.reason as { code: number }).code)).sort()).toEqual([201, 409, 409, 409]);
			expect(await requestsOf(p.employeeId)).toBe(2);
		});

		it("are made for oneself; staff may make them for anyone; someone else's is 403", async () => {
			const p = await employee();
			const colleague = await employee();
			const mine = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(17), reason: "Family visit" });
			expect(mine).toMatchObject({ employeeId: p.employeeId, reason: "Family visit" });
			const forOther = await api.post("/leave-requests", p, { employeeId: colleague.employeeId, leaveTypeId: annual.id, ...workWeek(18) });
			expect(forOther.status).toBe(403);
			expect(await requestsOf(colleague.employeeId)).toBe(0);

			const byHr = await api.post("/leave-requests", hr, { employeeId: colleague.employeeId, leaveTypeId: annual.id, ...workWeek(18) });
			expect(byHr.status).toBe(201);
			expect(byHr.body).toMatchObject({ employeeId: colleague.employeeId, status: "requested" });
			const hrUser = (await api.get("/me", hr)).body.id;
			expect(byHr.body.requestedBy).toBe(hrUser);

			const noEmployee = await api.post("/leave-requests", hr, { leaveTypeId: annual.id, ...workWeek(18) });
			expect(noEmployee.status).toBe(422);
			expect(noEmployee.body.data[0].field).toBe("employeeId");
			for (const employeeId of ["no-such-employee", globexEmployee.employeeId]) {
				const res = await api.post("/leave-requests", hr, { employeeId, leaveTypeId: annual.id, ...workWeek(19) });
				expect(res.status).toBe(422);
				expect(res.body.data[0].field).toBe("employeeId");
			}
		});

		it("may not start before the employee's hire date (422 startDate, outsideEmployment); from that day on they may", async () => {
			const newcomer = await hire(system.url, acme, { hireDate: day(21, 2) });
			await entitle(system.url, acme, newcomer.id, annual.id, 2030, 20);
			const early = await api.post("/leave-requests", hr, { employeeId: newcomer.id, leaveTypeId: annual.id, ...workWeek(21) });
			expect(early.status).toBe(422);
			// A rule of the business, not a malformed parameter: its own type, the rule in the message.
			expect(early.body).toMatchObject({
				name: "BusinessRuleError",
				type: "BUSINESS_RULE",
				message: expect.stringMatching(/^The request breaks a rule: The 'startDate' field must not be before the hire date/)
			});
			expect(early.body.data).toEqual([expect.objectContaining({ field: "startDate", type: "outsideEmployment" })]);
			expect(early.body.data[0].message).toContain(day(21, 2));
			expect(await requestsOf(newcomer.id)).toBe(0);
			const fromHire = await requestLeave(system.url, hr, {
				employeeId: newcomer.id,
				leaveTypeId: annual.id,
				startDate: day(21, 2),
				endDate: day(21, 4)
			});
			expect(fromHire.days).toBe(3);
		});

		it("may not end after the termination date (422 endDate, outsideEmployment); leave up to the last day is taken", async () => {
			const p = await employee();
			const terminated = await api.post(`/employees/${p.employeeId}/terminate`, acme, { date: day(22, 2), reason: "Resigned" });
			expect(terminated.status).toBe(200);
			for (const range of [workWeek(22), workWeek(23)]) {
				const late = await api.post("/leave-requests", hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...range });
				expect({ range, status: late.status }).toEqual({ range, status: 422 });
				expect(late.body.data).toEqual([expect.objectContaining({ field: "endDate", type: "outsideEmployment" })]);
				expect(late.body.data[0].message).toContain(day(22, 2));
			}
			expect(await requestsOf(p.employeeId)).toBe(0);
			// Working their notice (their account ended with the termination, so HR files it), they
			// take the days up to and including their last one.
			const notice = await requestLeave(system.url, hr, { employeeId: p.employeeId, leaveTypeId: annual.id, startDate: day(22, 0), endDate: day(22, 2) });
			expect(notice).toMatchObject({ days: 3, status: "requested", employeeId: p.employeeId });
		});

		it("booked past the last day go when the employment ends: cancelled as the system, the days given back, earlier leave kept", async () => {
			const p = await employee();
			const kept = await requestLeave(system.url, hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...workWeek(24) });
			const approved = await requestLeave(system.url, hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...workWeek(26) });
			expect((await api.post(`/leave-requests/${approved.id}/approve`, acme)).status).toBe(200);
			const straddling = await requestLeave(system.url, hr, {
				employeeId: p.employeeId,
				leaveTypeId: annual.id,
				startDate: day(25, 3),
				endDate: day(25, 4)
			});
			const pending = await requestLeave(system.url, hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...workWeek(27) });
			expect(await balanceOf(acme, p.employeeId)).toMatchObject({ taken: 5, pending: 12, remaining: 3 });

			expect((await api.post(`/employees/${p.employeeId}/terminate`, acme, { date: day(25, 3), reason: "Resigned" })).status).toBe(200);
			const statusOf = async (id: string) => (await api.get(`/leave-requests/${id}`, acme)).body;
			await eventually(async () => expect((await statusOf(pending.id)).status).toBe("cancelled"));
			for (const gone of [approved, straddling, pending]) {
				expect(await statusOf(gone.id)).toMatchObject({
					status: "cancelled",
					cancelledBy: null,
					decisionNote: "The employment ended before this leave."
				});
			}
			expect((await statusOf(kept.id)).status).toBe("requested");
			expect(await balanceOf(acme, p.employeeId)).toMatchObject({ taken: 0, pending: 5, remaining: 15 });
		});

		it("of an employment before a rehire stay that employment's: approved and booked after the rehire too, not between the two (422)", async () => {
			const p = await employee();
			const before = await requestLeave(system.url, hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...workWeek(30) });
			expect((await api.post(`/employees/${p.employeeId}/terminate`, acme, { date: day(31, 4), reason: "Left" })).status).toBe(200);
			expect((await api.post(`/employees/${p.employeeId}/rehire`, acme, { date: day(33, 0) })).status).toBe(200);
			expect((await api.post(`/leave-requests/${before.id}/approve`, acme)).status).toBe(200);
			expect((await api.post("/leave-requests", hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...workWeek(31) })).status).toBe(201);
			const between = await api.post("/leave-requests", hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...workWeek(32) });
			expect(between.status).toBe(422);
			expect(between.body.data).toEqual([expect.objectContaining({ field: "startDate", type: "outsideEmployment" })]);
			expect((await api.post("/leave-requests", hr, { employeeId: p.employeeId, leaveTypeId: annual.id, ...workWeek(33) })).status).toBe(201);
		});

		it("lie in a year the API can query, 2000 to 2100 (422 naming the date, as ?year= beyond it is)", async () => {
			const p = await employee();
			const far = await api.post("/leave-requests", p, { leaveTypeId: unpaid.id, startDate: "9999-01-04", endDate: "9999-01-08" });
			expect(far.status).toBe(422);
			expect(far.body.data).toEqual([expect.objectContaining({ field: "startDate", type: "dateMax" })]);
			expect(far.body.data[0].message).toContain("2100");
			expect((await api.get("/leave-requests", hr, { year: 9999 })).status).toBe(422);
			expect(await requestsOf(p.employeeId)).toBe(0);
			// The last year a query names takes leave, and the query finds it.
			const last = await requestLeave(system.url, p, { leaveTypeId: unpaid.id, startDate: "2100-12-27", endDate: "2100-12-31" });
			const found = await api.get("/leave-requests", hr, { employeeId: p.employeeId, year: 2100 });
			expect(found.body.rows.map((r: { id: string }) => r.id)).toEqual([last.id]);
		});

		it("announce themselves with a durable event, once", async () => {
			const p = await employee();
			const made = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(20) });
			const seen = await events.next(e => e.event === LeaveEvents.requested && e.payload.requestId === made.id);
			expect(seen.payload).toMatchObject({
				tenantId: acme.tenant.id,
				requestId: made.id,
				employeeId: p.employeeId,
				leaveTypeId: annual.id,
				...workWeek(20),
				days: made.days,
				requestedBy: p.userId,
				seq: 1
			});
			expect(seen.payload.eventId).toEqual(expect.any(String));
			// A refused request (it overlaps this one) announces nothing.
			expect((await api.post("/leave-requests", p, { leaveTypeId: annual.id, ...workWeek(20) })).status).toBe(409);
			await new Promise(resolve => setTimeout(resolve, 300));
			expect(events.events.filter(e => e.event === LeaveEvents.requested && e.payload.employeeId === p.employeeId)).toHaveLength(1);
		});

		describe("cancelling", () => {
			it("an approved request gives its days back", async () => {
				const boss = await person(system.url, acme, "manager");
				const p = await employee(20, "employee", boss.employeeId);
				const made = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(21) });
				expect(await balanceOf(p, p.employeeId)).toMatchObject({ taken: 0, pending: 5, remaining: 15 });
				expect((await api.post(`/leave-requests/${made.id}/approve`, boss)).status).toBe(200);
				expect(await balanceOf(p, p.employeeId)).toMatchObject({ taken: 5, pending: 0, remaining: 15 });

				const res = await api.post(`/leave-requests/${made.id}/cancel`, p);
				expect(res.status).toBe(200);
				expect(res.body).toMatchObject({ status: "cancelled", cancelledBy: p.userId, decidedBy: boss.userId });
				expect(await balanceOf(p, p.employeeId)).toMatchObject({ taken: 0, pending: 0, remaining: 20 });
				const told = await events.next(
					e => e.event === LeaveEvents.requestDecided && e.payload.requestId === made.id && e.payload.status === "cancelled"
				);
				expect(told.payload).toMatchObject({
					tenantId: acme.tenant.id,
					requestId: made.id,
					employeeId: p.employeeId,
					status: "cancelled",
					decidedBy: p.userId,
					requestedBy: p.userId
				});
				// The request's history, numbered in the order it happened (two channels: they may arrive in any order).
				await events.next(e => e.event === LeaveEvents.requested && e.payload.requestId === made.id);
				const history = events.about(made.id).map(e => [e.payload.seq, e.payload.status ?? "requested"]);
				// In the order they happened (the audit records the same writes carry share the count).
				history.sort((a, b) => (a[0] as number) - (b[0] as number));
				expect(history.map(([, status]) => status)).toEqual(["requested", "approved", "cancelled"]);
				expect(history[0][0]).toBe(1);
			});

			it("is for the requester or staff: a manager gets 403, a colleague 404; twice is 409", async () => {
				const boss = await person(system.url, acme, "manager");
				const p = await employee(20, "employee", boss.employeeId);
				const colleague = await employee();
				const made = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(22) });
				expect((await api.post(`/leave-requests/${made.id}/cancel`, boss)).status).toBe(403);
				expect((await api.post(`/leave-requests/${made.id}/cancel`, colleague)).status).toBe(404);
				expect((await api.get(`/leave-requests/${made.id}`, p)).body.status).toBe("requested");
				expect((await api.post(`/leave-requests/${made.id}/cancel`, hr)).status).toBe(200);
				const again = await api.post(`/leave-requests/${made.id}/cancel`, p);
				expect(again.status).toBe(409);
				expect(again.body.data).toMatchObject({ field: "status", status: "cancelled" });
				expect((await api.post(`/leave-requests/${made.id}/cancel`, p, { reason: "x" })).status).toBe(422);
			});

			it("a rejected request is 409", async () => {
				const p = await employee();
				const made = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(23) });
				expect((await api.post(`/leave-requests/${made.id}/reject`, hr)).status).toBe(200);
				expect((await api.post(`/leave-requests/${made.id}/cancel`, p)).status).toBe(409);
				expect((await api.get(`/leave-requests/${made.id}`, p)).body.status).toBe("rejected");
			});
		});
	});

	// ---- Workflow ------------------------------------------------------------------------

	describe("approval workflow", () => {
		// director (manager) ← lead (manager) ← alice; olga (manager) ← oscar; hank is hr with an employee record.
		let director: Person;
		let lead: Person;
		let alice: Person;
		let olga: Person;
		let oscar: Person;
		let hank: Person;
		let week = 24;

		const ask = async (who: Person) => requestLeave(system.url, who, { leaveTypeId: annual.id, ...workWeek(week++) });

		beforeAll(async () => {
			director = await employee(100, "manager");
			lead = await employee(100, "manager", director.employeeId);
			alice = await employee(100, "employee", lead.employeeId);
			olga = await employee(100, "manager");
			oscar = await employee(100, "employee", olga.employeeId);
			hank = await employee(100, "hr");
		});

		it("nobody approves or rejects their own request (403), not even staff", async () => {
			for (const who of [alice, lead, hank]) {
				const made = await ask(who);
				expect((await api.post(`/leave-requests/${made.id}/approve`, who)).status).toBe(403);
				expect((await api.post(`/leave-requests/${made.id}/reject`, who)).status).toBe(403);
				expect((await api.get(`/leave-requests/${made.id}`, hr)).body.status).toBe("requested");
				expect(events.about(made.id).filter(e => e.event === LeaveEvents.requestDecided)).toEqual([]);
			}
		});

		it("an unrelated manager or a colleague may not decide, nor learn that the request exists (404, as when reading it)", async () => {
			const made = await ask(alice);
			for (const who of [olga, oscar]) {
				expect((await api.get(`/leave-requests/${made.id}`, who)).status).toBe(404);
				expect((await api.post(`/leave-requests/${made.id}/approve`, who)).status).toBe(404);
				expect((await api.post(`/leave-requests/${made.id}/reject`, who)).status).toBe(404);
			}
			// alice is no manager of oscar's, nor is lead.
			const oscars = await ask(oscar);
			expect((await api.post(`/leave-requests/${oscars.id}/approve`, lead)).status).toBe(404);
			expect((await api.get(`/leave-requests/${made.id}`, hr)).body.status).toBe("requested");
		});

		it("the direct manager approves, and the requester is told", async () => {
			const made = await ask(alice);
			const res = await api.post(`/leave-requests/${made.id}/approve`, lead, { note: "Enjoy" });
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ id: made.id, status: "approved", decidedBy: lead.userId, decisionNote: "Enjoy" });
			const told = await events.next(e => e.event === LeaveEvents.requestDecided && e.payload.requestId === made.id);
			expect(told.payload).toMatchObject({
				tenantId: acme.tenant.id,
				requestId: made.id,
				employeeId: alice.employeeId,
				status: "approved",
				decidedBy: lead.userId,
				requestedBy: alice.userId
			});
		});

		it("a manager above the direct one approves too, and approves the lead's own request", async () => {
			const alices = await ask(alice);
			expect((await api.post(`/leave-requests/${alices.id}/approve`, director)).body).toMatchObject({ status: "approved", decidedBy: director.userId });
			const leads = await ask(lead);
			expect((await api.post(`/leave-requests/${leads.id}/approve`, director)).body).toMatchObject({ status: "approved" });
		});

		it("hr, admin and the owner approve anyone's request", async () => {
			const admin = await createUser(system.url, acme, "admin");
			for (const staff of [hr, admin, acme]) {
				const made = await ask(oscar);
				const res = await api.post(`/leave-requests/${made.id}/approve`, staff);
				expect(res.status).toBe(200);
				expect(res.body.status).toBe("approved");
			}
			const hanks = await ask(hank);
			expect((await api.post(`/leave-requests/${hanks.id}/approve`, hr)).status).toBe(200);
		});

		it("a rejection is stored and told with its note", async () => {
			const made = await ask(oscar);
			const res = await api.post(`/leave-requests/${made.id}/reject`, olga, { note: "Busy week" });
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ status: "rejected", decidedBy: olga.userId, decisionNote: "Busy week" });
			const told = await events.next(e => e.event === LeaveEvents.requestDecided && e.payload.requestId === made.id);
			expect(told.payload).toMatchObject({
				tenantId: acme.tenant.id,
				requestId: made.id,
				employeeId: oscar.employeeId,
				status: "rejected",
				decidedBy: olga.userId,
				requestedBy: oscar.userId
			});
		});

		it("decides a requested request only: approved, rejected and cancelled ones are 409 and stay as they were", async () => {
			const approved = await ask(alice);
			await api.post(`/leave-requests/${approved.id}/approve`, lead);
			const rejected = await ask(alice);
			await api.post(`/leave-requests/${rejected.id}/reject`, lead);
			const cancelled = await ask(alice);
			await api.post(`/leave-requests/${cancelled.id}/cancel`, alice);
			// On a cluster the events of those decisions cross NATS after the answers: count them all.
			for (const made of [approved, rejected, cancelled]) {
				await events.next(e => e.event === LeaveEvents.requestDecided && e.payload.requestId === made.id);
				await events.next(e => e.event === LeaveEvents.requested && e.payload.requestId === made.id);
			}
			for (const [made, status] of [
				[approved, "approved"],
				[rejected, "rejected"],
				[cancelled, "cancelled"]
			] as const) {
				const decidedBefore = events.about(made.id).length;
				for (const action of ["approve", "reject"]) {
					const res = await api.post(`/leave-requests/${made.id}/${action}`, lead);
					expect({ action, was: status, status: res.status }).toEqual({ action, was: status, status: 409 });
					expect(res.body.data).toMatchObject({ field: "status", status });
				}
				expect((await api.get(`/leave-requests/${made.id}`, alice)).body.status).toBe(status);
				expect(events.about(made.id)).toHaveLength(decidedBefore);
			}
		});

		it("lets exactly one of two racing decisions land", async () => {
			const made = await ask(alice);
			const [a, b] = await Promise.all([api.post(`/leave-requests/${made.id}/approve`, lead), api.post(`/leave-requests/${made.id}/reject`, director)]);
			expect([a.status, b.status].sort()).toEqual([200, 409]);
			const final = (await api.get(`/leave-requests/${made.id}`, alice)).body.status;
			expect(final).toBe(a.status === 200 ? "approved" : "rejected");
		});

		it("refuses bad input naming the field (422), and another tenant's or an unknown request is 404", async () => {
			const made = await ask(alice);
			const long = await api.post(`/leave-requests/${made.id}/approve`, lead, { note: "x".repeat(501) });
			expect(long.status).toBe(422);
			expect(long.body.data[0].field).toBe("note");
			const extra = await api.post(`/leave-requests/${made.id}/reject`, lead, { status: "approved" });
			expect(extra.status).toBe(422);
			expect(extra.body.data[0].field).toBe("status");
			for (const action of ["approve", "reject", "cancel"]) {
				expect((await api.post(`/leave-requests/${made.id}/${action}`, globex)).status).toBe(404);
				expect((await api.post(`/leave-requests/no-such-request/${action}`, acme)).status).toBe(404);
			}
			expect((await api.get(`/leave-requests/${made.id}`, alice)).body.status).toBe("requested");
		});

		it("a terminated manager decides none of their former reports' requests (404: no longer theirs to see), which stay requested", async () => {
			const boss = await employee(100, "manager");
			const report = await employee(100, "employee", boss.employeeId);
			const first = await ask(report);
			expect((await api.post(`/leave-requests/${first.id}/approve`, boss)).status).toBe(200);
			const pending = await ask(report);
			const inFlight = await staleSession(system.broker, stale(boss));
			expect((await api.post(`/employees/${boss.employeeId}/terminate`, hr, { date: "2024-12-31", reason: "Left" })).status).toBe(200);
			await eventually(async () => expect((await api.post(`/leave-requests/${pending.id}/approve`, boss)).status).toBe(401));
			// A decision already past the gateway when the termination landed is refused too.
			for (const action of ["approve", "reject"]) {
				const res = await inFlight("POST", `/leave-requests/${pending.id}/${action}`);
				expect({ action, status: res.status, type: res.body.type }).toEqual({ action, status: 404, type: "NOT_FOUND" });
			}
			expect((await api.get(`/leave-requests/${pending.id}`, hr)).body.status).toBe("requested");
			expect(events.about(pending.id).filter(e => e.event === LeaveEvents.requestDecided)).toEqual([]);
		});

		it("approves no leave the employment no longer covers (422 outsideEmployment, as on creation); it stays requested and may be rejected", async () => {
			const boss = await employee(100, "manager");
			const leaver = await employee(100, "employee", boss.employeeId);
			const latecomer = await employee(100, "employee", boss.employeeId);
			const approvedEarlier = await requestLeave(system.url, leaver, { leaveTypeId: annual.id, ...workWeek(40) });
			expect((await api.post(`/leave-requests/${approvedEarlier.id}/approve`, boss)).status).toBe(200);
			const afterLastDay = await requestLeave(system.url, leaver, { leaveTypeId: annual.id, ...workWeek(42) });
			const beforeHire = await requestLeave(system.url, latecomer, { leaveTypeId: annual.id, ...workWeek(42) });
			expect((await api.post(`/employees/${leaver.employeeId}/terminate`, hr, { date: day(41, 4), reason: "Resigned" })).status).toBe(200);
			expect((await api.patch(`/employees/${latecomer.employeeId}`, hr, { hireDate: day(43, 0) })).status).toBe(200);

			const refused = await api.post(`/leave-requests/${beforeHire.id}/approve`, boss);
			expect({ status: refused.status, type: refused.body.type }).toEqual({ status: 422, type: "BUSINESS_RULE" });
			expect(refused.body.data).toEqual([expect.objectContaining({ field: "startDate", type: "outsideEmployment" })]);
			expect(refused.body.data[0].message).toContain(day(43, 0));
			expect((await api.get(`/leave-requests/${beforeHire.id}`, hr)).body).toMatchObject({ status: "requested", decidedBy: null });
			expect(await balanceOf(hr, latecomer.employeeId)).toMatchObject({ pending: 5 });
			// The termination took the leave after the last day with it (employment-ended.ts): nothing is left to approve.
			await eventually(async () => expect((await api.get(`/leave-requests/${afterLastDay.id}`, hr)).body.status).toBe("cancelled"));
			expect((await api.post(`/leave-requests/${afterLastDay.id}/approve`, boss)).status).toBe(409);
			// Leave approved before the termination, within the employment, is history: it stays approved.
			expect((await api.get(`/leave-requests/${approvedEarlier.id}`, hr)).body.status).toBe("approved");
			// The queue can still be cleared.
			expect((await api.post(`/leave-requests/${beforeHire.id}/reject`, boss, { note: "Starts later" })).body).toMatchObject({ status: "rejected" });
		});
	});

	// ---- Who sees what -------------------------------------------------------------------

	describe("names on rows", () => {
		it("a manager's queue names the employee, the requester and the decider of each request, and the new name after a rename", async () => {
			const boss = await employee(100, "manager");
			const worker = await employee(100, "employee", boss.employeeId);
			const bossUser = (await api.patch(`/users/${boss.userId}`, acme, { name: "Bianca Boss" })).body;
			expect(bossUser.name).toBe("Bianca Boss");
			expect((await api.patch(`/employees/${worker.employeeId}`, acme, { firstName: "Wanda", lastName: "Worker" })).status).toBe(200);
			const [hrName, workerName] = await Promise.all([hr, worker].map(async as => (await api.get("/me", as)).body.name as string));
			const own = await requestLeave(system.url, worker, { leaveTypeId: annual.id, ...workWeek(44) });
			const byHr = await requestLeave(system.url, hr, { employeeId: worker.employeeId, leaveTypeId: annual.id, ...workWeek(45) });
			expect((await api.post(`/leave-requests/${own.id}/approve`, boss)).status).toBe(200);

			const queue = async () => {
				const res = await api.get("/leave-requests", boss, { employeeId: worker.employeeId, sort: "startDate" });
				expect(res.status).toBe(200);
				return res.body.rows.map((r: Record<string, unknown>) => ({
					id: r.id,
					employeeName: r.employeeName,
					requestedByName: r.requestedByName,
					decidedByName: r.decidedByName
				}));
			};
			expect(await queue()).toEqual([
				{ id: own.id, employeeName: "Wanda Worker", requestedByName: workerName, decidedByName: "Bianca Boss" },
				{ id: byHr.id, employeeName: "Wanda Worker", requestedByName: hrName, decidedByName: null }
			]);

			// Renamed: the next read says so, with nothing stale in between.
			expect((await api.patch(`/employees/${worker.employeeId}`, acme, { lastName: "Wright" })).status).toBe(200);
			expect((await api.patch(`/users/${boss.userId}`, acme, { name: "Bianca Bright" })).status).toBe(200);
			expect(await queue()).toEqual([
				{ id: own.id, employeeName: "Wanda Wright", requestedByName: workerName, decidedByName: "Bianca Bright" },
				{ id: byHr.id, employeeName: "Wanda Wright", requestedByName: hrName, decidedByName: null }
			]);
		});
	});

	describe("scoping", () => {
		let director: Person;
		let lead: Person;
		let alice: Person;
		let olga: Person;
		let oscar: Person;
		const made = new Map<string, string>();

		beforeAll(async () => {
			director = await employee(50, "manager");
			lead = await employee(50, "manager", director.employeeId);
			alice = await employee(50, "employee", lead.employeeId);
			olga = await employee(50, "manager");
			oscar = await employee(50, "employee", olga.employeeId);
			for (const [name, who] of Object.entries({ director, lead, alice, olga, oscar })) {
				made.set(name, (await requestLeave(system.url, who, { leaveTypeId: annual.id, ...workWeek(40) })).id);
			}
		});

		const seenBy = async (who: { accessToken: string }, query: Record<string, unknown> = {}) => {
			const res = await api.get("/leave-requests", who, { year: 2030, ...query, pageSize: 100 });
			expect(res.status).toBe(200);
			const ids = new Set(res.body.rows.map((r: { id: string }) => r.id));
			return [...made.entries()]
				.filter(([, id]) => ids.has(id))
				.map(([name]) => name)
				.sort();
		};

		it("an employee sees their own requests; a manager also their direct and indirect reports'; staff everyone", async () => {
			expect(await seenBy(alice)).toEqual(["alice"]);
			expect(await seenBy(oscar)).toEqual(["oscar"]);
			expect(await seenBy(lead)).toEqual(["alice", "lead"]);
			expect(await seenBy(director)).toEqual(["alice", "director", "lead"]);
			expect(await seenBy(olga)).toEqual(["olga", "oscar"]);
			expect(await seenBy(hr)).toEqual(["alice", "director", "lead", "olga", "oscar"]);
			expect(await seenBy(olga, { employeeId: alice.employeeId })).toEqual([]);
			expect(await seenBy(director, { employeeId: alice.employeeId })).toEqual(["alice"]);
		});

		it("a terminated manager sees their own leave only: the former reports' is 404, as for any employee", async () => {
			const boss = await employee(50, "manager");
			const report = await employee(50, "employee", boss.employeeId);
			const own = await requestLeave(system.url, boss, { leaveTypeId: annual.id, ...workWeek(44) });
			const theirs = await requestLeave(system.url, report, { leaveTypeId: annual.id, ...workWeek(44) });
			const listed = async () => (await api.get("/leave-requests", boss, { pageSize: 100 })).body.rows.map((r: { id: string }) => r.id).sort();
			expect(await listed()).toEqual([own.id, theirs.id].sort());
			expect((await api.get(`/leave-requests/${theirs.id}`, boss)).status).toBe(200);

			const inFlight = await staleSession(system.broker, stale(boss));
			expect((await api.post(`/employees/${boss.employeeId}/terminate`, hr, { date: "2024-12-31", reason: "Left" })).status).toBe(200);
			await eventually(async () => expect((await api.get("/leave-requests", boss)).status).toBe(401));
			// Reads already past the gateway when the termination landed see what an employee sees.
			const rows = (await inFlight("GET", "/leave-requests?pageSize=100")).body.rows?.map((r: { id: string }) => r.id);
			expect(rows).toEqual([own.id]);
			expect((await inFlight("GET", `/leave-requests?employeeId=${report.employeeId}`)).body.total).toBe(0);
			expect((await inFlight("GET", `/leave-requests/${theirs.id}`)).status).toBe(404);
			expect((await inFlight("GET", `/leave-requests/${own.id}`)).status).toBe(200);
			expect((await inFlight("GET", `/leave-entitlements?employeeId=${report.employeeId}`)).body.total).toBe(0);
			expect((await inFlight("GET", `/leave-balances?employeeId=${report.employeeId}&year=2030`)).status).toBe(404);
			expect((await inFlight("GET", "/leave-balances?year=2030")).status).toBe(200);
		});

		it("a user linked to no employee sees no leave and cannot request any for themself (422 employeeId)", async () => {
			const unlinked = await createUser(system.url, acme, "employee");
			const res = await api.get("/leave-requests", unlinked);
			expect(res.status).toBe(200);
			expect(res.body.total).toBe(0);
			expect((await api.get("/leave-entitlements", unlinked)).body.total).toBe(0);
			const ask = await api.post("/leave-requests", unlinked, { leaveTypeId: annual.id, ...workWeek(40) });
			expect(ask.status).toBe(422);
			expect(ask.body.data[0].field).toBe("employeeId");
		});

		it("a request outside one's scope is 404", async () => {
			const alices = made.get("alice")!;
			for (const who of [oscar, olga]) expect((await api.get(`/leave-requests/${alices}`, who)).status).toBe(404);
			for (const who of [alice, lead, director, hr]) expect((await api.get(`/leave-requests/${alices}`, who)).status).toBe(200);
			expect((await api.get(`/leave-requests/${made.get("director")}`, lead)).status).toBe(404);
		});

		it("balances follow the same scope", async () => {
			const own = await api.get("/leave-balances", alice, { year: 2030 });
			expect(own.status).toBe(200);
			expect(own.body.employeeId).toBe(alice.employeeId);
			expect((await api.get("/leave-balances", director, { employeeId: alice.employeeId, year: 2030 })).status).toBe(200);
			expect((await api.get("/leave-balances", hr, { employeeId: alice.employeeId, year: 2030 })).status).toBe(200);
			expect((await api.get("/leave-balances", olga, { employeeId: alice.employeeId, year: 2030 })).status).toBe(404);
			expect((await api.get("/leave-balances", alice, { employeeId: lead.employeeId, year: 2030 })).status).toBe(404);
		});

		it("lists requests with paging, sorting and filters; unknown ones are 422", async () => {
			const p = await employee(30);
			const a = await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(41, 0), endDate: day(41, 0) });
			const b = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(42) });
			const c = await requestLeave(system.url, p, { leaveTypeId: unpaid.id, startDate: day(43, 0), endDate: day(43, 1) });
			await api.post(`/leave-requests/${c.id}/cancel`, p);
			const ids = (res: { body: { rows: Array<{ id: string }> } }) => res.body.rows.map(r => r.id);

			expect(ids(await api.get("/leave-requests", p, { sort: "startDate" }))).toEqual([a.id, b.id, c.id]);
			expect(ids(await api.get("/leave-requests", p, { sort: "-days" }))).toEqual([b.id, c.id, a.id]);
			expect(ids(await api.get("/leave-requests", p))).toEqual([c.id, b.id, a.id]);
			const page = await api.get("/leave-requests", p, { sort: "startDate", page: 2, pageSize: 2 });
			expect(page.body).toMatchObject({ total: 3, page: 2, pageSize: 2, totalPages: 2 });
			expect(ids(page)).toEqual([c.id]);
			expect(ids(await api.get("/leave-requests", p, { status: "cancelled" }))).toEqual([c.id]);
			expect(ids(await api.get("/leave-requests", p, { leaveTypeId: annual.id, sort: "startDate" }))).toEqual([a.id, b.id]);
			expect(ids(await api.get("/leave-requests", p, { from: day(42, 4), to: day(43, 0), sort: "startDate" }))).toEqual([b.id, c.id]);
			expect((await api.get("/leave-requests", p, { year: 2031 })).body.total).toBe(0);

			for (const [query, field] of [
				[{ pageSize: 101 }, "pageSize"],
				[{ page: -1 }, "page"],
				[{ sort: "reason" }, "sort"],
				[{ sort: "startDate,-colour" }, "sort"],
				[{ status: "pending" }, "status"],
				[{ from: "2030-13-01" }, "from"],
				[{ to: "2030-02-29" }, "to"],
				[{ year: "next" }, "year"],
				[{ colour: "red" }, "colour"]
			] as const) {
				const res = await api.get("/leave-requests", p, query);
				expect({ query, status: res.status }).toEqual({ query, status: 422 });
				expect(res.body.data[0].field).toBe(field);
			}
		});
	});

	// ---- Balances ------------------------------------------------------------------------

	describe("balances", () => {
		it("show every leave type: entitled, carried over, taken, pending and remaining", async () => {
			const p = await person(system.url, acme, "employee");
			await entitle(system.url, acme, p.employeeId, annual.id, 2030, 20, 3);
			const approved = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(44) });
			await api.post(`/leave-requests/${approved.id}/approve`, hr);
			await requestLeave(system.url, p, { leaveTypeId: annual.id, startDate: day(45, 0), endDate: day(45, 1), halfDayEnd: true });
			const res = await api.get("/leave-balances", p, { year: 2030 });
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ employeeId: p.employeeId, year: 2030 });
			expect(res.body.balances).toEqual(
				expect.arrayContaining([
					{ leaveTypeId: annual.id, name: "Annual Leave", entitled: 20, carriedOver: 3, taken: 5, pending: 1.5, remaining: 16.5 },
					{ leaveTypeId: unpaid.id, name: "Unpaid", entitled: 0, carriedOver: 0, taken: 0, pending: 0, remaining: 0 }
				])
			);
			// Another year has nothing.
			const next = await api.get("/leave-balances", p, { year: 2031 });
			expect(next.body.balances.find((b: { leaveTypeId: string }) => b.leaveTypeId === annual.id)).toMatchObject({ entitled: 0, taken: 0 });
		});

		it("refuse bad input naming the field (422), and another tenant's employee is 404", async () => {
			const p = await person(system.url, acme, "employee");
			for (const [query, field] of [
				[{ year: "soon" }, "year"],
				[{ year: 1999 }, "year"],
				[{ leaveTypeId: annual.id }, "leaveTypeId"]
			] as const) {
				const res = await api.get("/leave-balances", p, query);
				expect({ query, status: res.status }).toEqual({ query, status: 422 });
				expect(res.body.data[0].field).toBe(field);
			}
			const unlinked = await api.get("/leave-balances", hr, { year: 2030 });
			expect(unlinked.status).toBe(422);
			expect(unlinked.body.data[0].field).toBe("employeeId");
			expect((await api.get("/leave-balances", globex, { employeeId: p.employeeId, year: 2030 })).status).toBe(404);
			expect((await api.get("/leave-balances", hr, { employeeId: "no-such-employee" })).status).toBe(404);
		});
	});

	// ---- Reports' source -----------------------------------------------------------------

	describe("leave taken per month (leave.takenByMonth, read by the reports)", () => {
		it("adds up approved days per type and month, half days where they fall", async () => {
			const co = await signup(system.url, "Reportco");
			const vacation = await leaveType(system.url, co, { name: "Vacation", yearlyAllowance: 30 });
			const p = await person(system.url, co, "employee");
			await entitle(system.url, co, p.employeeId, vacation.id, 2030, 30);
			// Thursday 31 January afternoon to Tuesday 5 February: half a day in January, three in February.
			const approved = await requestLeave(system.url, p, {
				leaveTypeId: vacation.id,
				startDate: "2030-01-31",
				endDate: "2030-02-05",
				halfDayStart: true
			});
			expect(approved.days).toBe(3.5);
			expect((await api.post(`/leave-requests/${approved.id}/approve`, co)).status).toBe(200);
			await requestLeave(system.url, p, { leaveTypeId: vacation.id, startDate: "2030-03-04", endDate: "2030-03-05" });

			const rows = await system.broker.call<Array<Record<string, unknown>>, object>(
				ReportSources.leaveTaken,
				{ year: 2030 },
				{ meta: { user: metaUser(co) } }
			);
			expect(rows.sort((a, b) => Number(a.month) - Number(b.month))).toEqual([
				{ leaveTypeId: vacation.id, leaveTypeName: "Vacation", month: 1, days: 0.5 },
				{ leaveTypeId: vacation.id, leaveTypeName: "Vacation", month: 2, days: 3 }
			]);
			expect(await system.broker.call(ReportSources.leaveTaken, { year: 2030 }, { meta: { user: metaUser(globex) } })).toEqual([]);
		});
	});

	// ---- Tenant isolation ----------------------------------------------------------------

	describe("tenant isolation", () => {
		it("another tenant's requests are 404 on every route and never listed", async () => {
			const p = await employee();
			const made = await requestLeave(system.url, p, { leaveTypeId: annual.id, ...workWeek(46) });
			expect((await api.get(`/leave-requests/${made.id}`, globex)).status).toBe(404);
			expect((await api.post(`/leave-requests/${made.id}/cancel`, globex)).status).toBe(404);
			expect((await api.post(`/leave-requests/${made.id}/approve`, globex)).status).toBe(404);
			expect((await api.post(`/leave-requests/${made.id}/reject`, globex)).status).toBe(404);
			expect((await api.get("/leave-requests", globex, { employeeId: p.employeeId })).body.total).toBe(0);
			expect((await api.get("/leave-requests", globexEmployee)).body.rows.map((r: { id: string }) => r.id)).not.toContain(made.id);
			expect((await api.get(`/leave-requests/${made.id}`, p)).body.status).toBe("requested");
		});

		it("a request may not name another tenant's employee or leave type (422)", async () => {
			const forForeigner = await api.post("/leave-requests", acme, { employeeId: globexEmployee.employeeId, leaveTypeId: annual.id, ...workWeek(47) });
			expect(forForeigner.status).toBe(422);
			expect(forForeigner.body.data[0].field).toBe("employeeId");
			const foreignType = await api.post("/leave-requests", globexEmployee, { leaveTypeId: annual.id, ...workWeek(47) });
			expect(foreignType.status).toBe(422);
			expect(foreignType.body.data[0].field).toBe("leaveTypeId");
		});
	});
});
