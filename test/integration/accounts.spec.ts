/**
 * People and their accounts over HTTP: one-time links (signup, invitation, reset), passwords,
 * one person in several companies, the user-employee link, and an account that follows the
 * employment. Runs in one process and again on a cluster.
 */
import { performance } from "node:perf_hooks";
import type { Service } from "moleculer";
import request from "supertest";
import { hire, startRoomySystem } from "../support/employees";
import { PASSWORD, type Session, type Signup, acceptInvitation, bearer, createUser, login, signup, uniqueEmail } from "../support/http";
import { client, entitle, leaveType, requestLeave, workWeek } from "../support/leave";
import type { RunningSystem } from "../support/local-system";
import { mailTo, mailbox, tokenOf } from "../support/mail";
import { IdentityEvents } from "../../lib/names/identity";
import { channelProbe } from "../support/channels";
import { eventually, itInProcess } from "../support/cluster-topology";
import { suiteTimeout } from "../support/timeouts";

suiteTimeout(60_000);

describe("accounts", () => {
	let system: RunningSystem;
	let url: string;
	let api: ReturnType<typeof client>;
	let acme: Signup;
	let globex: Signup;

	const post = (path: string, body: object, as?: Session) => {
		const req = request(url).post(`/api/v1${path}`);
		return (as ? req.set(bearer(as.accessToken)) : req).send(body);
	};
	const put = (path: string, body: object, as: Session) => request(url).put(`/api/v1${path}`).set(bearer(as.accessToken)).send(body);
	const del = (path: string, as: Session) => request(url).delete(`/api/v1${path}`).set(bearer(as.accessToken));
	const me = (as: { accessToken: string }) => request(url).get("/api/v1/me").set(bearer(as.accessToken));
	const invite = (by: Session, body: object) => post("/users", { name: "New Person", role: "employee", ...body }, by);

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		api = client(url);
		[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
	});
	afterAll(() => system?.stop());

	describe("one-time links", () => {
		it("an invitation works once: the second use is 410, and staff never see or choose the password", async () => {
			const email = uniqueEmail();
			const created = await invite(acme, { email });
			expect(created.status).toBe(201);
			expect(created.body).toMatchObject({ email, status: "invited" });
			expect(JSON.stringify(created.body)).not.toMatch(/password/i);
			expect((await invite(acme, { email: uniqueEmail(), password: PASSWORD })).status).toBe(422);

			const token = tokenOf(await mailTo(email, "invitation"));
			const first = await post("/auth/activate", { token, password: PASSWORD });
			expect(first.status).toBe(200);
			expect(first.headers["cache-control"]).toBe("no-store");
			expect(first.body).toMatchObject({ user: { email, status: "active" }, tenantId: acme.tenant.id, accessToken: expect.any(String) });
			const second = await post("/auth/activate", { token, password: "Another-Sturdy-Phrase-77" });
			expect(second.status).toBe(410);
			expect(second.body).toMatchObject({ type: "LINK_USED", data: { field: "token" } });
			// The second try set nothing: the password chosen first is the one that works.
			expect((await post("/auth/login", { email, password: "Another-Sturdy-Phrase-77" })).status).toBe(401);
			expect((await login(url, email)).accessToken).toBeTruthy();
		});

		it("refuses a weak password with the reason, and keeps the link usable", async () => {
			const email = uniqueEmail();
			await invite(acme, { email });
			const token = tokenOf(await mailTo(email, "invitation"));
			for (const weak of ["Password123!", "password-password"]) {
				const res = await post("/auth/activate", { token, password: weak });
				expect(res.status).toBe(422);
				expect(res.body.data[0]).toMatchObject({ field: "password", type: "passwordStrength" });
			}
			expect((await post("/auth/activate", { token })).body.data[0]).toMatchObject({ field: "password", type: "required" });
			expect((await post("/auth/activate", { token, password: PASSWORD })).status).toBe(200);
		});

		it("answers 422 for a token that is no link of ours", async () => {
			for (const token of ["x", "A".repeat(43), "not a token at all"]) {
				const res = await post("/auth/activate", { token, password: PASSWORD });
				expect(res.status).toBe(422);
				expect(res.body.data[0].field).toBe("token");
			}
		});

		itInProcess("answers 410 for an expired link, and creates nothing", async () => {
			const email = uniqueEmail();
			await post("/auth/signup", { company: "Late Ltd", name: "L", email, password: PASSWORD });
			const token = tokenOf(await mailTo(email, "signup"));
			const identity = system.broker.getLocalService("identity") as Service & {
				store(name: string): { updateMany(q: object, u: object): Promise<number> };
			};
			await identity.store("linkTokens").updateMany({ email }, { $set: { expiresAt: new Date(Date.now() - 1000).toISOString() } });
			const res = await post("/auth/activate", { token });
			expect(res.status).toBe(410);
			expect(res.body.type).toBe("LINK_EXPIRED");
			expect((await post("/auth/login", { email, password: PASSWORD })).status).toBe(401);
		});

		it("a signup's link opens the company only with the password chosen at signup: a stranger's signup gives no one's account their password", async () => {
			const ATTACKER = "Attacker-Chosen-Passphrase-31337";
			const carol = uniqueEmail("carol");
			expect((await invite(acme, { email: carol, role: "admin" })).status).toBe(201);
			// A stranger signs up with the invited, passwordless address, and a password of their own.
			expect((await post("/auth/signup", { company: "Acme - confirm your invitation", name: "Carol", email: carol, password: ATTACKER })).status).toBe(
				202
			);
			const token = tokenOf(await mailTo(carol, "signup"));
			const none = await post("/auth/activate", { token });
			expect(none.status).toBe(422);
			expect(none.body.data[0]).toMatchObject({ field: "password", type: "required" });
			const own = await post("/auth/activate", { token, password: PASSWORD });
			expect(own.status).toBe(422);
			expect(own.body.data[0]).toMatchObject({ field: "password", type: "mismatch" });
			// Carol joins by her invitation with her own password; the stranger's opens nothing.
			await acceptInvitation(url, carol, PASSWORD);
			expect((await post("/auth/login", { email: carol, password: ATTACKER })).status).toBe(401);
			expect((await post("/auth/login", { email: carol, password: PASSWORD })).status).toBe(200);

			// A new address alike: following a signup someone else made creates no account.
			const fresh = uniqueEmail("fresh");
			await post("/auth/signup", { company: "Not Mine", name: "F", email: fresh, password: ATTACKER });
			expect((await post("/auth/activate", { token: tokenOf(await mailTo(fresh, "signup")) })).status).toBe(422);
			expect((await post("/auth/login", { email: fresh, password: ATTACKER })).status).toBe(401);
		});

		it("refuses a new address with invisible or look-alike characters (422 emailForm): no second account that looks like the first", async () => {
			const plain = uniqueEmail("look");
			const [local, domain] = plain.split("@");
			for (const email of [`${plain}\u200b`, `\uff41${plain.slice(1)}`, `${plain}.`, `${local.normalize("NFC")}e\u0301@${domain}`]) {
				const invited = await invite(acme, { email });
				expect({ email, status: invited.status }).toEqual({ email, status: 422 });
				expect(invited.body.data[0]).toMatchObject({ field: "email", type: "emailForm" });
				const signedUp = await post("/auth/signup", { company: "Look Alike", name: "L", email, password: PASSWORD });
				expect({ email, status: signedUp.status }).toEqual({ email, status: 422 });
			}
			expect((await invite(acme, { email: plain })).status).toBe(201);
		});

		it("an invitation of a user disabled meanwhile no longer works", async () => {
			const email = uniqueEmail();
			const created = await invite(acme, { email });
			expect((await del(`/users/${created.body.id}`, acme)).status).toBe(204);
			const res = await post("/auth/activate", { token: tokenOf(await mailTo(email, "invitation")), password: PASSWORD });
			expect(res.status).toBe(410);
			expect((await post("/auth/login", { email, password: PASSWORD })).status).toBe(401);
		});
	});

	describe("identity's durable events", () => {
		it("a new company, an invitation and a disabled user are each published once, after the write", async () => {
			type Seen = { eventId: string; tenantId: string; userId?: string; ownerId?: string; email?: string; invitedBy?: string | null };
			const seen: Record<string, Seen[]> = { opened: [], invited: [], disabled: [] };
			await Promise.all([
				channelProbe<Seen>(system.broker, "test-tenant-events", IdentityEvents.tenantCreated, { handle: e => void seen.opened.push(e) }),
				channelProbe<Seen>(system.broker, "test-invitation-events", IdentityEvents.invitationSent, { handle: e => void seen.invited.push(e) }),
				channelProbe<Seen>(system.broker, "test-disabled-events", IdentityEvents.userDisabled, { handle: e => void seen.disabled.push(e) })
			]);
			const initech = await signup(url, "Initech");
			const email = uniqueEmail();
			const invited = await invite(initech, { email });
			expect(invited.status).toBe(201);
			// A refused invitation (the address is taken in this company) publishes nothing.
			expect((await invite(initech, { email })).status).toBe(409);
			expect((await del(`/users/${invited.body.id}`, initech)).status).toBe(204);
			expect((await del(`/users/${invited.body.id}`, initech)).status).toBe(204);

			await eventually(() => {
				expect(seen.opened.filter(e => e.tenantId === initech.tenant.id)).toEqual([expect.objectContaining({ ownerId: initech.user.id })]);
				expect(seen.invited.filter(e => e.tenantId === initech.tenant.id)).toEqual([
					expect.objectContaining({ userId: invited.body.id, email, invitedBy: initech.user.id })
				]);
				expect(seen.disabled.filter(e => e.tenantId === initech.tenant.id)).toEqual([expect.objectContaining({ userId: invited.body.id })]);
			});
			// Nothing a client reads carries the outbox.
			expect(JSON.stringify((await request(url).get(`/api/v1/users/${invited.body.id}`).set(bearer(initech.accessToken))).body)).not.toMatch(/outbox/i);
		});
	});

	describe("passwords", () => {
		it("changes with the current password; the caller's session stays and every other ends", async () => {
			const user = await createUser(url, acme, "employee");
			const other = await login(url, user.email);
			const wrong = await post("/auth/password", { currentPassword: "Not-The-Password-1", newPassword: "Brand-New-Phrase-2031" }, user);
			expect(wrong.status).toBe(422);
			expect(wrong.body.data[0].field).toBe("currentPassword");
			const weak = await post("/auth/password", { currentPassword: PASSWORD, newPassword: "Password123!" }, user);
			expect(weak.status).toBe(422);
			expect(weak.body.data[0].field).toBe("newPassword");
			expect((await me(other)).status).toBe(200);

			expect((await post("/auth/password", { currentPassword: PASSWORD, newPassword: "Brand-New-Phrase-2031" }, user)).status).toBe(204);
			expect((await me(user)).status).toBe(200);
			expect((await me(other)).status).toBe(401);
			expect((await post("/auth/refresh", { refreshToken: other.refreshToken })).status).toBe(401);
			expect((await post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(401);
			expect((await login(url, user.email, "Brand-New-Phrase-2031")).accessToken).toBeTruthy();
		});

		it("resets by a mailed link that works once, ending every session; an unknown address gets the same answer", async () => {
			const user = await createUser(url, acme, "employee");
			const known = await post("/auth/password/forgot", { email: user.email });
			const unknown = await post("/auth/password/forgot", { email: uniqueEmail() });
			expect(known.status).toBe(202);
			expect(unknown.status).toBe(202);
			expect(unknown.body).toEqual(known.body);

			const token = tokenOf(await mailTo(user.email, "passwordReset"));
			expect((await post("/auth/password/reset", { token, password: "Password123!" })).status).toBe(422);
			expect((await post("/auth/password/reset", { token, password: "Reset-Phrase-For-2031" })).status).toBe(204);
			expect((await post("/auth/password/reset", { token, password: "Another-Reset-2032" })).status).toBe(410);
			expect((await me(user)).status).toBe(401);
			expect((await post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(401);
			expect((await login(url, user.email, "Reset-Phrase-For-2031")).accessToken).toBeTruthy();
		});

		it("a reset or a change ends every other reset link of the person (410)", async () => {
			const user = await createUser(url, acme, "employee");
			const resetLinks = async () => (await mailbox(user.email)).filter(m => m.kind === "passwordReset").map(tokenOf);
			const asked = async (count: number) => {
				await post("/auth/password/forgot", { email: user.email });
				await eventually(async () => expect(await resetLinks()).toHaveLength(count));
				return (await resetLinks())[count - 1];
			};
			const [first, second] = [await asked(1), await asked(2)];
			expect((await post("/auth/password/reset", { token: second, password: "Reset-Phrase-For-2031" })).status).toBe(204);
			expect((await post("/auth/password/reset", { token: first, password: "Thief-Chosen-Phrase-2032" })).status).toBe(410);

			const third = await asked(3);
			const session = await login(url, user.email, "Reset-Phrase-For-2031");
			expect((await post("/auth/password", { currentPassword: "Reset-Phrase-For-2031", newPassword: "Changed-Phrase-For-2033" }, session)).status).toBe(
				204
			);
			expect((await post("/auth/password/reset", { token: third, password: "Thief-Chosen-Phrase-2032" })).status).toBe(410);
			expect((await login(url, user.email, "Changed-Phrase-For-2033")).accessToken).toBeTruthy();
		});
	});

	describe("refresh tokens", () => {
		itInProcess("the same token presented twice at once is a reuse: the request that loses the rotation revokes the family", async () => {
			const user = await createUser(url, acme, "employee");
			// Both requests read the session before either rotates it, as when a thief and the client refresh at once.
			const identity = system.broker.getLocalService("identity") as Service & { store(name: string): { findById(id: string): Promise<unknown> } };
			const sessions = identity.store("sessions");
			const findById = sessions.findById.bind(sessions);
			let bothRead: () => void = () => undefined;
			const barrier = new Promise<void>(resolve => (bothRead = resolve));
			let reads = 0;
			const read = jest.spyOn(sessions, "findById").mockImplementation(async id => {
				const session = await findById(id);
				if (++reads === 2) bothRead();
				await barrier;
				return session;
			});
			let answers: request.Response[];
			try {
				answers = await Promise.all([0, 1].map(() => post("/auth/refresh", { refreshToken: user.refreshToken })));
			} finally {
				read.mockRestore();
			}
			expect(answers.map(a => a.status).sort()).toEqual([200, 401]);
			expect(answers.find(a => a.status === 401)!.body.type).toBe("REFRESH_TOKEN_REUSED");
			const won = answers.find(a => a.status === 200)!.body;
			expect((await me(won)).status).toBe(401);
			expect((await post("/auth/refresh", { refreshToken: won.refreshToken })).status).toBe(401);
			expect((await me(user)).status).toBe(401);
		});
	});

	describe("two owners at once", () => {
		itInProcess("disabling each other: one wins, the other finds their own account disabled (403), and an owner remains", async () => {
			const company = await signup(url, "Two Owners Ltd");
			const second = await createUser(url, company, "owner");
			const owners = [company.user.id, second.id];
			// Each request has read the user it disables before either writes, as when both arrive at once
			// (or, with the requests taking turns, the first has waited a moment for the other).
			const identity = system.broker.getLocalService("identity") as Service & { adapter: { findOne(query: { _id?: string }): Promise<unknown> } };
			const findOne = identity.adapter.findOne.bind(identity.adapter);
			let bothRead: () => void = () => undefined;
			const barrier = Promise.race([new Promise<void>(resolve => (bothRead = resolve)), new Promise<void>(resolve => setTimeout(resolve, 500))]);
			let reads = 0;
			const read = jest.spyOn(identity.adapter, "findOne").mockImplementation(async query => {
				const found = await findOne(query);
				if (query._id && owners.includes(query._id)) {
					if (++reads === 2) bothRead();
					await barrier;
				}
				return found;
			});
			let answers: request.Response[];
			try {
				answers = await Promise.all([del(`/users/${second.id}`, company), del(`/users/${company.user.id}`, second)]);
			} finally {
				read.mockRestore();
			}
			expect(answers.map(a => a.status).sort()).toEqual([204, 403]);
			const statuses = await Promise.all(
				owners.map(async id => (await api.get(`/users/${id}`, answers[0].status === 204 ? company : second)).body.status)
			);
			expect(statuses.sort()).toEqual(["active", "disabled"]);
		});
	});

	describe("one person, several companies", () => {
		let person: { email: string; acme: Session & { id: string }; globexUserId: string };

		beforeAll(async () => {
			const inAcme = await createUser(url, acme, "employee");
			const inGlobex = await invite(globex, { email: inAcme.email, role: "manager" });
			expect(inGlobex.status).toBe(201);
			// Known already: they join with the password they have.
			await acceptInvitation(url, inAcme.email, null);
			person = { email: inAcme.email, acme: inAcme, globexUserId: inGlobex.body.id };
		});

		it("signs in to the first company by default, lists both, and a token sees only the company it names", async () => {
			const signedIn = (await post("/auth/login", { email: person.email, password: PASSWORD })).body;
			expect(signedIn.companies.map((c: { id: string }) => c.id).sort()).toEqual([acme.tenant.id, globex.tenant.id].sort());
			expect(signedIn.tenantId).toBe(acme.tenant.id);
			expect((await me(signedIn)).body).toMatchObject({ tenantId: acme.tenant.id, role: "employee" });
			const inGlobex = await post("/auth/login", { email: person.email, password: PASSWORD, companyId: globex.tenant.id });
			expect((await me(inGlobex.body)).body).toMatchObject({ id: person.globexUserId, tenantId: globex.tenant.id, role: "manager" });
			// Acme's data stays Acme's for the Globex token.
			expect((await api.get(`/users/${person.acme.id}`, inGlobex.body)).status).toBe(404);
		});

		it("switches company with a new token pair; a company they are not in is 404", async () => {
			const switched = await post("/auth/switch", { companyId: globex.tenant.id }, person.acme);
			expect(switched.status).toBe(200);
			expect(switched.headers["cache-control"]).toBe("no-store");
			expect((await me(switched.body)).body.tenantId).toBe(globex.tenant.id);
			expect((await me(person.acme)).body.tenantId).toBe(acme.tenant.id);
			const stranger = await signup(url, "Stranger");
			expect((await post("/auth/switch", { companyId: stranger.tenant.id }, person.acme)).status).toBe(404);
			expect((await post("/auth/login", { email: person.email, password: PASSWORD, companyId: stranger.tenant.id })).status).toBe(401);
		});

		it("removing one membership ends its sessions; the other company goes on", async () => {
			const inGlobex = (await post("/auth/login", { email: person.email, password: PASSWORD, companyId: globex.tenant.id })).body;
			expect((await del(`/users/${person.globexUserId}`, globex)).status).toBe(204);
			expect((await me(inGlobex)).status).toBe(401);
			expect((await post("/auth/switch", { companyId: globex.tenant.id }, person.acme)).status).toBe(404);
			expect((await me(person.acme)).status).toBe(200);
			expect((await post("/auth/login", { email: person.email, password: PASSWORD })).body.companies).toHaveLength(1);
		});
	});

	describe("no answer says whether an email exists elsewhere", () => {
		it("inviting a person known at another company answers like a new one, in comparable time", async () => {
			const knownElsewhere = await createUser(url, globex, "employee");
			const shape = (body: Record<string, unknown>) => Object.keys(body).sort();
			const known = await invite(acme, { email: knownElsewhere.email });
			const fresh = await invite(acme, { email: uniqueEmail() });
			expect(known.status).toBe(201);
			expect(fresh.status).toBe(201);
			expect(shape(known.body)).toEqual(shape(fresh.body));
			expect(known.body.status).toBe(fresh.body.status);

			// Median times of several of each, interleaved: within a factor of two of each other.
			const timeOf = async (email: string) => {
				const started = performance.now();
				expect((await invite(acme, { email })).status).toBe(201);
				return performance.now() - started;
			};
			// The known people are made first: timing one right after the password hashing of its
			// making would charge that work's tail to the known side alone.
			const people: string[] = [];
			for (let i = 0; i < 7; i++) people.push((await createUser(url, globex, "employee")).email);
			const knownTimes: number[] = [];
			const freshTimes: number[] = [];
			for (const email of people) {
				knownTimes.push(await timeOf(email));
				freshTimes.push(await timeOf(uniqueEmail()));
			}
			const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
			const ratio = median(knownTimes) / median(freshTimes);
			expect(ratio).toBeGreaterThan(0.5);
			expect(ratio).toBeLessThan(2);
		});

		it("a signup with a taken address answers 202 like any other and tells only the address's owner", async () => {
			const taken = await post("/auth/signup", { company: "Squat", name: "S", email: acme.email, password: PASSWORD });
			const free = await post("/auth/signup", { company: "Squat", name: "S", email: uniqueEmail(), password: PASSWORD });
			expect(taken.status).toBe(202);
			expect(taken.body).toEqual(free.body);
			expect((await mailTo(acme.email, "signupExisting")).text).toContain("already has a Roster account");
		});

		it("a person invited but not yet joined who opens their own company signs in with the password chosen at signup", async () => {
			const email = uniqueEmail();
			expect((await invite(acme, { email })).status).toBe(201);
			// signup() follows a plain signup mail: the account has no password to sign in with yet.
			await signup(url, "Own Co", email);
			expect((await post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
			// The invitation still works, with that password.
			expect((await acceptInvitation(url, email, null)).user.status).toBe("active");
		});
	});

	describe("the link between a user and an employee", () => {
		let hr: Session & { id: string; email: string };

		beforeAll(async () => {
			hr = await createUser(url, acme, "hr");
		});

		it("sets both sides in one action, and unlinking clears both", async () => {
			const employee = await hire(url, acme);
			const user = await createUser(url, acme, "employee");
			const linked = await put(`/users/${user.id}/employee`, { employeeId: employee.id }, hr);
			expect(linked.status).toBe(200);
			expect(linked.body.employeeId).toBe(employee.id);
			expect((await api.get(`/employees/${employee.id}`, hr)).body.userId).toBe(user.id);
			await eventually(async () => expect((await me(user)).body.employeeId).toBe(employee.id));

			expect((await del(`/users/${user.id}/employee`, hr)).status).toBe(200);
			expect((await api.get(`/employees/${employee.id}`, hr)).body.userId).toBeNull();
			expect((await api.get(`/users/${user.id}`, hr)).body.employeeId).toBeNull();
		});

		it("refuses each bad link, changing nothing: no such employee, another company's, one with an account, one's own account", async () => {
			const user = await createUser(url, acme, "employee");
			const taken = await hire(url, acme);
			const holder = await createUser(url, acme, "employee", taken.id);
			const foreign = await hire(url, globex);

			const missing = await put(`/users/${user.id}/employee`, { employeeId: "00000000-0000-4000-8000-000000000000" }, hr);
			expect(missing.status).toBe(422);
			expect(missing.body.data[0].field).toBe("employeeId");
			expect((await put(`/users/${user.id}/employee`, { employeeId: foreign.id }, hr)).status).toBe(422);
			const twice = await put(`/users/${user.id}/employee`, { employeeId: taken.id }, hr);
			expect(twice.status).toBe(409);
			expect(twice.body.data).toEqual({ field: "employeeId" });
			expect((await invite(hr, { email: uniqueEmail(), employeeId: taken.id })).status).toBe(409);
			expect((await put(`/users/${hr.id}/employee`, { employeeId: (await hire(url, acme)).id }, hr)).status).toBe(403);
			expect((await del(`/users/${hr.id}/employee`, hr)).status).toBe(403);
			expect((await api.patch(`/users/${user.id}`, hr, { employeeId: taken.id })).status).toBe(422);
			expect((await api.patch(`/users/${user.id}`, hr, { employeeId: " " })).status).toBe(422);

			expect((await api.get(`/users/${user.id}`, hr)).body.employeeId).toBeNull();
			expect((await api.get(`/employees/${taken.id}`, hr)).body.userId).toBe(holder.id);
			expect((await api.get(`/employees/${foreign.id}`, globex)).body.userId).toBeNull();
		});

		it("an invitation refused for its employee leaves nothing behind: the address later signs up with its own password", async () => {
			const taken = await hire(url, acme);
			await createUser(url, acme, "employee", taken.id);
			const email = uniqueEmail();
			expect((await invite(acme, { email, employeeId: taken.id })).status).toBe(409);
			expect((await request(url).get("/api/v1/users").query({ search: email }).set(bearer(acme.accessToken))).body.total).toBe(0);
			expect(await mailbox(email)).toEqual([]);
			await signup(url, "Ghost", email);
			expect((await post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
		});

		it("two links of one employee racing: exactly one lands", async () => {
			const employee = await hire(url, acme);
			const [a, b] = await Promise.all([createUser(url, acme, "employee"), createUser(url, acme, "employee")]);
			const results = await Promise.all([a, b].map(u => put(`/users/${u.id}/employee`, { employeeId: employee.id }, hr)));
			expect(results.map(r => r.status).sort()).toEqual([200, 409]);
			const winner = results[0].status === 200 ? a : b;
			expect((await api.get(`/employees/${employee.id}`, hr)).body.userId).toBe(winner.id);
		});

		it("staff cannot approve their own leave by unlinking themselves first, or after another re-links them", async () => {
			const annual = await leaveType(url, acme, { name: `Annual ${uniqueEmail()}`, yearlyAllowance: 20 });
			const self = await hire(url, acme);
			const hrPerson = await createUser(url, acme, "hr", self.id);
			await entitle(url, acme, self.id, annual.id, 2030, 20);
			const filed = await requestLeave(url, hrPerson, { leaveTypeId: annual.id, ...workWeek(20) });
			// The old hole: staff unlinked themselves, then approved.
			expect((await del(`/users/${hrPerson.id}/employee`, hrPerson)).status).toBe(403);
			// A colleague unlinks them: the request is still their own.
			expect((await del(`/users/${hrPerson.id}/employee`, hr)).status).toBe(200);
			const approve = await post(`/leave-requests/${filed.id}/approve`, {}, hrPerson);
			expect(approve.status).toBe(403);
			expect((await api.get(`/leave-requests/${filed.id}`, hr)).body.status).toBe("requested");
			expect((await post(`/leave-requests/${filed.id}/approve`, {}, hr)).status).toBe(200);
		});
	});

	describe("an account follows the employment", () => {
		it("termination disables the linked user and ends their sessions; a rehire gives the account back", async () => {
			const employee = await hire(url, acme);
			const user = await createUser(url, acme, "employee", employee.id);
			expect((await me(user)).status).toBe(200);
			expect((await post(`/employees/${employee.id}/terminate`, { date: "2025-06-30", reason: "Left" }, acme)).status).toBe(200);
			await eventually(async () => expect((await me(user)).status).toBe(401));
			expect((await post("/auth/refresh", { refreshToken: user.refreshToken })).status).toBe(401);
			expect((await post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(401);
			expect((await api.get(`/users/${user.id}`, acme)).body.status).toBe("disabled");

			expect((await post(`/employees/${employee.id}/rehire`, { date: "2026-01-05" }, acme)).status).toBe(200);
			await eventually(async () => expect((await post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200));
			expect((await api.get(`/users/${user.id}`, acme)).body.status).toBe("active");
		});

		it("hr cannot end the employment of an admin's employee record (403), which would disable the admin; the owner can", async () => {
			const hr = await createUser(url, acme, "hr");
			const employee = await hire(url, acme);
			const admin = await createUser(url, acme, "admin", employee.id);
			const terminate = (as: Session) => post(`/employees/${employee.id}/terminate`, { date: "2025-06-30", reason: "Left" }, as);
			const refused = await terminate(hr);
			expect(refused.status).toBe(403);
			expect(refused.body.message).toContain("'admin'");
			expect((await api.get(`/employees/${employee.id}`, acme)).body.status).toBe("active");
			await new Promise(resolve => setTimeout(resolve, 300));
			expect((await me(admin)).status).toBe(200);
			expect((await api.get(`/users/${admin.id}`, acme)).body.status).toBe("active");

			expect((await terminate(acme)).status).toBe(200);
			await eventually(async () => expect((await me(admin)).status).toBe(401));
		});

		it("a rehire does not give back an account staff disabled", async () => {
			const employee = await hire(url, acme);
			const user = await createUser(url, acme, "employee", employee.id);
			expect((await del(`/users/${user.id}`, acme)).status).toBe(204);
			await post(`/employees/${employee.id}/terminate`, { date: "2025-06-30", reason: "Left" }, acme);
			await post(`/employees/${employee.id}/rehire`, { date: "2026-01-05" }, acme);
			// Give the events time to arrive before asserting they changed nothing.
			await new Promise(resolve => setTimeout(resolve, 300));
			expect((await api.get(`/users/${user.id}`, acme)).body.status).toBe("disabled");
			expect((await post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(401);
		});

		it("nor one staff disabled after the termination had already disabled it", async () => {
			const employee = await hire(url, acme);
			const user = await createUser(url, acme, "employee", employee.id);
			expect((await post(`/employees/${employee.id}/terminate`, { date: "2025-06-30", reason: "Left" }, acme)).status).toBe(200);
			await eventually(async () => expect((await api.get(`/users/${user.id}`, acme)).body.status).toBe("disabled"));
			expect((await del(`/users/${user.id}`, acme)).status).toBe(204);
			expect((await post(`/employees/${employee.id}/rehire`, { date: "2026-01-05" }, acme)).status).toBe(200);
			await new Promise(resolve => setTimeout(resolve, 300));
			expect((await api.get(`/users/${user.id}`, acme)).body.status).toBe("disabled");
			expect((await post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(401);
		});

		it("a rehire gives a user who never accepted their invitation the invitation back, not a membership", async () => {
			// A person with an account of their own (and so a password), invited to Acme as an employee's user.
			const person = await signup(url, "Own Co");
			const employee = await hire(url, acme);
			const invited = await invite(acme, { email: person.email, employeeId: employee.id });
			expect(invited.body.status).toBe("invited");
			expect((await post(`/employees/${employee.id}/terminate`, { date: "2025-06-30", reason: "Left" }, acme)).status).toBe(200);
			await eventually(async () => expect((await api.get(`/users/${invited.body.id}`, acme)).body.status).toBe("disabled"));
			expect((await post(`/employees/${employee.id}/rehire`, { date: "2026-01-05" }, acme)).status).toBe(200);
			await eventually(async () => expect((await api.get(`/users/${invited.body.id}`, acme)).body.status).toBe("invited"));
			const signedIn = await post("/auth/login", { email: person.email, password: PASSWORD });
			expect(signedIn.body.companies.map((c: { id: string }) => c.id)).toEqual([person.tenant.id]);
			// Their invitation still works: joining stays their choice.
			const token = tokenOf(await mailTo(person.email, "invitation"));
			expect((await post("/auth/activate", { token })).status).toBe(200);
		});

		it("no one may end the employment of their own account's employee (409): it would disable their account", async () => {
			const employee = await hire(url, acme);
			const hr = await createUser(url, acme, "hr", employee.id);
			const refused = await post(`/employees/${employee.id}/terminate`, { date: "2025-06-30", reason: "Left" }, hr);
			expect(refused.status).toBe(409);
			expect(refused.body.data).toMatchObject({ field: "id" });
			expect((await api.get(`/employees/${employee.id}`, acme)).body.status).toBe("active");
			await new Promise(resolve => setTimeout(resolve, 300));
			expect((await me(hr)).status).toBe(200);
			// Another on staff may.
			expect((await post(`/employees/${employee.id}/terminate`, { date: "2025-06-30", reason: "Left" }, acme)).status).toBe(200);
			await eventually(async () => expect((await me(hr)).status).toBe(401));
		});
	});

	it("keeps every mail of a person in their own mailbox", async () => {
		const email = uniqueEmail();
		await invite(acme, { email });
		expect((await mailbox(email)).map(m => m.kind)).toEqual(["invitation"]);
		expect(await mailbox(uniqueEmail())).toEqual([]);
	});
});
