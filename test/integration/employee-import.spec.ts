/**
 * Bulk employee import over HTTP: a CSV body (raw text/csv) starts a durable job answered 202;
 * GET /imports/:id follows it to the end with counts and a per-row report; the same file twice
 * creates nobody twice; the export is the same columns and imports back unchanged.
 */
import { request as httpRequest } from "node:http";
import { gzipSync } from "node:zlib";
import request from "supertest";
import { type Signup, bearer, createUser, signup, uniqueEmail } from "../support/http";
import { csvRecords } from "../support/csv";
import { createDepartment, createPosition, hire, startRoomySystem } from "../support/employees";
import type { RunningSystem } from "../support/local-system";
import { RealtimeEvents, type RealtimePush } from "../../lib/names/notifications";
import { itInProcess } from "../support/cluster-topology";
import { suiteTimeout } from "../support/timeouts";
import { ActionTimeouts } from "../../lib/action-timeouts";

suiteTimeout(60_000);

describe("employee import", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let globex: Signup;
	/** What the system pushed to the realtime nodes (a probe service listens like one). */
	const pushes: RealtimePush[] = [];

	const upload = (csv: string | Buffer, as: { accessToken: string } = acme, type = "text/csv") =>
		request(url).post("/api/v1/imports/employees").set(bearer(as.accessToken)).set("Content-Type", type).send(csv);
	const show = (id: string, as: { accessToken: string } = acme) => request(url).get(`/api/v1/imports/${id}`).set(bearer(as.accessToken));
	const employees = async (as: { accessToken: string } = acme) => {
		const res = await request(url).get("/api/v1/employees?pageSize=100").set(bearer(as.accessToken));
		expect(res.status).toBe(200);
		return res.body;
	};

	/** Uploads, expects 202, and waits until the import is done (or failed). */
	async function imported(csv: string | Buffer, as: { accessToken: string } = acme, timeoutMs = 30_000) {
		const res = await upload(csv, as);
		expect(res.status).toBe(202);
		expect(res.headers.location).toBe(`/api/v1/imports/${res.body.id}`);
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const state = await show(res.body.id, as);
			expect(state.status).toBe(200);
			if (state.body.status === "done" || state.body.status === "failed") return state.body;
			if (Date.now() > deadline) throw new Error(`import not done: ${JSON.stringify(state.body)}`);
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
		// In one process only (itInProcess below): a cluster's probe broker is not a realtime node.
		await system.broker.createService({
			name: "import-push-probe",
			events: { [RealtimeEvents.push]: (ctx: { params: RealtimePush }) => void pushes.push(ctx.params) }
		});
		await createDepartment(url, acme, "Engineering");
		await createPosition(url, acme, "Engineer");
	});
	afterAll(() => system?.stop());

	it("imports the good rows, reports the bad ones by row and field, and creates no department", async () => {
		const boss = await hire(url, acme, { employeeNumber: "B-1" });
		const csv = [
			"employeeNumber,firstName,lastName,workEmail,hireDate,department,position,manager",
			`G-1,Ada,Lovelace,${uniqueEmail("ada")},2024-02-01,Engineering,Engineer,B-1`,
			`G-2,Alan,Turing,${uniqueEmail("alan")},2024-02-02,engineering,,${boss.workEmail}`,
			`G-3,Bad,Dept,${uniqueEmail("bad")},2024-02-03,Marketing,,`,
			`G-4,Bad,Date,${uniqueEmail("bad")},2024-13-45,,,`,
			`G-5,Bad,Boss,${uniqueEmail("bad")},2024-02-05,,,NOPE-9`,
			`G-6,No,Email,,2024-02-06,,,`
		].join("\n");
		const result = await imported(csv);
		expect(result.counts).toEqual({ total: 6, imported: 2, updated: 0, skipped: 0, failed: 4 });
		expect(result.errors).toEqual([
			{ row: 4, field: "department", reason: expect.stringContaining("Marketing") },
			{ row: 5, field: "hireDate", reason: expect.any(String) },
			{ row: 6, field: "manager", reason: expect.stringContaining("NOPE-9") },
			{ row: 7, field: "workEmail", reason: expect.any(String) }
		]);
		const list = await employees();
		const ada = list.rows.find((e: { employeeNumber: string }) => e.employeeNumber === "G-1");
		expect(ada).toMatchObject({ firstName: "Ada", managerId: boss.id });
		expect(list.rows.find((e: { employeeNumber: string }) => e.employeeNumber === "G-3")).toBeUndefined();
		const departments = await request(url).get("/api/v1/departments").set(bearer(acme.accessToken));
		expect(departments.body.rows.map((d: { name: string }) => d.name)).toEqual(["Engineering"]);

		const report = await request(url).get(`/api/v1/imports/${result.id}/errors.csv`).set(bearer(acme.accessToken));
		expect(report.status).toBe(200);
		expect(report.headers["content-type"]).toMatch(/^text\/csv/);
		expect(csvRecords(report.text).map(r => [r.row, r.field])).toEqual([
			["4", "department"],
			["5", "hireDate"],
			["6", "manager"],
			["7", "workEmail"]
		]);

		// The importing user is told when it is done, with the figures.
		let told: { title: string; body: string; data: Record<string, unknown> } | undefined;
		for (let i = 0; i < 50 && !told; i++) {
			const inbox = await request(url).get("/api/v1/notifications").set(bearer(acme.accessToken));
			told = inbox.body.rows.find((n: { type: string; data: { importId: string } }) => n.type === "import.finished" && n.data.importId === result.id);
			if (!told) await new Promise(resolve => setTimeout(resolve, 100));
		}
		expect(told).toMatchObject({ title: "Employee import finished with errors", data: { importId: result.id, imported: 2, failed: 4 } });
	});

	itInProcess("pushes progress to the importing user's sockets, ending with the whole file", async () => {
		const result = await imported(
			`firstName,lastName,workEmail,hireDate\nPia,Push,${uniqueEmail("pia")},2024-02-01\nBad,Date,${uniqueEmail("bad")},2024-02-30\n`
		);
		// Progress went to the importing user's sockets, ending with the whole file processed.
		const progressOf = () => pushes.filter(p => p.message.type === "import.progress" && p.message.importId === result.id);
		// Pushed just after the write that GET /imports/:id read: it may trail by a moment.
		for (let i = 0; i < 50 && progressOf().at(-1)?.message.status !== "done"; i++) await new Promise(resolve => setTimeout(resolve, 100));
		const progress = progressOf();
		expect(progress.at(-1)).toEqual({
			tenantId: acme.tenant.id,
			userIds: [acme.user.id],
			message: {
				type: "import.progress",
				importId: result.id,
				status: "done",
				processed: 2,
				total: 2,
				counts: { imported: 1, updated: 0, skipped: 0, failed: 1 }
			}
		});
	});

	it("gives each imported hire its history entry and its audit record, by the importing user, as a hire through the API does", async () => {
		const csv = [
			"employeeNumber,firstName,lastName,workEmail,hireDate",
			`H-1,Hal,Hired,${uniqueEmail("hal")},2024-03-04`,
			`H-2,Hil,Hired,${uniqueEmail("hil")},2024-03-05`
		].join("\n");
		expect((await imported(csv)).counts).toMatchObject({ imported: 2, failed: 0 });
		const hired = (await employees()).rows.filter((e: { lastName: string }) => e.lastName === "Hired");
		expect(hired).toHaveLength(2);
		for (const e of hired) {
			const history = await request(url).get(`/api/v1/employees/${e.id}/history`).set(bearer(acme.accessToken));
			expect(history.body.rows).toEqual([expect.objectContaining({ type: "hired", by: acme.user.id, effectiveDate: e.hireDate })]);
			// Written from the durable event, a moment after the write.
			let records: Array<{ operation: string; actor: { userId: string } }> = [];
			for (let tries = 0; records.length === 0 && tries < 50; tries++) {
				if (tries > 0) await new Promise(resolve => setTimeout(resolve, 100));
				records = (await request(url).get(`/api/v1/audit?targetType=employee&targetId=${e.id}`).set(bearer(acme.accessToken))).body.rows ?? [];
			}
			expect(records).toEqual([expect.objectContaining({ operation: "created", actor: expect.objectContaining({ userId: acme.user.id }) })]);
		}
	});

	it("imports the same file twice without duplicates: the second time every row is unchanged", async () => {
		const csv = [
			"employeeNumber,firstName,lastName,workEmail,hireDate",
			`T-1,Tom,Twice,${uniqueEmail("tom")},2024-03-01`,
			`T-2,Tia,Twice,${uniqueEmail("tia")},2024-03-01`
		].join("\r\n");
		const first = await imported(csv);
		expect(first.counts).toMatchObject({ imported: 2, failed: 0 });
		const before = (await employees()).total;
		const second = await imported(csv);
		expect(second.counts).toEqual({ total: 2, imported: 0, updated: 0, skipped: 2, failed: 0 });
		expect((await employees()).total).toBe(before);
		// A changed cell updates the employee found by number.
		const third = await imported(csv.replace("Tom,Twice", "Thomas,Twice"));
		expect(third.counts).toMatchObject({ updated: 1, skipped: 1 });
		expect((await employees()).total).toBe(before);
	});

	it("reads a UTF-8 BOM and quoted fields holding commas, quotes and line breaks", async () => {
		const email = uniqueEmail("zoe");
		const csv = `\ufefffirstName,lastName,workEmail,hireDate,homeAddress\r\n"Zoë","O""Brien, Jr.",${email},2024-04-01,"1 Main St,\r\nApt 2"\r\n`;
		const result = await imported(Buffer.from(csv, "utf8"));
		expect(result.counts).toMatchObject({ total: 1, imported: 1, failed: 0 });
		const found = (await employees()).rows.find((e: { workEmail: string }) => e.workEmail === email);
		const full = await request(url).get(`/api/v1/employees/${found.id}`).set(bearer(acme.accessToken));
		expect(full.body).toMatchObject({ firstName: "Zoë", lastName: 'O"Brien, Jr.', homeAddress: "1 Main St,\r\nApt 2" });
	});

	it("refuses a row with text past the header's last column (an unquoted comma), naming its line, and hires nobody", async () => {
		const [shifted, trailing] = [uniqueEmail("shifted"), uniqueEmail("trailing")];
		const header = "firstName,lastName,workEmail,hireDate,homeAddress\r\n";
		const res = await upload(`${header}Tom,Trail,${trailing},2024-04-01,1 Elm St,,\r\nSam,Shift,${shifted},2024-04-01,1 Main St, Springfield\r\n`);
		expect({ status: res.status, item: res.body.data?.[0] }).toEqual({
			status: 422,
			item: { type: "columnCount", field: "file", message: "Line 3: 6 cells, but the header names 5 columns (quote a cell that holds a comma)." }
		});
		const emails = (await employees()).rows.map((e: { workEmail: string }) => e.workEmail);
		expect(emails).not.toContain(shifted);
		expect(emails).not.toContain(trailing);
		// Empty cells past the header (a spreadsheet's trailing commas) hold nothing to lose.
		const result = await imported(`${header}Tom,Trail,${trailing},2024-04-01,1 Elm St,,\r\n`);
		expect(result.counts).toMatchObject({ total: 1, imported: 1, failed: 0 });
	});

	it("skips lines of empty cells (a spreadsheet's blank rows) as it skips empty lines: no row, no error, still a line", async () => {
		const [first, second] = [uniqueEmail("blank1"), uniqueEmail("blank2")];
		const header = "firstName,lastName,workEmail,hireDate";
		const result = await imported(`,,,\r\n${header}\r\nBea,Blank,${first},2024-04-01\r\n,,,\r\n , , ,\r\nBo,Blank,${second},2024-13-01\r\n,,,\r\n`);
		expect(result.counts).toMatchObject({ total: 2, imported: 1, failed: 1 });
		expect(result.errors).toEqual([expect.objectContaining({ row: 6, field: "hireDate" })]);
		const onlyBlank = await upload(`${header}\r\n,,,\r\n,,,\r\n`);
		expect({ status: onlyBlank.status, item: onlyBlank.body.data?.[0] }).toEqual({
			status: 422,
			item: expect.objectContaining({ field: "file", type: "noRows" })
		});
	});

	it("takes a file that is sent more slowly than a write may take (a big file, a slow link), and imports it", async () => {
		const [first, second] = [uniqueEmail("slow1"), uniqueEmail("slow2")];
		const csv = `firstName,lastName,workEmail,hireDate\nSid,Slow,${first},2024-04-01\nSue,Slow,${second},2024-04-01\n`;
		// Four pieces, a third of a write's time (and more) apart: the last arrives after the write timeout.
		const gapMs = Math.ceil((ActionTimeouts.write + 1000) / 3);
		const answer = await new Promise<{ status: number; body: { id?: string } }>((resolve, reject) => {
			const req = httpRequest(
				`${url}/api/v1/imports/employees`,
				{ method: "POST", headers: { ...bearer(acme.accessToken), "Content-Type": "text/csv" } },
				res => {
					let text = "";
					res.setEncoding("utf8");
					res.on("data", (piece: string) => (text += piece));
					res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
				}
			);
			req.on("error", reject);
			const size = Math.ceil(csv.length / 4);
			let n = 0;
			const next = () => {
				req.write(csv.slice(n * size, (n + 1) * size));
				if (++n < 4) setTimeout(next, gapMs);
				else req.end();
			};
			next();
		});
		expect(answer).toEqual({ status: 202, body: expect.objectContaining({ status: "queued", total: 2 }) });
		for (let tries = 0; (await show(answer.body.id!)).body.status !== "done"; tries++) {
			expect(tries).toBeLessThan(100);
			await new Promise(resolve => setTimeout(resolve, 100));
		}
		expect((await show(answer.body.id!)).body.counts).toMatchObject({ total: 2, imported: 2, failed: 0 });
	});

	it("asks for a CSV body of the upload only: other requests under /imports get the API's 405, 404, 204 or 401", async () => {
		const wrongMethod = await request(url).delete("/api/v1/imports/some-id").set(bearer(acme.accessToken));
		expect(wrongMethod.status).toBe(405);
		expect(wrongMethod.headers.allow).toBe("GET, HEAD");
		expect((await request(url).get("/api/v1/importsX").set(bearer(acme.accessToken))).status).toBe(404);
		const options = await request(url).options("/api/v1/imports/employees");
		expect(options.status).toBe(204);
		expect(options.headers.allow).toContain("POST");
		expect((await request(url).get("/api/v1/imports/some-id")).status).toBe(401);
	});

	it("refuses what is not a sound CSV file with a 4xx naming the problem, and stores nothing", async () => {
		const json = await request(url).post("/api/v1/imports/employees").set(bearer(acme.accessToken)).send({ rows: [] });
		expect(json.status).toBe(415);
		expect(json.body.message).toMatch(/text\/csv/);
		// The route takes the path in any case, and so does the check of what it is sent.
		const csvAsJson = "firstName,lastName,workEmail,hireDate\nA,B,json@b.co,2024-01-01\n";
		for (const path of ["/api/v1/imports/EMPLOYEES", "/API/V1/Imports/Employees/"]) {
			const shouted = await request(url).post(path).set(bearer(acme.accessToken)).set("Content-Type", "application/json").send(csvAsJson);
			expect(shouted.status).toBe(415);
			const latin1 = await request(url).post(path).set(bearer(acme.accessToken)).set("Content-Type", "text/csv; charset=latin1").send(csvAsJson);
			expect(latin1.status).toBe(415);
		}
		const gzipped = await request(url)
			.post("/api/v1/imports/employees")
			.set(bearer(acme.accessToken))
			.set("Content-Type", "text/csv")
			.set("Content-Encoding", "gzip")
			.send(gzipSync("firstName,lastName,workEmail,hireDate\nA,B,gz@b.co,2024-01-01\n"));
		expect({ status: gzipped.status, message: gzipped.body.message }).toEqual({ status: 415, message: expect.stringMatching(/uncompressed/) });
		const latin1Bytes = await upload(Buffer.from("firstName,lastName,workEmail,hireDate\nJos\xe9,B,jose@b.co,2024-01-01\n", "latin1"));
		expect({ status: latin1Bytes.status, item: latin1Bytes.body.data?.[0] }).toEqual({
			status: 422,
			item: expect.objectContaining({ field: "file", type: "encoding" })
		});
		const empty = await upload("");
		expect(empty.status).toBe(422);
		expect(empty.body.data[0]).toMatchObject({ field: "file", type: "empty" });
		const noRows = await upload("firstName,lastName,workEmail,hireDate\n");
		expect(noRows.status).toBe(422);
		expect(noRows.body.data[0]).toMatchObject({ field: "file", type: "noRows" });
		const unknown = await upload("firstName,lastName,workEmail,hireDate,salary\nA,B,a@b.co,2024-01-01,1\n");
		expect(unknown.status).toBe(422);
		expect(unknown.body.data[0]).toMatchObject({ field: "header", message: expect.stringContaining("salary") });
		const missing = await upload("firstName,lastName,hireDate\nA,B,2024-01-01\n");
		expect(missing.status).toBe(422);
		expect(missing.body.data[0].message).toContain("workEmail");
		const big = await upload(Buffer.alloc(10 * 1024 * 1024 + 1, "a"));
		expect(big.status).toBe(413);
		expect(big.body.data).toMatchObject({ limit: 10 * 1024 * 1024, unit: "bytes" });
		const tooManyRows = await upload("firstName,lastName,workEmail,hireDate\n" + "A,B,a@b.co,2024-01-01\n".repeat(50_001));
		expect(tooManyRows.status).toBe(413);
		expect(tooManyRows.body.data).toMatchObject({ limit: 50_000, unit: "rows" });
	});

	it("keeps tenants and roles apart: another tenant's import is 404, an employee gets 403", async () => {
		const result = await imported(`firstName,lastName,workEmail,hireDate\nKim,Kept,${uniqueEmail("kim")},2024-05-01\n`);
		expect((await show(result.id, globex)).status).toBe(404);
		expect((await request(url).get(`/api/v1/imports/${result.id}/errors.csv`).set(bearer(globex.accessToken))).status).toBe(404);
		const plain = await createUser(url, acme, "employee");
		expect((await upload("firstName,lastName,workEmail,hireDate\nA,B,a@b.co,2024-01-01\n", plain)).status).toBe(403);
		expect((await show(result.id, plain)).status).toBe(403);
	});

	it("exports the directory in the import's columns, and the export imports back unchanged", async () => {
		// Text a spreadsheet would take for a formula, and text that already looks guarded against one.
		const quoted = await hire(url, acme, { firstName: "'+Quoted", lastName: "=Formula", homeAddress: "'-42 Main St" });
		const res = await request(url).get("/api/v1/employees/export.csv").set(bearer(acme.accessToken));
		expect(res.status).toBe(200);
		expect(res.headers["content-type"]).toMatch(/^text\/csv/);
		const rows = csvRecords(res.text);
		expect(rows.length).toBe((await employees()).total);
		expect(rows.find(r => r.employeeNumber === "G-1")).toMatchObject({ department: "Engineering", position: "Engineer", manager: "B-1" });
		const again = await imported(res.text);
		expect(again.counts).toMatchObject({ total: rows.length, imported: 0, updated: 0, failed: 0, skipped: rows.length });
		expect((await request(url).get(`/api/v1/employees/${quoted.id}`).set(bearer(acme.accessToken))).body).toMatchObject({
			firstName: "'+Quoted",
			lastName: "=Formula",
			homeAddress: "'-42 Main St"
		});

		// An employee sees only themself in their export.
		const me = await hire(url, acme);
		const own = await createUser(url, acme, "employee", me.id);
		const mine = await request(url).get("/api/v1/employees/export.csv").set(bearer(own.accessToken));
		expect(csvRecords(mine.text).map(r => r.workEmail)).toEqual([me.workEmail]);
	});

	itInProcess("writes each employee once when others are hired while it is written (an import with lower numbers)", async () => {
		const paged = await signup(url, "Paged Export");
		// More than one page of the export (1,000 employees).
		const rows = Array.from({ length: 1010 }, (_, i) => `P${String(i).padStart(5, "0")},Pia,Paged,${uniqueEmail(`paged${i}`)},2024-04-01`);
		const result = await imported(`employeeNumber,firstName,lastName,workEmail,hireDate\n${rows.join("\n")}\n`, paged);
		expect(result.counts).toMatchObject({ imported: 1010, failed: 0 });
		// Right after the first page is read, five people are hired whose numbers sort before every one on it.
		const store = (system.broker.getLocalService("employees") as unknown as { adapter: { find: (params: { limit?: number }) => Promise<unknown[]> } })
			.adapter;
		const find = store.find.bind(store);
		let hiredMeanwhile = false;
		const spy = jest.spyOn(store, "find").mockImplementation(async params => {
			const page = await find(params);
			if (params.limit === 1000 && !hiredMeanwhile) {
				hiredMeanwhile = true;
				for (let i = 0; i < 5; i++) await hire(url, paged, { employeeNumber: `A${i}` });
			}
			return page;
		});
		try {
			const res = await request(url).get("/api/v1/employees/export.csv").set(bearer(paged.accessToken));
			expect(res.status).toBe(200);
			const numbers = csvRecords(res.text).map(r => r.employeeNumber);
			expect(hiredMeanwhile).toBe(true);
			expect(numbers.length).toBe(new Set(numbers).size);
			expect(numbers.filter(n => n.startsWith("P"))).toHaveLength(1010);
		} finally {
			spy.mockRestore();
		}
	});

	it("writes a department whose name repeats in the company as its path, and finds each again: such an export imports back unchanged", async () => {
		const initech = await signup(url, "Initech");
		const post = (path: string, body: object) => request(url).post(`/api/v1${path}`).set(bearer(initech.accessToken)).send(body);
		const made = async (path: string, body: object): Promise<string> => {
			const res = await post(path, body);
			expect(res.status).toBe(201);
			return res.body.id;
		};
		const [sales, support] = [await made("/departments", { name: "Sales" }), await made("/departments", { name: "Support" })];
		// Names are unique among siblings only, and in their case.
		const salesTeam = await made("/departments", { name: "Team", parentId: sales });
		const supportTeam = await made("/departments", { name: "Team", parentId: support });
		const ops = await made("/departments", { name: "Ops" });
		const opsUpper = await made("/departments", { name: "OPS" });
		const [engineer, engineerUpper] = [await made("/positions", { title: "Engineer" }), await made("/positions", { title: "ENGINEER" })];
		for (const [departmentId, positionId] of [
			[salesTeam, engineer],
			[supportTeam, engineerUpper],
			[ops, engineer],
			[opsUpper, engineerUpper]
		]) {
			await hire(url, initech, { departmentId, positionId });
		}

		const exported = await request(url).get("/api/v1/employees/export.csv").set(bearer(initech.accessToken));
		expect(csvRecords(exported.text).map(r => [r.department, r.position])).toEqual([
			["Sales / Team", "Engineer"],
			["Support / Team", "ENGINEER"],
			["Ops", "Engineer"],
			["OPS", "ENGINEER"]
		]);
		const again = await imported(exported.text, initech);
		expect(again.counts).toMatchObject({ total: 4, imported: 0, updated: 0, failed: 0, skipped: 4 });

		const result = await imported(
			[
				"firstName,lastName,workEmail,hireDate,department,position",
				`Amb,Iguous,${uniqueEmail("amb")},2024-03-01,Team,engineer`,
				`Any,Case,${uniqueEmail("case")},2024-03-01,support / team,Engineer`
			].join("\n"),
			initech
		);
		expect(result.counts).toMatchObject({ imported: 1, failed: 1 });
		expect(result.errors).toEqual([
			{
				row: 2,
				field: "department",
				reason: "Several departments are named 'Team'. Write the one meant as 'Sales / Team' or 'Support / Team'."
			}
		]);
		const list = await request(url).get(`/api/v1/employees?departmentId=${supportTeam}`).set(bearer(initech.accessToken));
		const placed = list.body.rows.map((e: { firstName: string; positionId: string }) => [e.firstName, e.positionId]);
		expect(placed.sort()).toEqual([
			["Any", engineer],
			["Erin", engineerUpper]
		]);
	});

	it("a manager's export holds their team, with the birth date and home address only in their own row", async () => {
		const lead = await hire(url, acme, { birthDate: "1980-01-02", homeAddress: "1 Lead Lane" });
		const report = await hire(url, acme, { managerId: lead.id, birthDate: "1991-02-03", homeAddress: "2 Report Road" });
		const manager = await createUser(url, acme, "manager", lead.id);
		const res = await request(url).get("/api/v1/employees/export.csv").set(bearer(manager.accessToken));
		expect(res.status).toBe(200);
		const rows = new Map(csvRecords(res.text).map(r => [r.workEmail, r]));
		expect([...rows.keys()].sort()).toEqual([lead.workEmail, report.workEmail].sort());
		expect(rows.get(lead.workEmail)).toMatchObject({ birthDate: "1980-01-02", homeAddress: "1 Lead Lane" });
		expect(rows.get(report.workEmail)).toMatchObject({ birthDate: "", homeAddress: "" });
		// Staff see both, as on GET /employees/:id.
		const all = new Map(csvRecords((await request(url).get("/api/v1/employees/export.csv").set(bearer(acme.accessToken))).text).map(r => [r.workEmail, r]));
		expect(all.get(report.workEmail)).toMatchObject({ birthDate: "1991-02-03", homeAddress: "2 Report Road" });
	});

	/** Waits until the import `id` has left queued and running; answers its state. */
	async function settled(id: string, timeoutMs = 30_000) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const state = await show(id);
			expect(state.status).toBe(200);
			if (state.body.status === "done" || state.body.status === "failed") return state.body;
			if (Date.now() > deadline) throw new Error(`import still ${state.body.status}`);
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	}

	// In one process: the test breaks the imports service's own instance.
	itInProcess("ends failed when a chunk fails every retry, saying which rows and why; replaying its dead letter finishes it", async () => {
		const imports = system.broker.getLocalService("imports") as unknown as { processChunk: (...args: unknown[]) => Promise<void> };
		const processChunk = imports.processChunk;
		imports.processChunk = () => Promise.reject(new Error("the org service did not answer"));
		const csv = [
			"employeeNumber,firstName,lastName,workEmail,hireDate",
			`D-1,Dee,Dead,${uniqueEmail("dee")},2024-05-01`,
			`D-2,Dan,Dead,${uniqueEmail("dan")},2024-05-01`
		].join("\n");
		let id: string;
		let failed;
		try {
			const res = await upload(csv);
			expect(res.status).toBe(202);
			id = res.body.id;
			failed = await settled(id);
		} finally {
			imports.processChunk = processChunk;
		}
		expect(failed).toMatchObject({ status: "failed", counts: { total: 2, imported: 0 }, finishedAt: expect.any(String) });
		expect(failed.failure).toContain("rows 2–3");
		expect(failed.failure).toContain("the org service did not answer");
		expect(pushes.some(p => p.message.type === "import.progress" && p.message.importId === id && p.message.status === "failed")).toBe(true);

		let letter: { id: string } | undefined;
		for (let tries = 0; !letter && tries < 50; tries++) {
			const letters = await request(url).get("/api/v1/admin/dead-letters?channel=imports.chunk&pageSize=100").set(bearer(acme.accessToken));
			expect(letters.status).toBe(200);
			letter = letters.body.rows.find((l: { event: { importId?: string } }) => l.event.importId === id);
			if (!letter) await new Promise(resolve => setTimeout(resolve, 100));
		}
		expect((await request(url).post(`/api/v1/admin/dead-letters/${letter!.id}/replay`).set(bearer(acme.accessToken)).send({})).status).toBe(202);
		const done = await settled(id!);
		expect(done).toMatchObject({ status: "done", failure: null, counts: { total: 2, imported: 2, updated: 0, skipped: 0, failed: 0 } });
	});

	itInProcess("counts a chunk redone after a failure past its writes as a clean run: updated rows stay updated", async () => {
		const [r1, r2, r3] = [uniqueEmail("redo"), uniqueEmail("redo"), uniqueEmail("redo")];
		const header = "employeeNumber,firstName,lastName,workEmail,hireDate";
		await imported([header, `R-1,Rae,Redo,${r1},2024-05-01`, `R-2,Rob,Redo,${r2},2024-05-01`, `R-3,Ray,Redo,${r3},2024-05-01`].join("\n"));
		// The chunk's writes all happen, then its count fails once (as a node killed there): the channel redelivers it.
		const imports = system.broker.getLocalService("imports") as unknown as { store(name: string): { insert(doc: object): Promise<unknown> } };
		const errorsStore = imports.store("import_errors");
		const insert = errorsStore.insert;
		let failures = 0;
		errorsStore.insert = function (this: unknown, doc: object) {
			if (failures++ === 0) return Promise.reject(new Error("node lost after the writes"));
			return insert.call(this, doc);
		};
		try {
			const result = await imported(
				[
					header,
					`R-1,Rae,Redone,${r1},2024-05-01`,
					`R-2,Rob,Redone,${r2},2024-05-01`,
					`R-3,Ray,Redo,${r3},2024-05-01`,
					`R-4,Roy,Redo,${uniqueEmail("redo")},2024-05-01`
				].join("\n")
			);
			expect(failures).toBeGreaterThan(1);
			expect(result.counts).toEqual({ total: 4, imported: 1, updated: 2, skipped: 1, failed: 0 });
		} finally {
			errorsStore.insert = insert;
		}
		const redone = (await employees()).rows.filter((e: { lastName: string }) => e.lastName === "Redone");
		expect(redone).toHaveLength(2);
	});

	it("hires a manager named further down the file, past the first chunk, before the rows under them; errors come in file order", async () => {
		const initech = await signup(url, "Initech");
		const stamp = Date.now();
		const line = (n: string, manager = "") => `${n},Row,${n},${n.toLowerCase()}.${stamp}@example.com,2024-06-01,${manager}`;
		const lines = ["employeeNumber,firstName,lastName,workEmail,hireDate,manager", line("R-0", "BOSS"), line("R-1", "NOBODY")];
		for (let i = 2; i < 300; i++) lines.push(line(`R-${i}`, i % 2 ? "BOSS" : ""));
		// The boss reports to the chief, on the very last line; row 302 names no one on record.
		lines.push(line("R-300", "NOBODY-EITHER"), line("BOSS", "CHIEF"), line("CHIEF"));
		const result = await imported(lines.join("\n"), initech);
		expect(result.counts).toEqual({ total: 303, imported: 301, updated: 0, skipped: 0, failed: 2 });
		expect(result.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
			[3, "manager"],
			[302, "manager"]
		]);
		const find = async (lastName: string) => {
			const res = await request(url).get("/api/v1/employees").query({ search: lastName, pageSize: 100 }).set(bearer(initech.accessToken));
			return (res.body.rows as Array<{ id: string; lastName: string; managerId: string | null }>).find(row => row.lastName === lastName)!;
		};
		const [first, boss, chief] = [await find("R-0"), await find("BOSS"), await find("CHIEF")];
		expect({ first: first.managerId, boss: boss.managerId }).toEqual({ first: boss.id, boss: chief.id });
	});

	it("imports a 20,000-row file to the end", async () => {
		const lines = ["employeeNumber,firstName,lastName,workEmail,hireDate"];
		for (let i = 0; i < 20_000; i++) lines.push(`V-${i},Vol,Ume${i},vol${i}.${Date.now()}@example.com,2024-06-01`);
		const result = await imported(lines.join("\n"), globex, 240_000);
		expect(result.counts).toEqual({ total: 20_000, imported: 20_000, updated: 0, skipped: 0, failed: 0 });
		expect((await employees(globex)).total).toBe(20_000);
	}, 300_000);
});
