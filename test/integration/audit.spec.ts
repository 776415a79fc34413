/**
 * The audit trail over HTTP: each audited mutation appears once, with the actor, their role,
 * the request id and the client IP; refused requests record nothing; secrets never appear;
 * owners and admins alone read it, their own tenant's only; filters; a redelivered event.
 */
import { randomUUID } from "node:crypto";
import request from "supertest";
import { AuditEvents, type AuditRecord } from "../../lib/names/audit";
import { type Signup, bearer, createUser, signup, uniqueEmail } from "../support/http";
import { entitle, leaveType, person, workWeek } from "../support/leave";
import { candidateBody } from "../support/recruitment";
import { itInProcess } from "../support/cluster-topology";
import { type RunningSystem, startRoomySystem } from "../support/local-system";

/** Long enough for a busy machine; the records usually land within milliseconds. */
const WAIT_MS = 20_000;

jest.setTimeout(60_000);

describe("audit trail", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let globex: Signup;

	const api = (method: "get" | "post" | "patch" | "put" | "delete", path: string, as: { accessToken: string }, requestId = `t-${randomUUID()}`) =>
		request(url)[method](`/api/v1${path}`).set(bearer(as.accessToken)).set("X-Request-Id", requestId);

	async function trail(query: Record<string, string>, as: { accessToken: string } = acme): Promise<AuditRecord[]> {
		const res = await request(url).get("/api/v1/audit").query({ pageSize: "100", ...query }).set(bearer(as.accessToken));
		expect(res.status).toBe(200);
		return res.body.rows;
	}

	/** Waits until the records `query` selects number at least `count`; answers them. */
	async function awaitTrail(query: Record<string, string>, count = 1, as: { accessToken: string } = acme): Promise<AuditRecord[]> {
		const until = Date.now() + WAIT_MS;
		for (;;) {
			const rows = await trail(query, as);
			if (rows.length >= count || Date.now() > until) return rows;
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
	});
	afterAll(() => system?.stop());

	it("records an org department's creation, update and removal with actor, role, request id and client IP", async () => {
		const created = await api("post", "/departments", acme, "audit-dept-create").send({ name: "Audited" });
		expect(created.status).toBe(201);
		const id = created.body.id;
		expect(created.body).not.toHaveProperty("_outbox");
		expect((await api("patch", `/departments/${id}`, acme, "audit-dept-update").send({ name: "Audited 2" })).status).toBe(200);
		expect((await api("delete", `/departments/${id}`, acme, "audit-dept-delete")).status).toBe(204);

		const rows = await awaitTrail({ targetId: id }, 3);
		expect(rows.map(r => r.operation).sort()).toEqual(["created", "removed", "updated"]);
		const byOp = Object.fromEntries(rows.map(r => [r.operation, r]));
		for (const row of rows) {
			expect(row.actor).toMatchObject({ userId: acme.user.id, role: "owner" });
			expect(row.target).toEqual({ type: "department", id });
			expect(row.clientIp).toMatch(/127\.0\.0\.1|::1/);
		}
		expect(byOp.created).toMatchObject({ action: "org.createDepartment", requestId: "audit-dept-create", changes: { name: { from: null, to: "Audited" } } });
		expect(byOp.updated).toMatchObject({ action: "org.updateDepartment", requestId: "audit-dept-update", changes: { name: { from: "Audited", to: "Audited 2" } } });
		expect(byOp.removed).toMatchObject({ action: "org.deleteDepartment", requestId: "audit-dept-delete", changes: { name: { from: "Audited 2", to: null } } });
	});

	it("uses the request id the gateway answered with when the client sent none", async () => {
		const res = await request(url).post("/api/v1/locations").set(bearer(acme.accessToken)).send({ name: `Loc ${randomUUID()}` });
		expect(res.status).toBe(201);
		const [row] = await awaitTrail({ targetId: res.body.id });
		expect(row.requestId).toBe(res.headers["x-request-id"]);
		expect(row).toMatchObject({ action: "org.createLocation", target: { type: "location" } });
	});

	it("records an employee's hire and changes, with national ids and other secrets never in clear", async () => {
		const hr = await createUser(url, acme, "hr");
		const hired = await api("post", "/employees", hr, "audit-hire").send({
			firstName: "Ada", lastName: "Lovelace", workEmail: uniqueEmail("ada"), hireDate: "2024-01-15", nationalId: "SECRET-NID-123456"
		});
		expect(hired.status).toBe(201);
		const id = hired.body.id;
		const patched = await api("patch", `/employees/${id}`, hr, "audit-employee-update").send({ nationalId: "SECRET-NID-999999", phone: "+49 30 1234" });
		expect(patched.status).toBe(200);
		const terminated = await api("post", `/employees/${id}/terminate`, hr, "audit-terminate").send({ date: "2024-06-30", reason: "Moved away" });
		expect(terminated.status).toBe(200);

		const rows = await awaitTrail({ targetType: "employee", targetId: id }, 3);
		expect(rows).toHaveLength(3);
		for (const row of rows) expect(row.actor).toMatchObject({ userId: hr.id, role: "hr" });
		const byRequest = Object.fromEntries(rows.map(r => [r.requestId, r]));
		expect(byRequest["audit-hire"]).toMatchObject({ action: "employees.hire", operation: "created", changes: { firstName: { from: null, to: "Ada" }, nationalId: { from: null, to: "changed" } } });
		expect(byRequest["audit-employee-update"].changes).toEqual({ nationalId: { from: "changed", to: "changed" }, phone: { from: null, to: "+49 30 1234" } });
		expect(byRequest["audit-terminate"]).toMatchObject({ action: "employees.terminate", changes: { status: { from: "active", to: "terminated" } } });
		expect(JSON.stringify(rows)).not.toContain("SECRET-NID");
	});

	it("records a user's invitation, role change and disabling; no password, token or link appears anywhere", async () => {
		const admin = await createUser(url, acme, "admin");
		const [invited] = await awaitTrail({ targetType: "user", targetId: admin.id, operation: "created" });
		expect(invited).toMatchObject({ action: "identity.createUser", operation: "created", actor: { userId: acme.user.id, role: "owner" } });
		expect(invited.changes.role).toEqual({ from: null, to: "admin" });

		const user = await createUser(url, acme, "employee");
		expect((await api("patch", `/users/${user.id}`, admin, "audit-role-change").send({ role: "manager" })).status).toBe(200);
		expect((await api("delete", `/users/${user.id}`, admin, "audit-disable")).status).toBe(204);
		const rows = await awaitTrail({ targetId: user.id }, 3);
		const byRequest = Object.fromEntries(rows.map(r => [r.requestId, r]));
		expect(byRequest["audit-role-change"]).toMatchObject({ action: "identity.updateUser", actor: { userId: admin.id, role: "admin" }, changes: { role: { from: "employee", to: "manager" } } });
		expect(byRequest["audit-disable"]).toMatchObject({ action: "identity.disableUser", changes: { status: { from: "active", to: "disabled" } } });

		// Everything the tenant's trail holds, as stored: no secret in clear anywhere.
		const all = JSON.stringify(await trail({}));
		for (const secret of [/passwordHash"\s*:\s*"(?!changed)/, /\$argon|\$2[aby]\$|scrypt/, /token"\s*:\s*"(?!changed)/i, /https?:\/\//, /Sturdy-Password/]) {
			expect(all).not.toMatch(secret);
		}
	});

	it("records leave types, entitlements and a request's life, by whoever acted", async () => {
		const type = await leaveType(url, acme, { name: `Audit leave ${randomUUID().slice(0, 6)}`, yearlyAllowance: 10 });
		expect((await api("patch", `/leave-types/${type.id}`, acme, "audit-leave-type").send({ yearlyAllowance: 12 })).status).toBe(200);
		const [typeUpdate] = await awaitTrail({ targetId: type.id, operation: "updated" });
		expect(typeUpdate).toMatchObject({ action: "leave.updateLeaveType", requestId: "audit-leave-type", changes: { yearlyAllowance: { from: 10, to: 12 } } });

		const worker = await person(url, acme, "employee");
		const entitlement = await entitle(url, acme, worker.employeeId, type.id, 2030, 12);
		const [granted] = await awaitTrail({ targetType: "leaveEntitlement", targetId: entitlement });
		expect(granted.changes.days).toEqual({ from: null, to: 12 });

		const asked = await api("post", "/leave-requests", worker, "audit-leave-request").send({ leaveTypeId: type.id, ...workWeek(3) });
		expect(asked.status).toBe(201);
		expect((await api("post", `/leave-requests/${asked.body.id}/cancel`, worker, "audit-leave-cancel")).status).toBe(200);
		const rows = await awaitTrail({ targetType: "leaveRequest", targetId: asked.body.id }, 2);
		const byRequest = Object.fromEntries(rows.map(r => [r.requestId, r]));
		expect(byRequest["audit-leave-request"]).toMatchObject({ operation: "created", actor: { userId: worker.userId, role: "employee" } });
		expect(byRequest["audit-leave-cancel"]).toMatchObject({ action: "leave.cancelRequest", changes: { status: { from: "requested", to: "cancelled" } } });
	});

	it("records recruitment: a candidate's creation, change and erasure", async () => {
		const made = await api("post", "/candidates", acme, "audit-candidate").send(candidateBody({ firstName: "Cara", resumeUrl: "https://cv.example.test/cara.pdf" }));
		expect(made.status).toBe(201);
		const id = made.body.id;
		expect((await api("patch", `/candidates/${id}`, acme, "audit-candidate-update").send({ firstName: "Carla" })).status).toBe(200);
		expect((await api("delete", `/candidates/${id}`, acme, "audit-candidate-erase")).status).toBe(204);
		const rows = await awaitTrail({ targetType: "candidate", targetId: id }, 3);
		const byRequest = Object.fromEntries(rows.map(r => [r.requestId, r]));
		expect(byRequest["audit-candidate"]).toMatchObject({ action: "recruitment.createCandidate", changes: { firstName: { from: null, to: "Cara" }, resumeUrl: { from: null, to: "changed" } } });
		expect(byRequest["audit-candidate-update"].changes).toEqual({ firstName: { from: "Cara", to: "Carla" } });
		expect(byRequest["audit-candidate-erase"]).toMatchObject({ operation: "removed", changes: { firstName: { from: "Carla", to: null } } });
	});

	it("records a staff member's short link and its removal, its URL and code never in clear; mailed links stay off the trail", async () => {
		const made = await api("post", "/short-links", acme, "audit-short-link").send({ url: "https://example.test/private?token=SECRET-LINK-TOKEN" });
		expect(made.status).toBe(201);
		expect((await api("delete", `/short-links/${made.body.id}`, acme, "audit-short-link-remove")).status).toBe(204);
		const rows = await awaitTrail({ targetType: "shortLink", targetId: made.body.id }, 2);
		expect(rows.map(r => r.requestId).sort()).toEqual(["audit-short-link", "audit-short-link-remove"]);
		expect(rows.find(r => r.operation === "created")!.changes).toMatchObject({ url: { from: null, to: "changed" }, code: { from: null, to: "changed" } });
		const all = JSON.stringify(await trail({}));
		expect(all).not.toContain("SECRET-LINK-TOKEN");
		expect(all).not.toContain(made.body.code);
	});

	it("records nothing for a refused request (422, 403, 409)", async () => {
		const employee = await createUser(url, acme, "employee");
		const taken = `Taken ${randomUUID()}`;
		expect((await api("post", "/departments", acme).send({ name: taken })).status).toBe(201);
		const refused = [
			[await api("post", "/departments", acme, "audit-refused-422").send({ name: "" }), 422],
			[await api("post", "/departments", employee, "audit-refused-403").send({ name: "Nope" }), 403],
			[await api("post", "/departments", acme, "audit-refused-409").send({ name: taken }), 409],
			[await api("patch", `/departments/${randomUUID()}`, acme, "audit-refused-404").send({ name: "Ghost" }), 404]
		] as const;
		for (const [res, status] of refused) expect(res.status).toBe(status);
		// A write after them: once its record is in, theirs would have been too.
		const after = await api("post", "/positions", acme, "audit-after-refused").send({ title: `After ${randomUUID()}` });
		expect(after.status).toBe(201);
		await awaitTrail({ targetId: after.body.id });
		const requestIds = (await trail({})).map(r => r.requestId);
		for (const id of ["audit-refused-422", "audit-refused-403", "audit-refused-409", "audit-refused-404"]) expect(requestIds).not.toContain(id);
	});

	it("shows a tenant its own records only, and only to owners and admins (403 for hr, manager, employee)", async () => {
		const dept = await api("post", "/departments", globex).send({ name: "Globex only" });
		expect(dept.status).toBe(201);
		const [own] = await awaitTrail({ targetId: dept.body.id }, 1, globex);
		expect(own.target.id).toBe(dept.body.id);
		expect(await trail({ targetId: dept.body.id }, acme)).toEqual([]);
		expect((await trail({}, globex)).every(r => r.actor.userId !== acme.user.id)).toBe(true);

		const admin = await createUser(url, acme, "admin");
		expect((await request(url).get("/api/v1/audit").set(bearer(admin.accessToken))).status).toBe(200);
		for (const role of ["hr", "manager", "employee"]) {
			const user = await createUser(url, acme, role);
			const res = await request(url).get("/api/v1/audit").set(bearer(user.accessToken));
			expect(res.status).toBe(403);
		}
		expect((await request(url).get("/api/v1/audit")).status).toBe(401);
	});

	it("filters by actor, target type, action and time range, and names a bad filter (422)", async () => {
		const admin = await createUser(url, acme, "admin");
		const start = new Date().toISOString();
		const pos = await api("post", "/positions", admin).send({ title: `Filtered ${randomUUID()}` });
		expect(pos.status).toBe(201);
		await awaitTrail({ targetId: pos.body.id });
		const byActor = await trail({ actorId: admin.id });
		expect(byActor.map(r => r.target.id)).toContain(pos.body.id);
		expect(byActor.every(r => r.actor.userId === admin.id)).toBe(true);
		const byType = await trail({ targetType: "position", action: "org.createPosition", from: start });
		expect(byType.map(r => r.target.id)).toEqual([pos.body.id]);
		expect(await trail({ targetId: pos.body.id, to: start })).toEqual([]);
		expect(await trail({ targetId: pos.body.id, action: "org.updatePosition" })).toEqual([]);

		for (const [query, field] of [
			[{ from: "yesterday" }, "from"],
			[{ from: "2026-03-01T10:00:00Z", to: "2026-02-01T10:00:00Z" }, "to"],
			[{ targetType: "no such type!" }, "targetType"],
			[{ operation: "edited" }, "operation"],
			[{ sort: "changes" }, "sort"]
		] as const) {
			const res = await request(url).get("/api/v1/audit").query(query).set(bearer(acme.accessToken));
			expect(res.status).toBe(422);
			expect(res.body.data.map((d: { field: string }) => d.field)).toContain(field);
		}
	});

	itInProcess("keeps a record whose publish failed with its write, and the relay delivers it later", async () => {
		const broker = system.broker as typeof system.broker & { sendToChannel: (channel: string, ...rest: unknown[]) => Promise<void> };
		const original = broker.sendToChannel.bind(broker);
		let refused = 0;
		const publish = jest.spyOn(broker, "sendToChannel").mockImplementation(async (channel, ...rest) => {
			if (channel === AuditEvents.recorded && refused === 0) {
				refused++;
				throw new Error("NATS is away");
			}
			return original(channel, ...rest);
		});
		try {
			const res = await api("post", "/departments", acme, "audit-relayed").send({ name: `Relayed ${randomUUID()}` });
			expect(res.status).toBe(201);
			// The relay's sweep publishes it after its grace period (2 s).
			const rows = await awaitTrail({ targetId: res.body.id });
			expect(refused).toBe(1);
			expect(rows.map(r => r.requestId)).toEqual(["audit-relayed"]);
		} finally {
			publish.mockRestore();
		}
	});

	it("stores a redelivered event once", async () => {
		const eventId = randomUUID();
		const event = {
			eventId, tenantId: acme.tenant.id, at: new Date().toISOString(),
			actor: { userId: acme.user.id, role: "owner", roles: ["owner"] }, action: "org.updateDepartment", operation: "updated",
			target: { type: "department", id: randomUUID() }, changes: {}, requestId: "audit-redelivered", clientIp: "127.0.0.1"
		};
		await system.broker.sendToChannel!(AuditEvents.recorded, event);
		await system.broker.sendToChannel!(AuditEvents.recorded, event);
		await awaitTrail({ targetId: event.target.id });
		// A third delivery, after the first two landed: had any duplicated, it would be in by now.
		await system.broker.sendToChannel!(AuditEvents.recorded, { ...event });
		const marker = await api("post", "/positions", acme).send({ title: `Marker ${randomUUID()}` });
		await awaitTrail({ targetId: marker.body.id });
		const rows = await trail({ targetId: event.target.id });
		expect(rows.map(r => r.id)).toEqual([eventId]);
	});
});
