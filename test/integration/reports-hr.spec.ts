/**
 * The HR reports over HTTP, against a company counted by hand: headcount on past dates (a
 * rehire, a termination's last day), hires, terminations and turnover per month, leave that
 * crosses a month boundary, and a funnel where a candidate went back a stage. Who sees what
 * (staff, a manager's team, a terminated manager, an employee), bad parameters, CSV that reads
 * back to the same figures, and figures fresh right after a write.
 */
import type { DbService } from "../../mixins/db.mixin";
import { eventually, itInProcess } from "../support/cluster-topology";
import { hire, linkedUser, startRoomySystem } from "../support/employees";
import { csvRecords } from "../support/csv";
import { type Signup, createUser, signup } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { entitle, leaveType, requestLeave } from "../support/leave";
import { type Company, apply, client, createCandidate, createOpening, moveThrough, setUpCompany } from "../support/recruitment";

type Api = ReturnType<typeof client>;
interface Group {
	key: string | null;
	name: string | null;
	count: number;
}

describe("HR reports", () => {
	let system: RunningSystem;
	let api: Api;

	beforeAll(async () => {
		system = await startRoomySystem();
		api = client(system.url);
	});
	afterAll(() => system?.stop());

	async function ok(path: string, as: { accessToken: string }) {
		const res = await api.get(path, as);
		if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
		return res;
	}
	const counts = (groups: Group[]) => Object.fromEntries(groups.map(g => [g.name ?? "(none)", g.count]));

	describe("people and leave", () => {
		let owner: Signup;
		let sales: string;
		let ops: string;
		let berlin: string;
		const ids: Record<string, string> = {};
		let managerUser: { accessToken: string };

		beforeAll(async () => {
			owner = await signup(system.url, "Hand Counted GmbH");
			berlin = (await api.post("/locations", owner, { name: "Berlin" })).body.id;
			sales = (await api.post("/departments", owner, { name: "Sales", locationId: berlin })).body.id;
			ops = (await api.post("/departments", owner, { name: "Ops" })).body.id;
			const at = async (name: string, hireDate: string, departmentId: string, employmentType: string, managerId: string | null = null) => {
				ids[name] = (await hire(system.url, owner, { firstName: name, lastName: "Counted", hireDate, departmentId, employmentType, managerId })).id;
			};
			await at("M", "2024-12-01", ops, "full_time");
			await at("A", "2025-01-15", sales, "full_time");
			await at("B", "2025-02-10", sales, "part_time");
			await at("C", "2025-01-05", ops, "full_time");
			await at("D", "2025-03-01", ops, "contractor", ids.M);
			await at("E", "2025-02-01", ops, "full_time", ids.D);
			const terminate = (name: string, date: string) => api.post(`/employees/${ids[name]}/terminate`, owner, { date, reason: "Left" });
			expect((await terminate("B", "2025-03-31")).status).toBe(200);
			expect((await terminate("C", "2025-02-28")).status).toBe(200);
			// C comes back in April, to Sales.
			expect((await api.post(`/employees/${ids.C}/rehire`, owner, { date: "2025-04-01", departmentId: sales })).status).toBe(200);
			managerUser = await linkedUser(system.url, owner, "manager", ids.M);
		});

		it("counts who was employed on a date, by department, location and employment type", async () => {
			const jan = await ok("/reports/headcount-as-of?asOf=2025-01-31", owner);
			expect(jan.body).toMatchObject({ asOf: "2025-01-31", groupBy: "department", scope: "company", total: 3 });
			expect(counts(jan.body.groups)).toEqual({ Ops: 2, Sales: 1 });

			const march = await ok("/reports/headcount-as-of?asOf=2025-03-15", owner);
			expect(counts(march.body.groups)).toEqual({ Ops: 3, Sales: 2 });
			const byLocation = await ok("/reports/headcount-as-of?asOf=2025-03-15&groupBy=location", owner);
			expect(byLocation.body.groups).toEqual([
				{ key: berlin, name: "Berlin", count: 2 },
				{ key: null, name: null, count: 3 }
			]);
			const byType = await ok("/reports/headcount-as-of?asOf=2025-03-15&groupBy=employmentType", owner);
			expect(counts(byType.body.groups)).toEqual({ contractor: 1, full_time: 3, part_time: 1 });

			// A termination date is the last day employed; the rehired C is back in Sales from April.
			expect((await ok("/reports/headcount-as-of?asOf=2025-02-28", owner)).body.total).toBe(5);
			expect((await ok("/reports/headcount-as-of?asOf=2025-03-01", owner)).body.total).toBe(5);
			expect(counts((await ok("/reports/headcount-as-of?asOf=2025-04-15", owner)).body.groups)).toEqual({ Ops: 3, Sales: 2 });
			expect((await ok("/reports/headcount-as-of?asOf=2024-11-30", owner)).body).toMatchObject({ groups: [], total: 0 });
		});

		it("still names a department deleted since, where it counts people of the past", async () => {
			const gone = (await api.post("/departments", owner, { name: "Skunkworks" })).body.id;
			const mover = await hire(system.url, owner, { firstName: "Mover", lastName: "Counted", hireDate: "2023-01-02", departmentId: gone });
			expect((await api.post(`/employees/${mover.id}/transfer`, owner, { departmentId: ops, effectiveDate: "2023-06-01" })).status).toBe(200);
			expect((await api.del(`/departments/${gone}`, owner)).status).toBe(204);
			expect((await api.get(`/departments/${gone}`, owner)).status).toBe(404);
			const then = await ok("/reports/headcount-as-of?asOf=2023-03-01", owner);
			expect(then.body.groups).toEqual([{ key: gone, name: "Skunkworks", count: 1 }]);
			// Gone from what is current: the tree and the list.
			expect((await api.get("/departments", owner)).body.rows.map((d: { id: string }) => d.id)).not.toContain(gone);
			expect((await api.post(`/employees/${mover.id}/terminate`, owner, { date: "2023-12-31", reason: "Left" })).status).toBe(200);
		});

		it("counts hires (rehires included), terminations and turnover per month", async () => {
			const res = await ok("/reports/turnover?from=2025-01&to=2025-04", owner);
			expect(res.body.months).toEqual([
				{ month: "2025-01", hires: 2, terminations: 0, headcountStart: 1, headcountEnd: 3, averageHeadcount: 2, turnover: 0 },
				{ month: "2025-02", hires: 2, terminations: 1, headcountStart: 4, headcountEnd: 5, averageHeadcount: 4.5, turnover: 0.2222 },
				{ month: "2025-03", hires: 1, terminations: 1, headcountStart: 5, headcountEnd: 5, averageHeadcount: 5, turnover: 0.2 },
				{ month: "2025-04", hires: 1, terminations: 0, headcountStart: 5, headcountEnd: 5, averageHeadcount: 5, turnover: 0 }
			]);
			expect(res.body.totals).toEqual({ hires: 6, terminations: 2, averageHeadcount: 4.125, turnover: 0.4848 });
		});

		it("splits leave across months, taken and booked, with balances, by type, person and department", async () => {
			const annual = await leaveType(system.url, owner, { name: "Annual", yearlyAllowance: 25 });
			const sick = await leaveType(system.url, owner, { name: "Sick", yearlyAllowance: 0, allowNegative: true });
			await entitle(system.url, owner, ids.A, annual.id, 2025, 20, 2);
			await entitle(system.url, owner, ids.D, annual.id, 2025, 10);
			// Thursday 30 January to Tuesday 4 February: two working days in each month.
			const crossing = await requestLeave(system.url, owner, {
				employeeId: ids.A,
				leaveTypeId: annual.id,
				startDate: "2025-01-30",
				endDate: "2025-02-04"
			});
			await requestLeave(system.url, owner, { employeeId: ids.A, leaveTypeId: annual.id, startDate: "2025-03-03", endDate: "2025-03-03" });
			const ill = await requestLeave(system.url, owner, { employeeId: ids.D, leaveTypeId: sick.id, startDate: "2025-03-04", endDate: "2025-03-05" });
			for (const r of [crossing, ill]) expect((await api.post(`/leave-requests/${r.id}/approve`, owner)).status).toBe(200);

			const months = (values: Record<number, number>) => Array.from({ length: 12 }, (_, i) => values[i + 1] ?? 0);
			const byType = await ok("/reports/leave-usage?year=2025", owner);
			expect(byType.body).toMatchObject({ year: 2025, groupBy: "type", scope: "company" });
			expect(byType.body.groups).toEqual([
				{
					key: annual.id,
					name: "Annual",
					taken: months({ 1: 2, 2: 2 }),
					takenTotal: 4,
					booked: months({ 3: 1 }),
					bookedTotal: 1,
					entitled: 30,
					carriedOver: 2,
					remaining: 27
				},
				{
					key: sick.id,
					name: "Sick",
					taken: months({ 3: 2 }),
					takenTotal: 2,
					booked: months({}),
					bookedTotal: 0,
					entitled: 0,
					carriedOver: 0,
					remaining: -2
				}
			]);
			const byPerson = await ok("/reports/leave-usage?year=2025&groupBy=person", owner);
			expect(
				byPerson.body.groups.map((g: { name: string; takenTotal: number; bookedTotal: number; remaining: number }) => [
					g.name,
					g.takenTotal,
					g.bookedTotal,
					g.remaining
				])
			).toEqual([
				["A Counted", 4, 1, 17],
				["D Counted", 2, 0, 8]
			]);
			const byDepartment = await ok("/reports/leave-usage?year=2025&groupBy=department", owner);
			expect(byDepartment.body.groups.map((g: { name: string; takenTotal: number }) => [g.name, g.takenTotal])).toEqual([
				["Ops", 2],
				["Sales", 4]
			]);

			// The manager's team is M, D and E: D's leave only.
			const team = await ok("/reports/leave-usage?year=2025", managerUser);
			expect(team.body.scope).toBe("team");
			expect(team.body.groups.map((g: { name: string; takenTotal: number; entitled: number }) => [g.name, g.takenTotal, g.entitled])).toEqual([
				["Annual", 0, 10],
				["Sick", 2, 0]
			]);

			// Fresh right after a write: a cancelled approval gives its days back at once.
			expect((await api.post(`/leave-requests/${crossing.id}/cancel`, owner)).status).toBe(200);
			const after = await ok("/reports/leave-usage?year=2025", owner);
			expect(after.body.groups[0]).toMatchObject({ name: "Annual", takenTotal: 0, remaining: 31 });
		});

		it("downloads each report as CSV that reads back to the same figures", async () => {
			const json = (await ok("/reports/headcount-as-of?asOf=2025-03-15", owner)).body;
			const csv = await ok("/reports/headcount-as-of?asOf=2025-03-15&format=csv", owner);
			expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
			expect(csv.headers["content-disposition"]).toBe('attachment; filename="headcount-2025-03-15.csv"');
			expect(csvRecords(csv.text)).toEqual(
				json.groups.map((g: Group) => ({ asOf: "2025-03-15", department: g.key ?? "", name: g.name ?? "", count: String(g.count) }))
			);

			const turnover = (await ok("/reports/turnover?from=2025-01&to=2025-04", owner)).body;
			const turnoverCsv = csvRecords((await ok("/reports/turnover?from=2025-01&to=2025-04&format=csv", owner)).text);
			expect(turnoverCsv.map(r => ({ ...r, hires: Number(r.hires), terminations: Number(r.terminations), turnover: Number(r.turnover) }))).toEqual(
				turnover.months.map((m: Record<string, unknown>) =>
					expect.objectContaining({ month: m.month, hires: m.hires, terminations: m.terminations, turnover: m.turnover })
				)
			);

			const leave = csvRecords((await ok("/reports/leave-usage?year=2025&groupBy=person&format=csv", owner)).text);
			expect(leave.map(r => [r.name, r["taken-2025-03"], r.remaining])).toEqual([
				["A Counted", "0", "21"],
				["D Counted", "2", "8"]
			]);
		});

		it("shows a manager their team only, and a terminated manager nothing", async () => {
			const team = await ok("/reports/headcount-as-of?asOf=2025-03-15", managerUser);
			expect(team.body).toMatchObject({ scope: "team", total: 3 });
			expect(counts(team.body.groups)).toEqual({ Ops: 3 });
			const movements = await ok("/reports/turnover?from=2025-01&to=2025-04", managerUser);
			expect(movements.body.totals).toMatchObject({ hires: 2, terminations: 0 });

			// A hire into the team shows in the very next read, from the cache or not.
			const newcomer = await hire(system.url, owner, {
				firstName: "F",
				lastName: "Counted",
				hireDate: "2025-03-10",
				departmentId: ops,
				managerId: ids.E
			});
			expect((await ok("/reports/headcount-as-of?asOf=2025-03-15", managerUser)).body.total).toBe(4);
			expect((await ok("/reports/headcount-as-of?asOf=2025-03-15", owner)).body.total).toBe(6);
			expect((await api.post(`/employees/${newcomer.id}/terminate`, owner, { date: "2025-03-12", reason: "Left" })).status).toBe(200);
			expect((await ok("/reports/headcount-as-of?asOf=2025-03-15", managerUser)).body.total).toBe(3);

			// A manager with no employee record of their own manages nobody.
			const unlinked = await createUser(system.url, owner, "manager");
			expect((await api.get("/reports/headcount-as-of", unlinked)).status).toBe(403);

			// Terminated, M reads nothing: refused here (403) until identity has ended their sessions (401 after).
			expect((await api.post(`/employees/${ids.M}/terminate`, owner, { date: "2025-06-30", reason: "Left" })).status).toBe(200);
			for (const path of ["/reports/headcount-as-of", "/reports/turnover", "/reports/leave-usage", "/reports/funnel"]) {
				expect([401, 403]).toContain((await api.get(path, managerUser)).status);
			}
		});

		it("refuses an employee, and names the bad parameter", async () => {
			const employee = await createUser(system.url, owner, "employee");
			expect((await api.get("/reports/headcount-as-of", employee)).status).toBe(403);
			expect((await api.get("/reports/leave-usage", employee)).status).toBe(403);
			const field = async (path: string) => {
				const res = await api.get(path, owner);
				expect(res.status).toBe(422);
				return res.body.data[0].field;
			};
			expect(await field("/reports/headcount-as-of?asOf=2025-02-30")).toBe("asOf");
			expect(await field("/reports/headcount-as-of?asOf=yesterday")).toBe("asOf");
			expect(await field("/reports/headcount-as-of?groupBy=team")).toBe("groupBy");
			expect(await field("/reports/headcount-as-of?format=xml")).toBe("format");
			expect(await field("/reports/turnover?from=2025-05&to=2025-01")).toBe("from");
			expect(await field("/reports/turnover?from=2025-13")).toBe("from");
			// After 9999-12 the text of the next month sorts before it: once a loop that never ended.
			expect(await field("/reports/turnover?from=9999-12&to=9999-12")).toBe("from");
			expect(await field("/reports/turnover?from=0999-12&to=1000-01")).toBe("from");
			expect(await field("/reports/turnover?from=2020-01&to=2025-01")).toBe("from");
			expect(await field("/reports/leave-usage?groupBy=team")).toBe("groupBy");
			expect(await field("/reports/leave-usage?year=1999")).toBe("year");
		});

		it("never shows another tenant's people or leave", async () => {
			const other = await signup(system.url, "Elsewhere Ltd");
			await hire(system.url, other, { hireDate: "2025-03-01" });
			expect((await ok("/reports/headcount-as-of?asOf=2025-03-15", other)).body.total).toBe(1);
			expect((await ok("/reports/leave-usage?year=2025", other)).body.groups).toEqual([]);
			expect((await ok("/reports/turnover?from=2025-03&to=2025-03", other)).body.totals).toMatchObject({ hires: 1, terminations: 0 });
			expect((await ok("/reports/headcount-as-of?asOf=2025-03-15", owner)).body.total).toBe(5);
		});
	});

	describe("a transfer within a stint", () => {
		it("counts people in the department they were in on each date, and is neither a hire nor a termination", async () => {
			const owner = await signup(system.url, "Moved Around AG");
			const before = (await api.post("/departments", owner, { name: "Before" })).body.id;
			const after = (await api.post("/departments", owner, { name: "After" })).body.id;
			const moved = await hire(system.url, owner, { hireDate: "2025-01-10", departmentId: before });
			const transfer = (departmentId: string, effectiveDate: string) =>
				api.post(`/employees/${moved.id}/transfer`, owner, { departmentId, effectiveDate });
			expect((await transfer(after, "2025-03-01")).status).toBe(200);

			expect(counts((await ok("/reports/headcount-as-of?asOf=2025-02-28", owner)).body.groups)).toEqual({ Before: 1 });
			expect(counts((await ok("/reports/headcount-as-of?asOf=2025-03-01", owner)).body.groups)).toEqual({ After: 1 });
			const months = async () =>
				(await ok("/reports/turnover?from=2025-01&to=2025-06", owner)).body.months.map(
					(m: { month: string; hires: number; terminations: number; headcountStart: number; headcountEnd: number }) => [
						m.month,
						m.hires,
						m.terminations,
						m.headcountStart,
						m.headcountEnd
					]
				);
			expect(await months()).toEqual([
				["2025-01", 1, 0, 0, 1],
				["2025-02", 0, 0, 1, 1],
				["2025-03", 0, 0, 1, 1],
				["2025-04", 0, 0, 1, 1],
				["2025-05", 0, 0, 1, 1],
				["2025-06", 0, 0, 1, 1]
			]);

			// Back again in May; then the leaving is a termination of the last part, counted once.
			expect((await transfer(before, "2025-05-01")).status).toBe(200);
			expect((await api.post(`/employees/${moved.id}/terminate`, owner, { date: "2025-05-31", reason: "Left" })).status).toBe(200);
			expect(counts((await ok("/reports/headcount-as-of?asOf=2025-04-30", owner)).body.groups)).toEqual({ After: 1 });
			expect(counts((await ok("/reports/headcount-as-of?asOf=2025-05-31", owner)).body.groups)).toEqual({ Before: 1 });
			expect((await ok("/reports/headcount-as-of?asOf=2025-06-01", owner)).body.total).toBe(0);
			expect((await months()).slice(4)).toEqual([
				["2025-05", 0, 1, 1, 1],
				["2025-06", 0, 0, 0, 0]
			]);
		});
	});

	describe("a transfer and a correction or termination dated before it", () => {
		const setUp = async (name: string) => {
			const owner = await signup(system.url, name);
			const d1 = (await api.post("/departments", owner, { name: "D1" })).body.id;
			const d2 = (await api.post("/departments", owner, { name: "D2" })).body.id;
			const person = await hire(system.url, owner, { hireDate: "2025-01-10", departmentId: d1 });
			expect((await api.post(`/employees/${person.id}/transfer`, owner, { departmentId: d2, effectiveDate: "2025-06-01" })).status).toBe(200);
			return { owner, person, d1, d2 };
		};
		const total = async (owner: Signup, asOf: string) => (await ok(`/reports/headcount-as-of?asOf=${asOf}`, owner)).body.total;

		it("a termination before the transfer's date ends the stint where the person was, and the move never happens", async () => {
			const { owner, person } = await setUp("Left Before The Move AG");
			expect((await api.post(`/employees/${person.id}/terminate`, owner, { date: "2025-04-01", reason: "Left" })).status).toBe(200);
			expect(counts((await ok("/reports/headcount-as-of?asOf=2025-04-01", owner)).body.groups)).toEqual({ D1: 1 });
			expect(await total(owner, "2025-05-01")).toBe(0);
			expect(await total(owner, "2025-07-01")).toBe(0);
			const months = (await ok("/reports/turnover?from=2025-04&to=2025-06", owner)).body.months;
			expect(months.map((m: { month: string; terminations: number; headcountEnd: number }) => [m.month, m.terminations, m.headcountEnd])).toEqual([
				["2025-04", 1, 0],
				["2025-05", 0, 0],
				["2025-06", 0, 0]
			]);
			// A rehire then opens a new stint as usual.
			expect((await api.post(`/employees/${person.id}/rehire`, owner, { date: "2025-09-01" })).status).toBe(200);
			expect(await total(owner, "2025-09-01")).toBe(1);
			expect(await total(owner, "2025-07-01")).toBe(0);
		});

		it("a termination before the transfer's date puts the record back where the person was, as the reports count them", async () => {
			const { owner, person, d1 } = await setUp("Record Before The Move AG");
			const boss = await hire(system.url, owner, { hireDate: "2025-01-02" });
			expect((await api.post(`/employees/${person.id}/transfer`, owner, { managerId: boss.id, effectiveDate: "2025-03-01" })).status).toBe(200);
			const ended = await api.post(`/employees/${person.id}/terminate`, owner, { date: "2025-04-01", reason: "Left" });
			expect(ended.status).toBe(200);
			// The move to D2 (June) never happened; the new manager (March) did.
			expect(ended.body).toMatchObject({ departmentId: d1, managerId: boss.id, status: "terminated" });
			expect((await api.get(`/employees/${person.id}`, owner)).body).toMatchObject({ departmentId: d1, managerId: boss.id });
			const [entry] = (await api.get(`/employees/${person.id}/history?type=terminated`, owner)).body.rows;
			expect(entry.changes.departmentId).toMatchObject({ to: d1 });
		});

		it("a termination before the transfer's date puts back no department deleted since: none, and the termination stands", async () => {
			const { owner, person, d1, d2 } = await setUp("Gone Before The Move AG");
			expect((await api.del(`/departments/${d1}`, owner)).status).toBe(204);
			const ended = await api.post(`/employees/${person.id}/terminate`, owner, { date: "2025-04-01", reason: "Left" });
			expect(ended.status).toBe(200);
			expect(ended.body).toMatchObject({ departmentId: null, status: "terminated" });
			const [entry] = (await api.get(`/employees/${person.id}/history?type=terminated`, owner)).body.rows;
			expect(entry.changes.departmentId).toEqual({ from: d2, to: null });
		});

		it("a hire date corrected after a transfer moves the stint's start; one on or after the transfer is 422", async () => {
			const { owner, person } = await setUp("Corrected Hire AG");
			expect((await api.patch(`/employees/${person.id}`, owner, { hireDate: "2025-03-01" })).status).toBe(200);
			expect(await total(owner, "2025-02-01")).toBe(0);
			expect(counts((await ok("/reports/headcount-as-of?asOf=2025-03-01", owner)).body.groups)).toEqual({ D1: 1 });
			expect(counts((await ok("/reports/headcount-as-of?asOf=2025-06-01", owner)).body.groups)).toEqual({ D2: 1 });
			const hires = (await ok("/reports/turnover?from=2025-01&to=2025-03", owner)).body.months.map((m: { hires: number }) => m.hires);
			expect(hires).toEqual([0, 0, 1]);
			const late = await api.patch(`/employees/${person.id}`, owner, { hireDate: "2025-06-01" });
			expect(late.status).toBe(422);
			expect(late.body.data[0]).toMatchObject({ field: "hireDate", type: "dateOrder" });
			expect((await api.get(`/employees/${person.id}`, owner)).body.hireDate).toBe("2025-03-01");
		});
	});

	describe("a hire date corrected around a rehire", () => {
		const total = async (owner: Signup, asOf: string) => (await ok(`/reports/headcount-as-of?asOf=${asOf}`, owner)).body.total;

		it("may not reach back into the employment before: 422, and the person is counted once", async () => {
			const owner = await signup(system.url, "Rehired Once AG");
			const person = await hire(system.url, owner, { hireDate: "2023-01-01" });
			expect((await api.post(`/employees/${person.id}/terminate`, owner, { date: "2023-03-31", reason: "Left" })).status).toBe(200);
			expect((await api.post(`/employees/${person.id}/rehire`, owner, { date: "2023-06-01" })).status).toBe(200);
			for (const hireDate of ["2022-06-01", "2023-03-31"]) {
				const refused = await api.patch(`/employees/${person.id}`, owner, { hireDate });
				expect(refused.status).toBe(422);
				expect(refused.body.data[0]).toMatchObject({ field: "hireDate", type: "dateOrder" });
			}
			expect((await api.patch(`/employees/${person.id}`, owner, { hireDate: "2023-04-01" })).status).toBe(200);
			expect(await total(owner, "2023-02-01")).toBe(1);
			expect(await total(owner, "2023-04-01")).toBe(1);
		});

		it("keeps the earlier stint when the rehire falls on the date it was first hired on", async () => {
			const owner = await signup(system.url, "Same Day Again AG");
			const person = await hire(system.url, owner, { hireDate: "2022-01-01" });
			expect((await api.patch(`/employees/${person.id}`, owner, { hireDate: "2021-01-01" })).status).toBe(200);
			expect((await api.post(`/employees/${person.id}/terminate`, owner, { date: "2021-06-30", reason: "Left" })).status).toBe(200);
			expect((await api.post(`/employees/${person.id}/rehire`, owner, { date: "2022-01-01" })).status).toBe(200);
			expect(await total(owner, "2021-03-01")).toBe(1);
			expect(await total(owner, "2021-09-01")).toBe(0);
			expect(await total(owner, "2022-01-01")).toBe(1);
			const months = (await ok("/reports/turnover?from=2021-01&to=2022-01", owner)).body.months;
			const sum = (field: "hires" | "terminations") => months.reduce((n: number, m: Record<string, number>) => n + m[field], 0);
			expect([sum("hires"), sum("terminations")]).toEqual([2, 1]);
		});
	});

	it("starts the turnover's default year back no earlier than 1900-01", async () => {
		const owner = await signup(system.url, "Long Ago AG");
		const report = (await ok("/reports/turnover?to=1900-05", owner)).body;
		expect([report.from, report.to, report.months.length]).toEqual(["1900-01", "1900-05", 5]);
	});

	describe("employees stored before spells existed", () => {
		itInProcess("are looked for once at start-up, which then leaves its marker", async () => {
			const employees = system.broker.getLocalService("employees") as DbService;
			await eventually(async () =>
				expect(await employees.store("employee_counters").findById("~spells-backfilled")).toMatchObject({ at: expect.any(String) })
			);
		});

		itInProcess("are counted once the start-up backfill has given them a spell, and only once", async () => {
			const owner = await signup(system.url, "Old Records AG");
			const hired = await hire(system.url, owner, { hireDate: "2023-05-02" });
			const employees = system.broker.getLocalService("employees") as DbService & { backfillSpells(): Promise<number> };
			// As the data was before this change: the record, no spell, no marker of a finished backfill.
			await employees.store("employment_spells").removeMany({ employeeId: hired.id });
			await employees.store("employee_counters").removeById("~spells-backfilled");
			expect((await ok("/reports/headcount-as-of?asOf=2023-06-01", owner)).body.total).toBe(0);

			expect(await employees.backfillSpells()).toBe(1);
			expect(await employees.backfillSpells()).toBe(0);
			// The report cached without the spell is stale now.
			expect((await ok("/reports/headcount-as-of?asOf=2023-06-01", owner)).body.total).toBe(1);
		});
	});

	describe("recruiting funnel", () => {
		let company: Company;
		beforeAll(async () => {
			company = await setUpCompany(system.url, "Funnel Per Opening Ltd");
		});

		it("counts per opening the applications that reached each stage, once each, with conversion and time in stage", async () => {
			const opening = await createOpening(system.url, company, { title: "Counted Engineer" });
			const quiet = await createOpening(system.url, company, { title: "Quiet Opening", hiringManagerId: company.otherManagerEmployee.id });
			const applicant = async () => (await apply(system.url, company, (await createCandidate(system.url, company)).id, opening.id)).id;
			await applicant();
			const back = await applicant();
			const ahead = await applicant();
			// Rejected at interview, reopened to screening (back a stage), then interviewed again.
			await moveThrough(system.url, company.hr, back, ["screening", "interview", "rejected", "screening", "interview"]);
			await moveThrough(system.url, company.hr, ahead, ["screening", "interview", "offer"]);

			const res = await ok("/reports/funnel", company.hr);
			expect(res.body.scope).toBe("company");
			const counted = res.body.openings.find((o: { openingId: string }) => o.openingId === opening.id);
			expect(counted).toMatchObject({
				title: "Counted Engineer",
				applications: 3,
				closed: { rejected: 0, withdrawn: 0 },
				hired: 0,
				averageDaysToHire: null
			});
			expect(
				counted.stages.map((s: { stage: string; reached: number; current: number; conversionToNext: number | null }) => [
					s.stage,
					s.reached,
					s.current,
					s.conversionToNext
				])
			).toEqual([
				["applied", 3, 1, 0.6667],
				["screening", 2, 0, 1],
				["interview", 2, 1, 0.5],
				["offer", 1, 1, 0],
				["hired", 0, 0, null]
			]);
			const days = Object.fromEntries(counted.stages.map((s: { stage: string; averageDaysInStage: number | null }) => [s.stage, s.averageDaysInStage]));
			// Completed stays only: nobody has left "offer" yet.
			expect(days.offer).toBeNull();
			expect(days.screening).toBeGreaterThanOrEqual(0);
			expect(res.body.openings.find((o: { openingId: string }) => o.openingId === quiet.id)).toMatchObject({ applications: 0, hired: 0 });

			// A hiring manager sees the openings they (or their team) hire for; fresh after a move.
			const mine = await ok("/reports/funnel", company.manager);
			expect(mine.body.openings.map((o: { openingId: string }) => o.openingId)).toContain(opening.id);
			expect(mine.body.openings.map((o: { openingId: string }) => o.openingId)).not.toContain(quiet.id);
			await moveThrough(system.url, company.hr, back, ["rejected"]);
			const moved = (await ok("/reports/funnel", company.manager)).body.openings.find((o: { openingId: string }) => o.openingId === opening.id);
			expect(moved.closed.rejected).toBe(1);
			expect(moved.stages[2]).toMatchObject({ stage: "interview", reached: 2, current: 0 });

			const csv = csvRecords((await ok("/reports/funnel?format=csv", company.hr)).text).filter(r => r.openingId === opening.id);
			expect(csv.map(r => [r.stage, Number(r.reached), Number(r.current)])).toEqual([
				["applied", 3, 1],
				["screening", 2, 0],
				["interview", 2, 0],
				["offer", 1, 1],
				["hired", 0, 0]
			]);
			expect((await api.get("/reports/funnel", company.employee)).status).toBe(403);
		});
	});
});
