/**
 * The notifications inbox end to end: domain events (published on their channels here, as the
 * producers' outboxes do) become entries for the right people, once each however often an
 * event is delivered; each user reads and marks only their own inbox over REST; preferences
 * are each user's own; a new entry is broadcast to the realtime nodes; the realtime service's
 * replay (`notifications.since`) answers what a user missed, in order.
 */
import { randomUUID } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import request from "supertest";
import { signAccessToken } from "../../lib/auth/tokens";
import type { DomainEvent } from "../../lib/channels/events";
import { config } from "../../lib/config";
import { systemCaller } from "../../lib/meta";
import {
	AppEvents,
	IdentityEvents,
	LeaveEvents,
	type Notification,
	NotificationActions,
	RealtimeEvents,
	type RealtimePush,
	RecruitmentEvents
} from "../../lib/names";
import { HANDLED_EVENTS } from "../../services/data/notifications.parts/shared";
import { eventually, itInProcess, knownEverywhere } from "../support/cluster-topology";
import { type HiredEmployee, hire, linkedUser } from "../support/employees";
import { type Session, type Signup, bearer, createUser, signup } from "../support/http";
import { type RunningSystem, startLocalSystem } from "../support/local-system";

jest.setTimeout(120_000);

const ROOMY = { roster: { ...config(), rateLimit: { ...config().rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } } };

type User = { id: string; email: string } & Session;

describe("notifications", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let globex: Signup;
	let hr: User;
	let managerEmployee: HiredEmployee;
	let manager: User;
	let employee: HiredEmployee;
	let worker: User;
	const pushes: RealtimePush[] = [];

	const get = (path: string, as: Session) => request(url).get(`/api/v1${path}`).set(bearer(as.accessToken));
	const post = (path: string, as: Session, body: object = {}) => request(url).post(`/api/v1${path}`).set(bearer(as.accessToken)).send(body);
	const put = (path: string, as: Session, body: object) => request(url).put(`/api/v1${path}`).set(bearer(as.accessToken)).send(body);
	const inbox = async (as: Session, query = ""): Promise<Notification[]> => {
		const res = await get(`/notifications?pageSize=100${query}`, as);
		expect(res.status).toBe(200);
		return res.body.rows;
	};

	/** Publishes a domain event as a producer's outbox does; answers it (to publish again: a redelivery). */
	async function publish<T extends object>(broker: ServiceBroker, channel: string, tenantId: string, payload: T): Promise<DomainEvent<T>> {
		const event = { eventId: randomUUID(), tenantId, at: new Date().toISOString(), ...payload } as DomainEvent<T>;
		await broker.sendToChannel!(channel, event);
		return event;
	}

	/** A decision on the leave of `employee`, as the leave service publishes it. */
	const decided = (requestId: string, status: string, by: { decidedBy: string; requestedBy: string }) =>
		publish(system.broker, LeaveEvents.requestDecided, acme.tenant.id, { requestId, employeeId: employee.id, status, ...by });

	/** Waits until `as` has `count` entries of `type` whose data matches, and answers them. */
	async function entries(as: Session, type: string, match: Record<string, unknown>, count = 1): Promise<Notification[]> {
		let found: Notification[] = [];
		await eventually(async () => {
			found = (await inbox(as)).filter(n => n.type === type && Object.entries(match).every(([k, v]) => n.data[k] === v));
			expect(found).toHaveLength(count);
		}, 20_000);
		return found;
	}

	/**
	 * A channel's group handles one event at a time, in order: once a later event on the same
	 * channel has made its entry, every earlier delivery has been handled.
	 */
	async function settled(channel: string, tenantId: string, payload: object, as: Session, type: string, match: Record<string, unknown>): Promise<void> {
		await publish(system.broker, channel, tenantId, payload);
		await entries(as, type, match);
	}

	beforeAll(async () => {
		system = await startLocalSystem(ROOMY, { CHANNEL_RETRY_DELAY: "100" });
		url = system.url;
		[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
		hr = await createUser(url, acme, "hr");
		managerEmployee = await hire(url, acme, { firstName: "Mona", lastName: "Manager" });
		manager = await linkedUser(url, acme, "manager", managerEmployee.id);
		employee = await hire(url, acme, { firstName: "Eli", lastName: "Worker", managerId: managerEmployee.id });
		worker = await linkedUser(url, acme, "employee", employee.id);
		system.broker.createService({ name: "test-realtime-probe", events: { [RealtimeEvents.push]: (push: RealtimePush) => void pushes.push(push) } });
		await knownEverywhere(system.broker, "test-realtime-probe");
	});
	afterAll(() => system?.stop());

	describe("who is told", () => {
		it("a leave request goes to the employee's manager only, once however often it is delivered; pushed live to the realtime nodes", async () => {
			const requestId = randomUUID();
			const payload = {
				requestId,
				employeeId: employee.id,
				leaveTypeId: randomUUID(),
				startDate: "2025-07-01",
				endDate: "2025-07-03",
				days: 3,
				requestedBy: worker.id
			};
			const event = await publish(system.broker, LeaveEvents.requested, acme.tenant.id, payload);
			const [entry] = await entries(manager, "leave.requested", { requestId });
			expect(entry).toMatchObject({ title: expect.any(String), body: expect.stringContaining("Eli Worker"), read: false, seq: expect.any(Number) });
			expect(entry.body).toContain("3 days");

			// Redelivered twice (a consumer that died before acknowledging, a replay): nothing more.
			await system.broker.sendToChannel!(LeaveEvents.requested, event);
			await system.broker.sendToChannel!(LeaveEvents.requested, event);
			await settled(LeaveEvents.requested, acme.tenant.id, { ...payload, requestId: "marker-1" }, manager, "leave.requested", { requestId: "marker-1" });
			expect((await inbox(manager)).filter(n => n.data.requestId === requestId)).toHaveLength(1);
			// Staff and the requester were not told: the manager decides.
			for (const other of [acme, hr, worker]) expect((await inbox(other)).filter(n => n.data.requestId === requestId)).toEqual([]);

			await eventually(() =>
				expect(pushes.find(p => (p.message.notification as Notification | undefined)?.id === entry.id)).toMatchObject({
					tenantId: acme.tenant.id,
					userIds: [manager.id],
					message: { type: "notification", notification: entry }
				})
			);
		});

		it("with no employed manager the request goes to the tenant's staff; the requester among them is not told of their own request", async () => {
			const loner = await hire(url, acme, { firstName: "Lou", lastName: "Loner" });
			const requestId = randomUUID();
			await publish(system.broker, LeaveEvents.requested, acme.tenant.id, {
				requestId,
				employeeId: loner.id,
				leaveTypeId: randomUUID(),
				startDate: "2025-08-01",
				endDate: "2025-08-01",
				days: 1,
				requestedBy: hr.id
			});
			await entries(acme, "leave.requested", { requestId });
			await settled(
				LeaveEvents.requested,
				acme.tenant.id,
				{
					requestId: "marker-2",
					employeeId: loner.id,
					leaveTypeId: randomUUID(),
					startDate: "2025-08-02",
					endDate: "2025-08-02",
					days: 1,
					requestedBy: worker.id
				},
				hr,
				"leave.requested",
				{ requestId: "marker-2" }
			);
			expect((await inbox(hr)).filter(n => n.data.requestId === requestId)).toEqual([]);
			expect((await inbox(manager)).filter(n => n.data.requestId === requestId)).toEqual([]);
		});

		it("a decision goes to the requester; a cancellation by the requester themself tells nobody", async () => {
			const [approved, cancelled] = [randomUUID(), randomUUID()];
			await decided(cancelled, "cancelled", { decidedBy: worker.id, requestedBy: worker.id });
			await decided(approved, "approved", { decidedBy: manager.id, requestedBy: worker.id });
			const [entry] = await entries(worker, "leave.decided", { requestId: approved });
			expect(entry).toMatchObject({ title: "Leave request approved", data: { status: "approved" } });
			expect((await inbox(worker)).filter(n => n.data.requestId === cancelled)).toEqual([]);
			expect((await inbox(manager)).filter(n => n.type === "leave.decided")).toEqual([]);
		});

		it("a decision on leave staff asked for on the employee's behalf reaches the employee too, never the one who decided", async () => {
			const [byManager, byHr] = [randomUUID(), randomUUID()];
			await decided(byManager, "approved", { decidedBy: manager.id, requestedBy: hr.id });
			await decided(byHr, "rejected", { decidedBy: hr.id, requestedBy: hr.id });
			const [approved] = await entries(worker, "leave.decided", { requestId: byManager });
			expect(approved).toMatchObject({ title: "Leave request approved", data: { status: "approved", employeeId: employee.id } });
			const [rejected] = await entries(worker, "leave.decided", { requestId: byHr });
			expect(rejected).toMatchObject({ title: "Leave request rejected", body: "Your leave request was rejected." });
			// Whoever filed it is told whose request it was: "your leave request" would be news to them.
			const [filed] = await entries(hr, "leave.decided", { requestId: byManager });
			expect(filed).toMatchObject({ title: "Leave request approved", body: "The leave request you filed for Eli Worker was approved." });
			expect((await inbox(hr)).filter(n => n.data.requestId === byHr)).toEqual([]);
			expect((await inbox(manager)).filter(n => n.data.requestId === byManager)).toEqual([]);
		});

		it("an interview goes to each interviewer who has an account", async () => {
			const noAccount = await hire(url, acme, { firstName: "Nat", lastName: "NoAccount" });
			const interviewId = randomUUID();
			await publish(system.broker, RecruitmentEvents.interviewScheduled, acme.tenant.id, {
				interviewId,
				applicationId: randomUUID(),
				openingId: randomUUID(),
				candidateId: randomUUID(),
				scheduledAt: "2025-09-01T09:00:00.000Z",
				interviewerIds: [managerEmployee.id, employee.id, noAccount.id]
			});
			await entries(manager, "interview.scheduled", { interviewId });
			await entries(worker, "interview.scheduled", { interviewId });
			for (const other of [acme, hr]) expect((await inbox(other)).filter(n => n.data.interviewId === interviewId)).toEqual([]);
		});

		it("a hire goes to the tenant's staff and the new hire's manager, not to the new hire nor another company", async () => {
			const hired = await hire(url, acme, { firstName: "Nia", lastName: "Newhire", managerId: managerEmployee.id });
			const event = await publish(system.broker, AppEvents.employeeHired, acme.tenant.id, {
				employeeId: hired.id,
				userId: worker.id,
				offerId: randomUUID(),
				managerId: managerEmployee.id,
				departmentId: null
			});
			for (const told of [acme, hr, manager]) {
				const [entry] = await entries(told, "employee.hired", { employeeId: hired.id });
				expect(entry.body).toContain("Nia Newhire");
			}
			// The event named the worker as the new hire's account: they are not told of their own hire.
			expect((await inbox(worker)).filter(n => n.data.employeeId === hired.id)).toEqual([]);
			expect((await inbox(globex)).filter(n => n.data.employeeId === hired.id)).toEqual([]);
			// Redelivered: still one each.
			await system.broker.sendToChannel!(AppEvents.employeeHired, event);
			await settled(
				AppEvents.employeeHired,
				acme.tenant.id,
				{ employeeId: "marker-3", userId: worker.id, offerId: randomUUID(), managerId: null, departmentId: null },
				hr,
				"employee.hired",
				{ employeeId: "marker-3" }
			);
			for (const told of [acme, hr, manager]) expect((await inbox(told)).filter(n => n.data.employeeId === hired.id)).toHaveLength(1);
		});

		it("an invitation goes to whoever invited; one the system sent tells nobody", async () => {
			const [byHr, bySystem] = [randomUUID(), randomUUID()];
			await publish(system.broker, IdentityEvents.invitationSent, acme.tenant.id, { userId: bySystem, email: "sys@example.test", invitedBy: null });
			await publish(system.broker, IdentityEvents.invitationSent, acme.tenant.id, { userId: byHr, email: "new@example.test", invitedBy: hr.id });
			const [entry] = await entries(hr, "invitation.sent", { userId: byHr });
			expect(entry.body).toContain("new@example.test");
			// (Identity's own invitations of this suite's users, once it publishes them, are the owner's: not these.)
			const these = (n: Notification) => n.type === "invitation.sent" && ([byHr, bySystem] as string[]).includes(String(n.data.userId));
			for (const other of [acme, manager, worker]) expect((await inbox(other)).filter(these)).toEqual([]);
			expect((await inbox(hr)).filter(these)).toHaveLength(1);
		});

		it("an event it cannot handle is retried, then dead-lettered for the tenant's admins; the events after it are handled", async () => {
			const interviewId = randomUUID();
			await publish(system.broker, RecruitmentEvents.interviewScheduled, acme.tenant.id, {
				interviewId,
				applicationId: randomUUID(),
				openingId: randomUUID(),
				candidateId: randomUUID(),
				scheduledAt: "2025-09-01T09:00:00.000Z",
				interviewerIds: 42
			});
			const letters = async () =>
				(
					(await get("/admin/dead-letters?channel=recruitment.interview.scheduled", acme)).body.rows as Array<{
						group: string;
						event: { interviewId: string };
					}>
				).filter(l => l.event.interviewId === interviewId);
			await eventually(async () => expect(await letters()).toMatchObject([{ group: "notifications" }]), 60_000);
			const next = randomUUID();
			await publish(system.broker, RecruitmentEvents.interviewScheduled, acme.tenant.id, {
				interviewId: next,
				applicationId: randomUUID(),
				openingId: randomUUID(),
				candidateId: randomUUID(),
				scheduledAt: "2025-09-02T09:00:00.000Z",
				interviewerIds: [managerEmployee.id]
			});
			await entries(manager, "interview.scheduled", { interviewId: next });
			expect((await inbox(manager)).filter(n => n.data.interviewId === interviewId)).toEqual([]);
		});

		itInProcess("a consumer that died between storing an entry and recording the event adds nothing when the event comes again", async () => {
			const notifications = system.broker.getLocalService("notifications") as unknown as {
				store(name: string): { removeMany(q: object): Promise<number> };
			};
			const requestId = randomUUID();
			const event = await publish(system.broker, LeaveEvents.requestDecided, acme.tenant.id, {
				requestId,
				employeeId: employee.id,
				status: "rejected",
				decidedBy: manager.id,
				requestedBy: worker.id
			});
			const [entry] = await entries(worker, "leave.decided", { requestId });
			// As if the record had never been written: the entry's id is derived from the event and the user.
			expect(await notifications.store(HANDLED_EVENTS).removeMany({ eventId: event.eventId })).toBe(1);
			await system.broker.sendToChannel!(LeaveEvents.requestDecided, event);
			await settled(
				LeaveEvents.requestDecided,
				acme.tenant.id,
				{ requestId: "marker-4", employeeId: employee.id, status: "approved", decidedBy: manager.id, requestedBy: worker.id },
				worker,
				"leave.decided",
				{ requestId: "marker-4" }
			);
			expect((await inbox(worker)).filter(n => n.data.requestId === requestId)).toEqual([entry]);
		});
	});

	describe("the inbox over REST", () => {
		let mine: Notification[];

		beforeAll(async () => {
			// Three fresh entries for the worker, oldest first.
			for (const status of ["approved", "rejected", "approved"]) {
				await publish(system.broker, LeaveEvents.requestDecided, acme.tenant.id, {
					requestId: `inbox-${status}-${randomUUID()}`,
					employeeId: employee.id,
					status,
					decidedBy: manager.id,
					requestedBy: worker.id
				});
			}
			await eventually(async () => expect((await inbox(worker)).filter(n => String(n.data.requestId).startsWith("inbox-"))).toHaveLength(3), 20_000);
			mine = (await inbox(worker)).filter(n => String(n.data.requestId).startsWith("inbox-"));
		});

		it("lists the caller's entries newest first, numbered per user, in pages", async () => {
			const all = await inbox(worker);
			const seqs = all.map(n => n.seq);
			expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
			expect(new Set(seqs).size).toBe(seqs.length);
			const page = await get("/notifications?pageSize=2&page=2", worker);
			expect(page.status).toBe(200);
			expect(page.body).toMatchObject({ page: 2, pageSize: 2, total: all.length, totalPages: Math.ceil(all.length / 2) });
			expect(page.body.rows.map((n: Notification) => n.id)).toEqual(all.slice(2, 4).map(n => n.id));
			const oldestFirst = await get("/notifications?sort=seq&pageSize=100", worker);
			expect(oldestFirst.body.rows.map((n: Notification) => n.seq)).toEqual([...seqs].reverse());
		});

		it("marks one read (again is harmless), counts the unread, filters by them, and marks all read: the caller's own only", async () => {
			const before = (await get("/notifications/unread-count", worker)).body.unread;
			expect(before).toBeGreaterThanOrEqual(3);
			const managerUnread = (await get("/notifications/unread-count", manager)).body.unread;
			expect(managerUnread).toBeGreaterThan(0);

			const marked = await post(`/notifications/${mine[0].id}/read`, worker);
			expect(marked.status).toBe(200);
			expect(marked.body).toMatchObject({ id: mine[0].id, read: true });
			expect((await post(`/notifications/${mine[0].id}/read`, worker)).body).toMatchObject({ id: mine[0].id, read: true });
			expect((await get("/notifications/unread-count", worker)).body).toEqual({ unread: before - 1 });
			expect((await inbox(worker, "&unread=true")).map(n => n.id)).not.toContain(mine[0].id);
			expect((await inbox(worker, "&unread=false")).map(n => n.id)).toEqual([mine[0].id]);

			// The user's other sockets hear of it, with what is left unread.
			await eventually(() =>
				expect(pushes).toContainEqual({
					tenantId: acme.tenant.id,
					userIds: [worker.id],
					message: { type: "notifications.read", ids: [mine[0].id], unread: before - 1 }
				})
			);

			const all = await post("/notifications/read-all", worker);
			expect(all.status).toBe(200);
			expect(all.body).toEqual({ marked: before - 1 });
			await eventually(() =>
				expect(pushes).toContainEqual({
					tenantId: acme.tenant.id,
					userIds: [worker.id],
					message: { type: "notifications.read", all: true, unread: 0 }
				})
			);
			expect((await get("/notifications/unread-count", worker)).body).toEqual({ unread: 0 });
			expect(await inbox(worker, "&unread=true")).toEqual([]);
			// Nobody else's inbox moved.
			expect((await get("/notifications/unread-count", manager)).body).toEqual({ unread: managerUnread });
		});

		it("another user's entry, in this company or another, is 404 and stays unread; so is an unknown one", async () => {
			const [theirs] = await inbox(manager, "&unread=true");
			expect(theirs).toBeDefined();
			for (const other of [worker, hr, acme, globex]) expect((await post(`/notifications/${theirs.id}/read`, other)).status).toBe(404);
			expect((await post(`/notifications/${randomUUID()}/read`, manager)).status).toBe(404);
			expect((await inbox(manager)).find(n => n.id === theirs.id)).toMatchObject({ read: false });
			expect(await inbox(globex)).toEqual([]);
		});

		it("every signed-in user has an inbox; without a token it is 401", async () => {
			expect((await get("/notifications", worker)).status).toBe(200);
			expect((await request(url).get("/api/v1/notifications")).status).toBe(401);
			expect((await request(url).post("/api/v1/notifications/read-all").send({})).status).toBe(401);
			expect((await request(url).get("/api/v1/notifications/preferences")).status).toBe(401);
		});

		it("no request acts as the system caller the consumers use: even a validly signed token naming it is 401", async () => {
			const { user } = systemCaller(acme.tenant.id);
			const token = await signAccessToken({ ...user, userId: user.id }, config().jwt);
			expect((await request(url).get("/api/v1/notifications").set(bearer(token))).status).toBe(401);
			expect((await request(url).get("/api/v1/employees").set(bearer(token))).status).toBe(401);
		});

		it("bad input is 422 naming the field, and changes nothing", async () => {
			const unread = (await get("/notifications/unread-count", manager)).body.unread;
			for (const [path, field] of [
				["/notifications?unread=maybe", "unread"],
				["/notifications?pageSize=1000", "pageSize"],
				["/notifications?sort=title", "sort"],
				["/notifications?userId=x", "userId"]
			]) {
				const res = await get(path, manager);
				expect({ path, status: res.status, field: res.body.data?.[0]?.field }).toEqual({ path, status: 422, field });
			}
			const long = await post(`/notifications/${"x".repeat(65)}/read`, manager);
			expect({ status: long.status, field: long.body.data?.[0]?.field }).toEqual({ status: 422, field: "id" });
			const extra = await post("/notifications/read-all", manager, { userId: worker.id });
			expect({ status: extra.status, field: extra.body.data?.[0]?.field }).toEqual({ status: 422, field: "userId" });
			expect((await get("/notifications/unread-count", manager)).body.unread).toBe(unread);
		});
	});

	describe("preferences", () => {
		it("are email on, SMS off until the user chooses; each user's own; replaced whole", async () => {
			expect((await get("/notifications/preferences", hr)).body).toEqual({ email: true, sms: false, types: {} });
			const chosen = { email: false, sms: true, types: { "leave.decided": { email: true } } };
			const res = await put("/notifications/preferences", hr, chosen);
			expect(res.status).toBe(200);
			expect(res.body).toEqual(chosen);
			expect((await get("/notifications/preferences", hr)).body).toEqual(chosen);
			expect((await put("/notifications/preferences", hr, { email: true, sms: false })).body).toEqual({ email: true, sms: false, types: {} });
			// Another user's, here and at another company, unchanged.
			expect((await get("/notifications/preferences", worker)).body).toEqual({ email: true, sms: false, types: {} });
			expect((await get("/notifications/preferences", globex)).body).toEqual({ email: true, sms: false, types: {} });
		});

		it("bad preferences are 422 naming the field, and change nothing", async () => {
			await put("/notifications/preferences", manager, { email: false, sms: false });
			for (const [body, field] of [
				[{ email: "yes", sms: false }, "email"],
				[{ email: true }, "sms"],
				[{ email: true, sms: false, push: true }, "push"],
				[{ email: true, sms: false, types: { "payroll.ran": { email: true } } }, "types.payroll.ran"],
				[{ email: true, sms: false, types: { "leave.decided": { email: 1 } } }, "types['leave.decided'].email"],
				[{ email: true, sms: false, types: { "leave.decided": { fax: true } } }, "types['leave.decided'].fax"]
			] as const) {
				const res = await put("/notifications/preferences", manager, body);
				expect({ body, status: res.status, field: res.body.data?.[0]?.field }).toEqual({ body, status: 422, field });
			}
			expect((await get("/notifications/preferences", manager)).body).toEqual({ email: false, sms: false, types: {} });
		});
	});

	describe("the realtime service's replay", () => {
		const since = (as: { id: string; tenantId: string; employeeId: string | null }, params: object) =>
			system.broker.call<Notification[], object>(NotificationActions.since, params, { meta: { user: { ...as, roles: ["employee"], sessionId: "s" } } });

		it("answers the caller's entries after the one named, oldest first; another user's id is 404", async () => {
			const me = { id: worker.id, tenantId: acme.tenant.id, employeeId: employee.id };
			const all = await since(me, {});
			const seqs = all.map(n => n.seq);
			expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
			expect(all.length).toBeGreaterThanOrEqual(4);
			expect((await since(me, { after: all[1].id })).map(n => n.id)).toEqual(all.slice(2).map(n => n.id));
			expect((await since(me, { after: all[0].id, limit: 1 })).map(n => n.id)).toEqual([all[1].id]);
			expect(await since(me, { after: all[all.length - 1].id })).toEqual([]);
			const [managers] = await inbox(manager);
			await expect(since(me, { after: managers.id })).rejects.toMatchObject({ code: 404 });
			// The system caller has no inbox.
			await expect(system.broker.call(NotificationActions.since, {}, { meta: systemCaller(acme.tenant.id) })).resolves.toEqual([]);
		});
	});
});
