/** Departments, positions and locations over HTTP: the tree rules, roles and tenant isolation. */
import request from "supertest";
import { employeeBody, hire } from "../support/employees";
import { type Signup, bearer, createUser, signup } from "../support/http";
import { type RunningSystem, startRoomySystem } from "../support/local-system";
import { itInProcess } from "../support/cluster-topology";
import type { Store } from "../../lib/store/types";
import { writtenWhileDeleting } from "../support/races";
import { OrgActions } from "../../lib/names/org";

describe("org", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let globex: Signup;

	const post = (path: string, as: Signup | { accessToken: string }, body: object) =>
		request(url).post(`/api/v1${path}`).set(bearer(as.accessToken)).send(body);
	const get = (path: string, as: { accessToken: string }) => request(url).get(`/api/v1${path}`).set(bearer(as.accessToken));

	async function department(name: string, parentId: string | null = null, as: Signup = acme): Promise<string> {
		const res = await post("/departments", as, { name, parentId });
		expect(res.status).toBe(201);
		return res.body.id;
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
	});
	afterAll(() => system?.stop());

	describe("departments", () => {
		it("builds a tree and answers it nested", async () => {
			const root = await department("Company");
			const eng = await department("Engineering", root);
			await department("Web", eng);
			const res = await get("/departments/tree", acme);
			expect(res.status).toBe(200);
			const company = res.body.find((d: { id: string }) => d.id === root);
			expect(company.children.map((c: { name: string }) => c.name)).toEqual(["Engineering"]);
			expect(company.children[0].children.map((c: { name: string }) => c.name)).toEqual(["Web"]);
		});

		it("moves a department, and refuses a move under itself or its descendants (422 parentId)", async () => {
			const a = await department("A");
			const b = await department("B", a);
			const c = await department("C", b);
			for (const target of [a, c]) {
				const res = await post(`/departments/${a}/move`, acme, { parentId: target });
				expect(res.status).toBe(422);
				expect(res.body.data[0]).toMatchObject({ field: "parentId", type: "cycle" });
			}
			expect((await get(`/departments/${a}`, acme)).body.parentId).toBeNull();
			const moved = await post(`/departments/${c}/move`, acme, { parentId: a });
			expect(moved.status).toBe(200);
			expect(moved.body.parentId).toBe(a);
			const top = await post(`/departments/${c}/move`, acme, { parentId: null });
			expect(top.body.parentId).toBeNull();
		});

		it("names are unique among siblings (409)", async () => {
			const parent = await department("Sales");
			await department("EMEA", parent);
			const dup = await post("/departments", acme, { name: "EMEA", parentId: parent });
			expect(dup.status).toBe(409);
			expect(dup.body.data).toEqual({ field: "name" });
			expect((await post("/departments", acme, { name: "EMEA" })).status).toBe(201);
		});

		it("deletes only an empty department (409 otherwise)", async () => {
			const parent = await department("Parent");
			const child = await department("Child", parent);
			const refused = await request(url).delete(`/api/v1/departments/${parent}`).set(bearer(acme.accessToken));
			expect(refused.status).toBe(409);
			expect(refused.body.data).toMatchObject({ subDepartments: 1 });
			await post("/positions", acme, { title: "Child Lead", departmentId: child });
			expect((await request(url).delete(`/api/v1/departments/${child}`).set(bearer(acme.accessToken))).status).toBe(409);
			const empty = await department("Empty");
			expect((await request(url).delete(`/api/v1/departments/${empty}`).set(bearer(acme.accessToken))).status).toBe(204);
			expect((await get(`/departments/${empty}`, acme)).status).toBe(404);
		});

		it("does not delete a department a draft or open job opening hires into (409); once the openings are closed, it does", async () => {
			const hiring = await department("Hiring");
			const manager = await hire(url, acme, { firstName: "Hana", lastName: "Hiring" });
			const opening = async (status: string) => {
				const res = await post("/job-openings", acme, { title: `${status} role`, departmentId: hiring, hiringManagerId: manager.id, status });
				expect(res.status).toBe(201);
				return res.body.id as string;
			};
			const [draft, open] = await Promise.all([opening("draft"), opening("open")]);
			const del = () => request(url).delete(`/api/v1/departments/${hiring}`).set(bearer(acme.accessToken));
			const refused = await del();
			expect(refused.status).toBe(409);
			expect(refused.body.data).toEqual({ subDepartments: 0, positions: 0, employees: 0, openings: 2 });
			for (const id of [draft, open]) {
				expect((await request(url).patch(`/api/v1/job-openings/${id}`).set(bearer(acme.accessToken)).send({ status: "closed" })).status).toBe(200);
			}
			expect((await del()).status).toBe(204);
			expect((await get(`/departments/${hiring}`, acme)).status).toBe(404);
		});

		it("rejects a parent, location or manager that does not exist in the tenant (422 naming the field)", async () => {
			const theirs = await department("Theirs", null, globex);
			const res = await post("/departments", acme, { name: "X", parentId: theirs });
			expect(res.status).toBe(422);
			expect(res.body.data[0].field).toBe("parentId");
			expect((await post("/departments", acme, { name: "X", locationId: "nope" })).body.data[0].field).toBe("locationId");
			expect((await post("/departments", acme, { name: "X", managerId: "nope" })).body.data[0].field).toBe("managerId");
			const list = await get("/departments", acme).query({ search: "X", pageSize: 100 });
			expect(list.body.rows.filter((d: { name: string }) => d.name === "X")).toEqual([]);
		});

		it("lists with paging, search and sort; unknown filters and sort fields are 422", async () => {
			const res = await get("/departments", acme).query({ pageSize: 2, sort: "-name" });
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ page: 1, pageSize: 2, rows: expect.any(Array), total: expect.any(Number) });
			expect(res.body.rows).toHaveLength(2);
			expect(res.body.rows[0].name >= res.body.rows[1].name).toBe(true);
			expect((await get("/departments", acme).query({ sort: "tenantId" })).status).toBe(422);
			expect((await get("/departments", acme).query({ color: "red" })).body.data[0].field).toBe("color");
		});
	});

	describe("a delete and a reference to what it deletes, at once", () => {
		const del = (path: string) => request(url).delete(`/api/v1${path}`).set(bearer(acme.accessToken));
		const patch = (path: string, body: object) => request(url).patch(`/api/v1${path}`).set(bearer(acme.accessToken)).send(body);
		// The write must wait for the delete, then refer to nothing (422); one in another service waits for the
		// org's tree too (holdTree): without it, it was checked before the delete and written after it.
		const racing = writtenWhileDeleting;
		const org = () => system.broker.getLocalService("org") as unknown as { adapter: Store; store(name: string): Store };
		const offers = () => (system.broker.getLocalService("recruitment") as unknown as { store(name: string): Store }).store("offers");

		itInProcess("a department made at a location being deleted", async () => {
			const location = await post("/locations", acme, { name: `Going ${Math.random()}` });
			const res = await racing(
				org().adapter,
				() => del(`/locations/${location.body.id}`),
				() => post("/departments", acme, { name: `At ${Math.random()}`, locationId: location.body.id })
			);
			expect(res.status).toBe(422);
			expect(res.body.data?.[0].field).toBe("locationId");
		});

		itInProcess("a position moved into a department being deleted", async () => {
			const departmentId = await department(`Going ${Math.random()}`);
			const position = await post("/positions", acme, { title: `Moving ${Math.random()}` });
			const res = await racing(
				org().store("positions"),
				() => del(`/departments/${departmentId}`),
				() => patch(`/positions/${position.body.id}`, { departmentId })
			);
			expect(res.status).toBe(422);
			expect(res.body.data?.[0].field).toBe("departmentId");
			expect((await get(`/positions/${position.body.id}`, acme)).body.departmentId).toBeNull();
		});

		itInProcess("an employee hired into a department being deleted", async () => {
			const departmentId = await department(`Going ${Math.random()}`);
			const res = await racing(
				org().adapter,
				() => del(`/departments/${departmentId}`),
				() => post("/employees", acme, employeeBody({ departmentId }))
			);
			expect(res.status).toBe(422);
			expect(res.body.data?.[0].field).toBe("departmentId");
		});

		itInProcess("an employee transferred to a department being deleted", async () => {
			const departmentId = await department(`Going ${Math.random()}`);
			const employee = await hire(url, acme);
			const res = await racing(
				org().adapter,
				() => del(`/departments/${departmentId}`),
				() => post(`/employees/${employee.id}/transfer`, acme, { departmentId })
			);
			expect(res.status).toBe(422);
			expect(res.body.data?.[0].field).toBe("departmentId");
			expect((await get(`/employees/${employee.id}`, acme)).body.departmentId).toBeNull();
		});

		itInProcess("an employee given a position being deleted", async () => {
			const position = await post("/positions", acme, { title: `Going ${Math.random()}` });
			const employee = await hire(url, acme);
			const res = await racing(
				offers(),
				() => del(`/positions/${position.body.id}`),
				() => patch(`/employees/${employee.id}`, { positionId: position.body.id })
			);
			expect(res.status).toBe(422);
			expect(res.body.data?.[0].field).toBe("positionId");
			expect((await get(`/employees/${employee.id}`, acme)).body.positionId).toBeNull();
		});
	});

	describe("a write elsewhere that names a department, while another holds the tree", () => {
		const asAcme = () => ({ meta: { user: { id: acme.user.id, tenantId: acme.tenant.id, roles: ["admin"], employeeId: null, sessionId: "test" } } });

		itInProcess("a hire goes ahead while another write holds it (they share it), and a delete waits for both", async () => {
			const departmentId = await department(`Shared ${Math.random()}`);
			const empty = await department(`Empty ${Math.random()}`);
			const { holder } = await system.broker.call<{ holder: string }, object>(OrgActions.holdTree, {}, asAcme());
			let released = false;
			try {
				const started = Date.now();
				const hired = await post("/employees", acme, employeeBody({ departmentId }));
				expect({ status: hired.status, answeredAtOnce: Date.now() - started < 2000 }).toEqual({ status: 201, answeredAtOnce: true });
				const deleting = request(url)
					.delete(`/api/v1/departments/${empty}`)
					.set(bearer(acme.accessToken))
					.then(res => ({ status: res.status, released }));
				await new Promise(resolve => setTimeout(resolve, 300));
				released = true;
				await system.broker.call(OrgActions.releaseTree, { holder }, asAcme());
				expect(await deleting).toEqual({ status: 204, released: true });
			} finally {
				if (!released) await system.broker.call(OrgActions.releaseTree, { holder }, asAcme());
			}
		});
	});

	describe("positions and locations", () => {
		it("creates, updates and deletes a position; titles are unique per tenant", async () => {
			const created = await post("/positions", acme, { title: "Backend Engineer" });
			expect(created.status).toBe(201);
			expect(created.headers.location).toBe(`/api/v1/positions/${created.body.id}`);
			expect((await post("/positions", acme, { title: "Backend Engineer" })).status).toBe(409);
			expect((await post("/positions", globex, { title: "Backend Engineer" })).status).toBe(201);
			const renamed = await request(url)
				.patch(`/api/v1/positions/${created.body.id}`)
				.set(bearer(acme.accessToken))
				.send({ title: "Senior Backend Engineer" });
			expect(renamed.body.title).toBe("Senior Backend Engineer");
			expect((await request(url).delete(`/api/v1/positions/${created.body.id}`).set(bearer(acme.accessToken))).status).toBe(204);
		});

		it("keeps a position an employee holds, terminated or not (409), and changes nothing", async () => {
			const position = (await post("/positions", acme, { title: "Tester" })).body.id;
			const holder = await hire(url, acme, { positionId: position });
			const remove = () => request(url).delete(`/api/v1/positions/${position}`).set(bearer(acme.accessToken));
			const refused = await remove();
			expect(refused.status).toBe(409);
			expect(refused.body.data).toEqual({ employees: 1, offers: 0 });
			expect((await get(`/positions/${position}`, acme)).status).toBe(200);
			expect((await post(`/employees/${holder.id}/terminate`, acme, { date: "2025-06-30", reason: "Left" })).status).toBe(200);
			expect((await remove()).status).toBe(409);
		});

		it("validates a location's country and time zone, and keeps a used location", async () => {
			const bad = await post("/locations", acme, { name: "Nowhere", timezone: "Mars/Olympus" });
			expect(bad.status).toBe(422);
			expect(bad.body.data[0].field).toBe("timezone");
			expect((await post("/locations", acme, { name: "Nowhere", country: "Germany" })).body.data[0].field).toBe("country");
			const berlin = await post("/locations", acme, { name: "Berlin", country: "DE", timezone: "Europe/Berlin", address: "Alexanderplatz 1" });
			expect(berlin.status).toBe(201);
			await post("/departments", acme, { name: "Berlin Office", locationId: berlin.body.id });
			expect((await request(url).delete(`/api/v1/locations/${berlin.body.id}`).set(bearer(acme.accessToken))).status).toBe(409);
		});
	});

	describe("roles and tenants", () => {
		it("everyone reads the structure; only staff change it", async () => {
			const employee = await createUser(url, acme, "employee");
			expect((await get("/departments", employee)).status).toBe(200);
			expect((await get("/positions", employee)).status).toBe(200);
			expect((await post("/departments", employee, { name: "Shadow IT" })).status).toBe(403);
			expect((await post("/positions", employee, { title: "CEO" })).status).toBe(403);
			expect((await post("/locations", employee, { name: "Home" })).status).toBe(403);
			const hr = await createUser(url, acme, "hr");
			expect((await post("/departments", hr, { name: "People" })).status).toBe(201);
		});

		it("another tenant's department, position and location are 404 on every route", async () => {
			const dept = await department("Private", null, globex);
			const position = (await post("/positions", globex, { title: "Secret Agent" })).body.id;
			const location = (await post("/locations", globex, { name: "Vault" })).body.id;
			const as = bearer(acme.accessToken);
			const calls = [
				request(url).get(`/api/v1/departments/${dept}`).set(as),
				request(url).patch(`/api/v1/departments/${dept}`).set(as).send({ name: "Mine" }),
				request(url).post(`/api/v1/departments/${dept}/move`).set(as).send({ parentId: null }),
				request(url).delete(`/api/v1/departments/${dept}`).set(as),
				request(url).get(`/api/v1/positions/${position}`).set(as),
				request(url).patch(`/api/v1/positions/${position}`).set(as).send({ title: "Mine" }),
				request(url).delete(`/api/v1/positions/${position}`).set(as),
				request(url).get(`/api/v1/locations/${location}`).set(as),
				request(url).patch(`/api/v1/locations/${location}`).set(as).send({ name: "Mine" }),
				request(url).delete(`/api/v1/locations/${location}`).set(as)
			];
			for (const res of await Promise.all(calls)) expect(res.status).toBe(404);
			expect((await get(`/departments/${dept}`, globex)).body.name).toBe("Private");
			const tree = await get("/departments/tree", acme);
			expect(JSON.stringify(tree.body)).not.toContain(dept);
		});
	});
});
