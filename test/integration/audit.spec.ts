/**
 * The audit trail over HTTP: each audited mutation appears once, with the actor, their role,
 * the request id and the client IP; refused requests record nothing; secrets never appear;
 * owners and admins alone read it, their own tenant's only; filters; a redelivered event.
 */
import { randomUUID } from "node:crypto";
import request from "supertest";
import { AuditEvents, type AuditRecord } from "../../lib/names/audit";
import { Jobs } from "../../lib/names/jobs";
import type { RunJobAnswer } from "../../mixins/scheduled-jobs.mixin";
import { auditTrail, awaitAuditTrail } from "../support/audit";
import { PASSWORD, type Signup, acceptInvitation, bearer, createUser, signup, uniqueEmail } from "../support/http";
import { mailTo, tokenOf } from "../support/mail";
import { entitle, leaveType, person, workWeek } from "../support/leave";
import { applicationAt, candidateBody, createOffer, moveThrough, scheduleInterview, setUpCompany } from "../support/recruitment";
import { itInProcess } from "../support/cluster-topology";
import { type RunningSystem, startRoomySystem } from "../support/local-system";
import { suiteTimeout } from "../support/timeouts";
import type { Store } from "../../lib/store/types";
import { sentDuring } from "../support/races";
import { sentOffer } from "../support/onboarding";

suiteTimeout(60_000);

describe("audit trail", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let globex: Signup;

	const api = (method: "get" | "post" | "patch" | "put" | "delete", path: string, as: { accessToken: string }, requestId = `t-${randomUUID()}`) =>
		request(url)[method](`/api/v1${path}`).set(bearer(as.accessToken)).set("X-Request-Id", requestId);

	const trail = (query: Record<string, string>, as: { accessToken: string } = acme): Promise<AuditRecord[]> => auditTrail(url, as, query);
	const awaitTrail = (query: Record<string, string>, count = 1, as: { accessToken: string } = acme): Promise<AuditRecord[]> =>
		awaitAuditTrail(url, as, query, count);

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
		expect(byOp.created).toMatchObject({
			action: "org.createDepartment",
			requestId: "audit-dept-create",
			changes: { name: { from: null, to: "Audited" } }
		});
		expect(byOp.updated).toMatchObject({
			action: "org.updateDepartment",
			requestId: "audit-dept-update",
			changes: { name: { from: "Audited", to: "Audited 2" } }
		});
		expect(byOp.removed).toMatchObject({
			action: "org.deleteDepartment",
			requestId: "audit-dept-delete",
			changes: { name: { from: "Audited 2", to: null } }
		});
	});

	it("uses the request id the gateway answered with when the client sent none", async () => {
		const res = await request(url)
			.post("/api/v1/locations")
			.set(bearer(acme.accessToken))
			.send({ name: `Loc ${randomUUID()}` });
		expect(res.status).toBe(201);
		const [row] = await awaitTrail({ targetId: res.body.id });
		expect(row.requestId).toBe(res.headers["x-request-id"]);
		expect(row).toMatchObject({ action: "org.createLocation", target: { type: "location" } });
	});

	it("records an employee's hire and changes, with national ids and other secrets never in clear", async () => {
		const hr = await createUser(url, acme, "hr");
		const hired = await api("post", "/employees", hr, "audit-hire").send({
			firstName: "Ada",
			lastName: "Lovelace",
			workEmail: uniqueEmail("ada"),
			hireDate: "2024-01-15",
			nationalId: "SECRET-NID-123456"
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
		expect(byRequest["audit-hire"]).toMatchObject({
			action: "employees.hire",
			operation: "created",
			changes: { firstName: { from: null, to: "Ada" }, nationalId: { from: null, to: "changed" } }
		});
		expect(byRequest["audit-employee-update"].changes).toEqual({
			nationalId: { from: "changed", to: "changed" },
			phone: { from: null, to: "+49 30 1234" }
		});
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
		expect(byRequest["audit-role-change"]).toMatchObject({
			action: "identity.updateUser",
			actor: { userId: admin.id, role: "admin" },
			changes: { role: { from: "employee", to: "manager" } }
		});
		expect(byRequest["audit-disable"]).toMatchObject({ action: "identity.disableUser", changes: { status: { from: "active", to: "disabled" } } });

		// Everything the tenant's trail holds, as stored: no secret in clear anywhere.
		const all = JSON.stringify(await trail({}));
		for (const secret of [
			/passwordHash"\s*:\s*"(?!changed)/,
			/\$argon|\$2[aby]\$|scrypt/,
			/token"\s*:\s*"(?!changed)/i,
			/https?:\/\//,
			/Sturdy-Password/
		]) {
			expect(all).not.toMatch(secret);
		}
	});

	it("records a company's opening and its owner's sign-ins, sign-outs, password change and reset, by the person, with no secret in clear", async () => {
		const email = uniqueEmail("founder");
		expect((await request(url).post("/api/v1/auth/signup").send({ company: "Initech", name: "Ina Founder", email, password: PASSWORD })).status).toBe(202);
		const signupToken = tokenOf(await mailTo(email, "signup"));
		const opened = await request(url).post("/api/v1/auth/activate").set("X-Request-Id", "audit-open").send({ token: signupToken, password: PASSWORD });
		expect(opened.status).toBe(201);
		const owner: Signup = { ...opened.body, email };
		const ownerId = owner.user.id;

		// The opening: the company, its owner and the first session, each by the owner, in the request that confirmed it.
		const openedRows = await awaitTrail({ actorId: ownerId }, 3, owner);
		const byTarget = Object.fromEntries(openedRows.filter(r => r.requestId === "audit-open").map(r => [r.target.type, r]));
		expect(byTarget.tenant).toMatchObject({
			action: "identity.activate",
			operation: "created",
			target: { id: owner.tenant.id },
			changes: { name: { from: null, to: "Initech" } }
		});
		expect(byTarget.user).toMatchObject({
			operation: "created",
			target: { id: ownerId },
			changes: { role: { from: null, to: "owner" }, status: { from: null, to: "active" } }
		});
		expect(byTarget.session).toMatchObject({
			operation: "created",
			changes: { status: { from: null, to: "active" }, tokenHash: { from: null, to: "changed" } }
		});
		for (const row of Object.values(byTarget)) expect(row.actor).toMatchObject({ userId: ownerId, role: "owner" });

		// A sign-in elsewhere; a refused sign-in records nothing.
		expect(
			(await request(url).post("/api/v1/auth/login").set("X-Request-Id", "audit-login-refused").send({ email, password: "Not-The-Password-1" })).status
		).toBe(401);
		const other = await request(url).post("/api/v1/auth/login").set("X-Request-Id", "audit-login").send({ email, password: PASSWORD });
		expect(other.status).toBe(200);
		const [login] = await awaitTrail({ targetType: "session", action: "identity.login" }, 1, owner);
		expect(login).toMatchObject({
			operation: "created",
			requestId: "audit-login",
			actor: { userId: ownerId, role: "owner" },
			clientIp: expect.stringMatching(/127\.0\.0\.1|::1/)
		});

		// The password changed with the first session: the other one ends, by the owner; a wrong current password records nothing.
		const change = (currentPassword: string, requestId: string) =>
			api("post", "/auth/password", owner, requestId).send({ currentPassword, newPassword: "Changed-Password-2031" });
		expect((await change("Wrong-Password-2030", "audit-password-refused")).status).toBe(422);
		expect((await change(PASSWORD, "audit-password")).status).toBe(204);
		const changed = await awaitTrail({ action: "identity.changePassword" }, 2, owner);
		const password = changed.find(r => r.target.type === "user")!;
		expect(password).toMatchObject({
			requestId: "audit-password",
			target: { id: ownerId },
			actor: { userId: ownerId },
			changes: { password: { from: "changed", to: "changed" } }
		});
		expect(changed.find(r => r.target.type === "session")).toMatchObject({
			target: { id: login.target.id },
			changes: { status: { from: "active", to: "revoked" }, revokedReason: { from: null, to: "password changed" } }
		});

		// Signed out, then reset by a mailed link: the reset and every session it ends are the person's.
		expect((await api("post", "/auth/logout", owner, "audit-logout").send({ refreshToken: owner.refreshToken })).status).toBe(204);
		const fresh = await request(url).post("/api/v1/auth/login").send({ email, password: "Changed-Password-2031" });
		expect(fresh.status).toBe(200);
		const [logout] = await awaitTrail({ action: "identity.logout" }, 1, fresh.body);
		expect(logout).toMatchObject({
			requestId: "audit-logout",
			target: { type: "session", id: byTarget.session.target.id },
			changes: { status: { from: "active", to: "revoked" } }
		});
		expect((await request(url).post("/api/v1/auth/password/forgot").send({ email })).status).toBe(202);
		const resetToken = tokenOf(await mailTo(email, "passwordReset"));
		expect(
			(
				await request(url)
					.post("/api/v1/auth/password/reset")
					.set("X-Request-Id", "audit-reset")
					.send({ token: resetToken, password: "Reset-Password-2032" })
			).status
		).toBe(204);
		const signedIn = await request(url).post("/api/v1/auth/login").send({ email, password: "Reset-Password-2032" });
		expect(signedIn.body).toMatchObject({ accessToken: expect.any(String) });
		const reset = await awaitTrail({ action: "identity.resetPassword" }, 2, signedIn.body);
		expect(reset.map(r => r.target.type).sort()).toEqual(["session", "user"]);
		for (const row of reset) expect(row).toMatchObject({ requestId: "audit-reset", actor: { userId: ownerId, role: "owner" } });

		const requestIds = (await trail({}, signedIn.body)).map(r => r.requestId);
		expect(requestIds).not.toContain("audit-login-refused");
		expect(requestIds).not.toContain("audit-password-refused");
		const all = JSON.stringify(await trail({}, signedIn.body));
		expect(all).not.toMatch(/\$argon|\$2[aby]\$|scrypt/);
		for (const secret of [PASSWORD, "Changed-Password-2031", "Reset-Password-2032", signupToken, resetToken, owner.refreshToken, other.body.refreshToken]) {
			expect(all).not.toContain(secret);
		}
	});

	it("records a leaked session's revocation (a refresh token used twice) as the system's, in the request that showed it", async () => {
		const user = await createUser(url, acme, "employee");
		const signedIn = await request(url).post("/api/v1/auth/login").send({ email: user.email, password: PASSWORD });
		expect(signedIn.status).toBe(200);
		const refresh = (refreshToken: string, requestId: string) =>
			request(url).post("/api/v1/auth/refresh").set("X-Request-Id", requestId).send({ refreshToken });
		expect((await refresh(signedIn.body.refreshToken, "audit-refresh")).status).toBe(200);
		const reused = await refresh(signedIn.body.refreshToken, "audit-refresh-reused");
		expect(reused.body).toMatchObject({ type: "REFRESH_TOKEN_REUSED" });
		const [revoked] = await awaitTrail({ action: "identity.refresh", targetType: "session" });
		expect(revoked).toMatchObject({
			requestId: "audit-refresh-reused",
			actor: { userId: "system", job: "identity.refreshTokenReuse" },
			changes: { status: { from: "active", to: "revoked" }, revokedReason: { from: null, to: "refresh token reused" } }
		});
		// A rotation is no record: the session goes on.
		expect((await trail({})).map(r => r.requestId)).not.toContain("audit-refresh");
	});

	it("records the identity side of an employee link and an invitation's acceptance, by the person who accepted", async () => {
		const employee = await api("post", "/employees", acme).send({
			firstName: "Lin",
			lastName: "Linked",
			workEmail: uniqueEmail("lin"),
			hireDate: "2024-02-01"
		});
		expect(employee.status).toBe(201);
		const email = uniqueEmail("joiner");
		const invited = await api("post", "/users", acme).send({ email, name: "Jo Joiner", role: "employee" });
		expect(invited.status).toBe(201);
		const userId = invited.body.id;
		expect((await api("put", `/users/${userId}/employee`, acme, "audit-link").send({ employeeId: employee.body.id })).status).toBe(200);
		const joined = await acceptInvitation(url, email);

		const rows = await awaitTrail({ targetType: "user", targetId: userId }, 3);
		const link = rows.find(r => r.requestId === "audit-link");
		expect(link).toMatchObject({
			action: "identity.linkEmployee",
			actor: { userId: acme.user.id },
			changes: { employeeId: { from: null, to: employee.body.id } }
		});
		const accepted = rows.find(r => r.action === "identity.activate");
		expect(accepted).toMatchObject({
			actor: { userId, role: "employee" },
			changes: { status: { from: "invited", to: "active" }, password: { from: null, to: "changed" } }
		});
		// The employee's side is the employees context's record, in the same request.
		const [employeeSide] = await awaitTrail({ targetType: "employee", targetId: employee.body.id, action: "employees.setUser" });
		expect(employeeSide).toMatchObject({ requestId: "audit-link", changes: { userId: { from: null, to: userId } } });
		expect(joined.user.id).toBe(userId);
	});

	itInProcess("records onboarding's undo steps as the system's, on behalf of the staff member, under their request id", async () => {
		const hired = await api("post", "/employees", acme).send({
			firstName: "Una",
			lastName: "Undone",
			workEmail: uniqueEmail("una"),
			hireDate: "2024-03-01"
		});
		expect(hired.status).toBe(201);
		const invited = await api("post", "/users", acme).send({ email: uniqueEmail("undone"), name: "Una Undone", role: "employee" });
		expect(invited.status).toBe(201);
		const meta = { user: { id: acme.user.id, tenantId: acme.tenant.id, roles: ["owner"], employeeId: null, sessionId: "audit-saga" } };
		expect(await system.broker.call("identity.undoCreateUser", { id: invited.body.id }, { meta, requestID: "audit-undo" })).toEqual({ removed: true });
		expect(await system.broker.call("employees.undoHire", { id: hired.body.id }, { meta, requestID: "audit-undo" })).toEqual({ removed: true });

		const rows = await awaitTrail({ operation: "removed", action: "employees.undoHire" });
		const undone = [...rows, ...(await awaitTrail({ operation: "removed", action: "identity.undoCreateUser" }))];
		expect(undone.map(r => [r.target.type, r.target.id]).sort()).toEqual(
			[
				["employee", hired.body.id],
				["user", invited.body.id]
			].sort()
		);
		for (const row of undone) {
			expect(row).toMatchObject({ requestId: "audit-undo", actor: { userId: "system", role: "system", onBehalfOf: acme.user.id } });
		}
		expect(undone.find(r => r.target.type === "employee")!.actor.job).toBe("onboarding.undoHire");
		expect(undone.find(r => r.target.type === "user")!.actor.job).toBe("onboarding.undoInvite");
	});

	it("records leave types, entitlements and a request's life, by whoever acted", async () => {
		const type = await leaveType(url, acme, { name: `Audit leave ${randomUUID().slice(0, 6)}`, yearlyAllowance: 10 });
		expect((await api("patch", `/leave-types/${type.id}`, acme, "audit-leave-type").send({ yearlyAllowance: 12 })).status).toBe(200);
		const [typeUpdate] = await awaitTrail({ targetId: type.id, operation: "updated" });
		expect(typeUpdate).toMatchObject({
			action: "leave.updateLeaveType",
			requestId: "audit-leave-type",
			changes: { yearlyAllowance: { from: 10, to: 12 } }
		});

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
		const made = await api("post", "/candidates", acme, "audit-candidate").send(
			candidateBody({ firstName: "Cara", resumeUrl: "https://cv.example.test/cara.pdf" })
		);
		expect(made.status).toBe(201);
		const id = made.body.id;
		expect((await api("patch", `/candidates/${id}`, acme, "audit-candidate-update").send({ firstName: "Carla" })).status).toBe(200);
		expect((await api("delete", `/candidates/${id}`, acme, "audit-candidate-erase")).status).toBe(204);
		const rows = await awaitTrail({ targetType: "candidate", targetId: id }, 3);
		const byRequest = Object.fromEntries(rows.map(r => [r.requestId, r]));
		expect(byRequest["audit-candidate"]).toMatchObject({
			action: "recruitment.createCandidate",
			changes: { firstName: { from: null, to: "Cara" }, resumeUrl: { from: null, to: "changed" } }
		});
		expect(byRequest["audit-candidate-update"].changes).toEqual({ firstName: { from: "Cara", to: "Carla" } });
		expect(byRequest["audit-candidate-erase"]).toMatchObject({ operation: "removed", changes: { firstName: { from: "Carla", to: null } } });
	});

	it("records an erasure's cascade (interviews, offers, applications) and offers withdrawn with their application", async () => {
		const company = await setUpCompany(url, "Audit Hiring");
		const { candidate, application } = await applicationAt(url, company, "interview");
		const interview = await scheduleInterview(url, company, application.id);
		await moveThrough(url, company.hr, application.id, ["offer"]);
		const offer = await createOffer(url, company, application.id);
		await moveThrough(url, company.hr, application.id, ["rejected"]);
		const [withdrawn] = await awaitTrail({ targetType: "offer", targetId: offer.id, action: "recruitment.withdrawOffers" }, 1, company.owner);
		expect(withdrawn).toMatchObject({
			operation: "updated",
			actor: { userId: company.hr.id, role: "hr" },
			changes: { status: { from: "draft", to: "withdrawn" } }
		});

		const erased = await request(url)
			.delete(`/api/v1/candidates/${candidate.id}`)
			.set(bearer(company.owner.accessToken))
			.set("X-Request-Id", "audit-erase");
		expect(erased.status).toBe(204);
		const rows = await awaitTrail({ operation: "removed", action: "recruitment.deleteCandidate" }, 4, company.owner);
		expect(rows.map(r => `${r.target.type}:${r.target.id}`).sort()).toEqual(
			[`application:${application.id}`, `candidate:${candidate.id}`, `interview:${interview.id}`, `offer:${offer.id}`].sort()
		);
		for (const row of rows) expect(row).toMatchObject({ requestId: "audit-erase", actor: { userId: company.owner.user.id, role: "owner" } });
	});

	it("records an offer's acceptance: sent to accepted, then the hire's ids, by whoever accepted it", async () => {
		const company = await setUpCompany(url, "Audit Acceptance");
		const { offer } = await sentOffer(url, company);
		const accepted = await request(url)
			.post(`/api/v1/offers/${offer.id}/accept`)
			.set(bearer(company.hr.accessToken))
			.set("X-Request-Id", "audit-offer-accept")
			.send({});
		expect(accepted.status).toBe(201);
		const rows = await awaitTrail({ targetType: "offer", targetId: offer.id, action: "recruitment.startOnboarding" }, 1, company.owner);
		expect(rows[0]).toMatchObject({
			operation: "updated",
			requestId: "audit-offer-accept",
			actor: { userId: company.hr.id, role: "hr" },
			changes: { status: { from: "sent", to: "accepted" } }
		});
		const [committed] = await awaitTrail({ targetType: "offer", targetId: offer.id, action: "recruitment.commitOnboarding" }, 1, company.owner);
		expect(committed.changes).toMatchObject({
			employeeId: { from: null, to: accepted.body.offer.employeeId },
			userId: { from: null, to: accepted.body.offer.userId }
		});
	});

	it("records a user's notification preferences and read marks (one record for a mark-all-read call)", async () => {
		const worker = await createUser(url, acme, "employee");
		const put = (email: boolean, requestId: string) => api("put", "/notifications/preferences", worker, requestId).send({ email, sms: false });
		expect((await put(false, "audit-prefs-first")).status).toBe(200);
		expect((await put(true, "audit-prefs-second")).status).toBe(200);
		const prefs = await awaitTrail({ targetType: "notificationPreferences", targetId: worker.id }, 2);
		const byRequest = Object.fromEntries(prefs.map(r => [r.requestId, r]));
		expect(byRequest["audit-prefs-first"]).toMatchObject({
			operation: "created",
			actor: { userId: worker.id, role: "employee" },
			changes: { email: { from: null, to: false } }
		});
		expect(byRequest["audit-prefs-second"]).toMatchObject({ operation: "updated", changes: { email: { from: false, to: true } } });
		expect(byRequest["audit-prefs-second"].changes).not.toHaveProperty("sms");

		// The owner is told of each invitation sent: three entries to mark.
		const admin = await createUser(url, acme, "admin");
		await Promise.all([createUser(url, admin, "employee"), createUser(url, admin, "employee"), createUser(url, admin, "employee")]);
		let entries: Array<{ id: string }> = [];
		for (const until = Date.now() + 20_000; entries.length < 3 && Date.now() < until; await new Promise(r => setTimeout(r, 100))) {
			entries = (await api("get", "/notifications?unread=true", admin).send()).body.rows;
		}
		expect(entries.length).toBe(3);
		expect((await api("post", `/notifications/${entries[0].id}/read`, admin, "audit-read-one")).status).toBe(200);
		expect((await api("post", `/notifications/${entries[0].id}/read`, admin, "audit-read-again")).status).toBe(200);
		const all = await api("post", "/notifications/read-all", admin, "audit-read-all");
		expect(all.body).toEqual({ marked: 2 });
		expect((await api("post", "/notifications/read-all", admin, "audit-read-none")).body).toEqual({ marked: 0 });

		const [one] = await awaitTrail({ targetType: "notification", targetId: entries[0].id });
		expect(one).toMatchObject({ requestId: "audit-read-one", actor: { userId: admin.id }, changes: { read: { from: false, to: true } } });
		const [summary] = await awaitTrail({ targetType: "notificationInbox", targetId: admin.id });
		expect(summary).toMatchObject({ requestId: "audit-read-all", action: "notifications.markAllRead", changes: { unread: { from: 2, to: 0 } } });
		// Marking what is read already changes nothing, so records nothing.
		const ids = (await trail({ actorId: admin.id })).map(r => r.requestId);
		expect(ids).not.toContain("audit-read-again");
		expect(ids).not.toContain("audit-read-none");
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

	itInProcess("records one removal of a short link deleted three times at once: one 204, the others 404", async () => {
		const made = await api("post", "/short-links", acme).send({ url: "https://example.test/thrice" });
		const remove = (i: number) => api("delete", `/short-links/${made.body.id}`, acme, `audit-thrice-${i}`).then(r => r);
		// The first delete is held after its read, at its record's write, while the other two arrive.
		const notes = (system.broker.getLocalService("shorturl") as unknown as { store(name: string): Store }).store("shorturl_audit_outbox");
		const [one, others] = await sentDuring(
			notes,
			"insert",
			() => remove(1),
			() => Promise.all([remove(2), remove(3)])
		);
		const answers = [one, ...others];
		expect(answers.map(r => r.status).sort()).toEqual([204, 404, 404]);
		expect(answers.find(r => r.status === 404)!.body.message).toBe("Short link not found");
		await awaitTrail({ targetId: made.body.id, operation: "removed" });
		// The refused deletes' records were taken back before they went out: none arrives later either.
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(await trail({ targetId: made.body.id, operation: "removed" })).toHaveLength(1);
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
			[{ from: "2026-02-30T00:00:00Z" }, "from"],
			[{ to: "2026-11-31T10:00:00Z" }, "to"],
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
			eventId,
			tenantId: acme.tenant.id,
			at: new Date().toISOString(),
			actor: { userId: acme.user.id, role: "owner", roles: ["owner"] },
			action: "org.updateDepartment",
			operation: "updated",
			target: { type: "department", id: randomUUID() },
			changes: {},
			requestId: "audit-redelivered",
			clientIp: "127.0.0.1"
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

	it("keeps records for AUDIT_RETENTION_DAYS (seven years by default): the daily auditPrune removes older ones only", async () => {
		const record = (at: string) => ({
			eventId: randomUUID(),
			tenantId: acme.tenant.id,
			at,
			actor: { userId: acme.user.id, role: "owner", roles: ["owner"] },
			action: "org.updateDepartment",
			operation: "updated",
			target: { type: "department", id: randomUUID() },
			changes: {},
			requestId: "audit-retention",
			clientIp: "127.0.0.1"
		});
		const old = record("2018-06-30T12:00:00.000Z");
		const kept = record("2018-07-02T12:00:00.000Z");
		for (const event of [old, kept]) await system.broker.sendToChannel!(AuditEvents.recorded, event);
		await awaitTrail({ targetId: old.target.id });
		await awaitTrail({ targetId: kept.target.id });

		// Run for 1 July 2025: seven years (2557 days) back is 1 July 2018.
		const run: RunJobAnswer = await system.broker.call("audit.runJob", { job: Jobs.auditPrune, at: "2025-07-01T03:35:00Z" });
		expect(run.run?.result).toMatchObject({ before: "2018-07-01T03:35:00.000Z" });
		expect(await trail({ targetId: old.target.id })).toEqual([]);
		expect((await trail({ targetId: kept.target.id })).map(r => r.id)).toEqual([kept.eventId]);
	});
});
