/**
 * The scheduled jobs' effects as people see them over HTTP, each job run for a chosen instant
 * through `<service>.runJob { job, at }` (internal, as the REPL's `jobs run` calls it): next
 * year's balances show the capped carry-over; an interview tomorrow gets one reminder, a
 * durable event its interviewers' notifications are made from; an invitation nobody followed
 * shows as expired, cannot be accepted, and can be sent again. A slot runs once however often
 * it is asked for; running the job again for a later slot changes nothing more.
 *
 * The instants lie far from now (2031, or a week ahead), so the jobs' own timers, which run
 * for the present, never touch this suite's data.
 */
import request from "supertest";
import type { DbService, Store } from "../../mixins/db.mixin";
import type { RunJobAnswer } from "../../mixins/scheduled-jobs.mixin";
import { jobsCommand } from "../../scripts/repl-commands";
import { Jobs, JobServices, type JobName } from "../../lib/names/jobs";
import { type InterviewReminderEvent, RecruitmentEvents } from "../../lib/names/recruitment";
import { type ChannelProbe, channelProbe } from "../support/channels";
import { eventually, itInProcess } from "../support/cluster-topology";
import { awaitAuditTrail } from "../support/audit";
import { hire, startRoomySystem } from "../support/employees";
import { PASSWORD, type Signup, bearer, signup, uniqueEmail } from "../support/http";
import { client as leaveClient, entitle, leaveType, requestLeave } from "../support/leave";
import type { RunningSystem } from "../support/local-system";
import { mailTo, tokenOf } from "../support/mail";
import { type Company, applicationAt, client as recruitmentClient, scheduleInterview, setUpCompany } from "../support/recruitment";
import { suiteTimeout } from "../support/timeouts";

suiteTimeout(60_000);

describe("scheduled jobs", () => {
	let system: RunningSystem;
	let url: string;

	function runJob(job: JobName, at: string): Promise<RunJobAnswer> {
		return system.broker.call(`${JobServices[job]}.runJob`, { job, at });
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
	});
	afterAll(() => system?.stop());

	it("at start each service ran the latest slot of its hourly job (catch-up), once, for the present", async () => {
		const hour = new Date(Math.floor(Date.now() / 3600_000) * 3600_000);
		for (const job of [Jobs.interviewReminders, Jobs.expireInvitations]) {
			let runs: Array<{ job: string; slot: string; status: string; claims: unknown[] }> = [];
			await eventually(async () => {
				runs = await system.broker.call(`${JobServices[job]}.jobRuns`, { job });
				expect(runs[0]?.status).toBe("done");
			});
			// The latest slot at or before now: this hour's (reminders at :00), or the last :30.
			expect(Date.now() - Date.parse(runs[0].slot)).toBeLessThan(3600_000 + 60_000);
			expect(Date.parse(runs[0].slot)).toBeGreaterThanOrEqual(hour.getTime() - 3600_000);
			expect(runs[0].claims).toHaveLength(1);
		}
	});

	it("runJob is internal: no route reaches it", async () => {
		const owner = await signup(url, "Outsider");
		for (const path of ["/api/v1/runJob", "/api/v1/leave/runJob", "/api/v1/jobs/leaveRollover"]) {
			expect((await request(url).post(path).set(bearer(owner.accessToken)).send({ job: "leaveRollover" })).status).toBe(404);
		}
	});

	it("runJob refuses a job its service does not run, naming the field", async () => {
		await expect(system.broker.call("leave.runJob", { job: Jobs.interviewReminders })).rejects.toMatchObject({ code: 422, type: "VALIDATION_ERROR" });
		await expect(system.broker.call("leave.runJob", { job: Jobs.leaveRollover, at: "not a date" })).rejects.toMatchObject({ code: 422 });
	});

	// ---- Leave roll-over -----------------------------------------------------------------

	describe("the yearly leave roll-over", () => {
		let acme: Signup;
		let globex: Signup;
		let annual: { id: string };
		let sick: { id: string };
		let globexAnnual: { id: string };
		const api = () => leaveClient(url);

		async function balance(as: Signup, employeeId: string, typeId: string, year: number) {
			const res = await api().get("/leave-balances", as, { employeeId, year });
			expect(res.status).toBe(200);
			return res.body.balances.find((b: { leaveTypeId: string }) => b.leaveTypeId === typeId);
		}

		beforeAll(async () => {
			[acme, globex] = await Promise.all([signup(url, "Acme Leave"), signup(url, "Globex Leave")]);
			annual = await leaveType(url, acme, { name: "Annual", yearlyAllowance: 20, carryOverCap: 5 });
			sick = await leaveType(url, acme, { name: "Sick", yearlyAllowance: 10 });
			globexAnnual = await leaveType(url, globex, { name: "Annual", yearlyAllowance: 30, carryOverCap: 10 });
		});

		it("gives next year's allowance plus the remainder up to the type's cap, adds once to what HR set, and skips leavers", async () => {
			const [keen, frugal, planned, leaver, abroad] = await Promise.all([
				hire(url, acme),
				hire(url, acme),
				hire(url, acme),
				hire(url, acme),
				hire(url, globex)
			]);
			// keen: 20 + 0 − 18 pending = 2 left, under the cap. frugal: 20 left, capped at 5; sick has no carry-over.
			await entitle(url, acme, keen.id, annual.id, 2030, 20);
			await requestLeave(url, acme, { employeeId: keen.id, leaveTypeId: annual.id, startDate: "2030-03-04", endDate: "2030-03-27" });
			await entitle(url, acme, frugal.id, annual.id, 2030, 20);
			await entitle(url, acme, frugal.id, sick.id, 2030, 10);
			// planned: HR already set 2031 by hand (25 days, 1 carried); the roll-over adds its 5 once.
			await entitle(url, acme, planned.id, annual.id, 2030, 20);
			await entitle(url, acme, planned.id, annual.id, 2031, 25, 1);
			await entitle(url, acme, leaver.id, annual.id, 2030, 20);
			expect((await api().post(`/employees/${leaver.id}/terminate`, acme, { date: "2030-12-31", reason: "Left" })).status).toBe(200);
			await entitle(url, globex, abroad.id, globexAnnual.id, 2030, 30);

			const run = await runJob(Jobs.leaveRollover, "2031-01-01T00:05:00Z");
			expect(run).toMatchObject({ ran: true, outcome: "done", slot: "2031-01-01T00:05:00.000Z", run: { status: "done", attempts: 1 } });
			expect(run.run?.result).toMatchObject({ year: 2030, created: 4, added: 1, skippedNotEmployed: 1 });

			expect(await balance(acme, keen.id, annual.id, 2031)).toMatchObject({ entitled: 20, carriedOver: 2, remaining: 22 });
			expect(await balance(acme, frugal.id, annual.id, 2031)).toMatchObject({ entitled: 20, carriedOver: 5, remaining: 25 });
			expect(await balance(acme, frugal.id, sick.id, 2031)).toMatchObject({ entitled: 10, carriedOver: 0, remaining: 10 });
			expect(await balance(acme, planned.id, annual.id, 2031)).toMatchObject({ entitled: 25, carriedOver: 6, remaining: 31 });
			expect(await balance(acme, leaver.id, annual.id, 2031)).toMatchObject({ entitled: 0, carriedOver: 0 });
			// Another tenant's people roll over with their own type's allowance and cap.
			expect(await balance(globex, abroad.id, globexAnnual.id, 2031)).toMatchObject({ entitled: 30, carriedOver: 10, remaining: 40 });

			// The same slot again runs nothing; a later slot of the same year runs and changes nothing.
			expect(await runJob(Jobs.leaveRollover, "2031-01-01T00:05:00Z")).toMatchObject({
				ran: false,
				outcome: "skipped",
				run: { status: "done", attempts: 1 }
			});
			const again = await runJob(Jobs.leaveRollover, "2031-01-02T00:05:00Z");
			expect(again.run?.result).toMatchObject({ created: 0, added: 0, unchanged: 5 });
			expect(await balance(acme, planned.id, annual.id, 2031)).toMatchObject({ entitled: 25, carriedOver: 6 });
			expect(await balance(acme, frugal.id, annual.id, 2031)).toMatchObject({ carriedOver: 5 });

			// On the audit trail as the job's: three entitlements made, one added to; the later slot wrote none.
			const rolled = await awaitAuditTrail(url, acme, { action: "leave.leaveRollover" }, 4);
			expect(rolled).toHaveLength(4);
			for (const row of rolled)
				expect(row).toMatchObject({
					actor: { userId: "system", role: "system", job: "leave.leaveRollover" },
					requestId: null,
					target: { type: "leaveEntitlement" }
				});
			expect(rolled.filter(r => r.operation === "created")).toHaveLength(3);
			expect(rolled.find(r => r.operation === "updated")!.changes).toEqual({ carriedOver: { from: 1, to: 6 }, rolledOverFrom: { from: null, to: 2030 } });
		});

		it("keeps the runs for operators: jobRuns lists them newest first, and the REPL's `jobs` shows and runs them", async () => {
			const runs: Array<{ _id: string; status: string }> = await system.broker.call("leave.jobRuns", { job: Jobs.leaveRollover });
			expect(runs.slice(0, 2).map(r => r._id)).toEqual(["leaveRollover:2031-01-02T00:05:00.000Z", "leaveRollover:2031-01-01T00:05:00.000Z"]);
			const listed = await jobsCommand(system.broker, "leaveRollover", undefined, undefined);
			expect(listed.split("\n")[0]).toMatch(/^2031-01-02T00:05:00.000Z\s+leaveRollover\s+done\s+attempts 1 /);
			const ran = JSON.parse(await jobsCommand(system.broker, "run", "leaveRollover", "2031-01-03T00:05:00Z"));
			expect(ran).toMatchObject({ ran: true, outcome: "done", run: { result: { created: 0, added: 0 } } });
			expect(await jobsCommand(system.broker, "run", "nightlyBackup", undefined)).toMatch(/Which job\?/);
			// A name it does not know lists nothing, rather than every job as if none had been named.
			expect(await jobsCommand(system.broker, "leaveRolover", undefined, undefined)).toMatch(/^Which job\? .*\(got "leaveRolover"\)/);
		});

		it("moves the carry-over with the closed year: a late request takes it back, a rejection gives it back, and days spent in the new year are not spent twice", async () => {
			const [late, returned] = await Promise.all([hire(url, acme), hire(url, acme)]);
			await entitle(url, acme, late.id, annual.id, 2030, 20);
			await entitle(url, acme, returned.id, annual.id, 2030, 20);
			const pending = await requestLeave(url, acme, { employeeId: returned.id, leaveTypeId: annual.id, startDate: "2030-03-04", endDate: "2030-03-27" });
			await runJob(Jobs.leaveRollover, "2031-01-04T00:05:00Z");
			expect(await balance(acme, late.id, annual.id, 2031)).toMatchObject({ carriedOver: 5, remaining: 25 });
			expect(await balance(acme, returned.id, annual.id, 2031)).toMatchObject({ carriedOver: 2, remaining: 22 });

			// December filed in January: ten days leave ten, still five to carry; ten more leave none.
			const december = (startDate: string, endDate: string) =>
				api().post("/leave-requests", acme, { employeeId: late.id, leaveTypeId: annual.id, startDate, endDate });
			expect((await december("2030-12-02", "2030-12-13")).status).toBe(201);
			expect(await balance(acme, late.id, annual.id, 2031)).toMatchObject({ carriedOver: 5, remaining: 25 });
			const last = await december("2030-12-16", "2030-12-27");
			expect(last.status).toBe(201);
			expect(await balance(acme, late.id, annual.id, 2030)).toMatchObject({ remaining: 0 });
			expect(await balance(acme, late.id, annual.id, 2031)).toMatchObject({ carriedOver: 0, remaining: 20 });
			// Cancelled, its days are carried again.
			expect((await api().post(`/leave-requests/${last.body.id}/cancel`, acme)).status).toBe(200);
			expect(await balance(acme, late.id, annual.id, 2031)).toMatchObject({ carriedOver: 5, remaining: 25 });

			// Once the carried days are spent in 2031, 2030 cannot take them back: 422, and nothing moves.
			expect(
				(await api().post("/leave-requests", acme, { employeeId: late.id, leaveTypeId: annual.id, startDate: "2031-02-03", endDate: "2031-03-03" }))
					.status
			).toBe(201);
			const twice = await december("2030-12-16", "2030-12-27");
			expect(twice.status).toBe(422);
			expect(twice.body.data[0]).toMatchObject({ field: "leaveTypeId", type: "insufficientBalance" });
			expect(twice.body.data[0].message).toContain("2030 carried into 2031, where only 4 remain");
			expect(await balance(acme, late.id, annual.id, 2031)).toMatchObject({ carriedOver: 5, remaining: 4 });

			// A request pending at the roll-over, rejected after it: the days it held are carried after all.
			expect((await api().post(`/leave-requests/${pending.id}/reject`, acme, {})).status).toBe(200);
			expect(await balance(acme, returned.id, annual.id, 2031)).toMatchObject({ carriedOver: 5, remaining: 25 });
		});
	});

	// ---- Interview reminders -------------------------------------------------------------

	describe("interview reminders", () => {
		let company: Company;
		let reminders: ChannelProbe<InterviewReminderEvent & { tenantId: string; eventId: string }>;
		const api = () => recruitmentClient(url);

		beforeAll(async () => {
			company = await setUpCompany(url, "Acme Hiring");
			reminders = await channelProbe(system.broker, "test-interview-reminders", RecruitmentEvents.interviewReminder);
		});
		afterAll(() => reminders?.stop());

		it("reminds the interviewers once of each interview before the end of the next day, again after a reschedule", async () => {
			const slot = "2031-05-06T07:00:00.000Z";
			const schedule = async (at: string) => {
				const { application, candidate } = await applicationAt(url, company, "interview");
				return { interview: await scheduleInterview(url, company, application.id, at), candidate };
			};
			const tomorrow = await schedule("2031-05-07T15:00:00Z");
			const later = await schedule("2031-05-08T00:00:00Z");
			const earlier = await schedule("2031-05-06T06:00:00Z");
			expect(tomorrow.interview.remindedAt).toBeNull();

			const run = await runJob(Jobs.interviewReminders, slot);
			expect(run).toMatchObject({ ran: true, outcome: "done" });
			expect(run.run?.result).toMatchObject({ reminded: 1 });

			const reminded = await api().get(`/interviews/${tomorrow.interview.id}`, company.hr);
			expect(reminded.body).toMatchObject({ remindedAt: slot });
			expect(reminded.body).not.toHaveProperty("_outbox");
			for (const other of [later, earlier]) expect((await api().get(`/interviews/${other.interview.id}`, company.hr)).body.remindedAt).toBeNull();
			const [remindedRecord] = await awaitAuditTrail(url, company.owner, { targetId: tomorrow.interview.id, action: "recruitment.interviewReminders" });
			expect(remindedRecord).toMatchObject({
				actor: { userId: "system", job: "recruitment.interviewReminders" },
				changes: { remindedAt: { from: null, to: slot } }
			});

			await eventually(() => expect(reminders.seen.filter(e => e.interviewId === tomorrow.interview.id)).toHaveLength(1));
			expect(reminders.seen.find(e => e.interviewId === tomorrow.interview.id)).toMatchObject({
				tenantId: company.owner.tenant.id,
				candidateId: tomorrow.candidate.id,
				scheduledAt: "2031-05-07T15:00:00.000Z",
				interviewerIds: [company.interviewer.id],
				openingId: tomorrow.interview.openingId
			});

			// A later slot the same day finds nothing new to remind.
			expect((await runJob(Jobs.interviewReminders, "2031-05-06T08:00:00Z")).run?.result).toMatchObject({ reminded: 0 });
			// The next morning the interview of the day after is due; the one already reminded is not again.
			expect((await runJob(Jobs.interviewReminders, "2031-05-07T07:00:00Z")).run?.result).toMatchObject({ reminded: 1 });

			// Rescheduled: a new time to be reminded of.
			const moved = await api().patch(`/interviews/${tomorrow.interview.id}`, company.hr, { scheduledAt: "2031-05-09T10:00:00Z" });
			expect(moved.status).toBe(200);
			expect(moved.body.remindedAt).toBeNull();
			expect((await runJob(Jobs.interviewReminders, "2031-05-08T07:00:00Z")).run?.result).toMatchObject({ reminded: 1 });
			await eventually(() =>
				expect(reminders.seen.filter(e => e.interviewId === tomorrow.interview.id).map(e => e.scheduledAt)).toEqual([
					"2031-05-07T15:00:00.000Z",
					"2031-05-09T10:00:00.000Z"
				])
			);
			expect(new Set(reminders.seen.map(e => e.eventId)).size).toBe(reminders.seen.length);
		});

		it("does not remind of an interview that already has its result", async () => {
			const { application } = await applicationAt(url, company, "interview");
			const interview = await scheduleInterview(url, company, application.id, "2031-06-02T09:00:00Z");
			expect((await api().patch(`/interviews/${interview.id}`, company.hr, { result: "no_show" })).status).toBe(200);
			expect((await runJob(Jobs.interviewReminders, "2031-06-01T07:00:00Z")).run?.result).toMatchObject({ reminded: 0 });
			expect((await api().get(`/interviews/${interview.id}`, company.hr)).body.remindedAt).toBeNull();
		});
	});

	// ---- Expired invitations -------------------------------------------------------------

	describe("expired invitations", () => {
		let owner: Signup;
		const users = () => leaveClient(url);

		async function invite(role = "employee"): Promise<{ id: string; email: string }> {
			const email = uniqueEmail("late");
			const res = await users().post("/users", owner, { email, name: "Lena Late", role });
			expect(res.status).toBe(201);
			return { id: res.body.id, email };
		}

		beforeAll(async () => {
			owner = await signup(url, "Acme Invitations");
		});

		it("marks a membership whose invitation expired as expired: listed so, not acceptable, and invited again on request", async () => {
			const late = await invite();
			const oldToken = tokenOf(await mailTo(late.email, "invitation"));
			// Eight days on, the seven-day link has expired.
			const eightDays = new Date(Date.now() + 8 * 24 * 3600_000);
			const run = await runJob(Jobs.expireInvitations, eightDays.toISOString());
			expect(run).toMatchObject({ ran: true, outcome: "done" });
			expect((run.run?.result as { expired: number }).expired).toBeGreaterThanOrEqual(1);

			expect((await users().get(`/users/${late.id}`, owner)).body.status).toBe("expired");
			const listed = await users().get("/users", owner, { status: "expired" });
			expect(listed.status).toBe(200);
			expect(JSON.stringify(listed.body)).toContain(late.id);
			// The job ran a week ahead, so by the clock the link still has days left (past them it says 410
			// LINK_EXPIRED by itself): the expired membership is what refuses it.
			const refused = await request(url).post("/api/v1/auth/activate").send({ token: oldToken, password: PASSWORD });
			expect(refused.status).toBe(422);
			expect(refused.body.data).toEqual([expect.objectContaining({ field: "token", message: "The invitation was withdrawn." })]);
			expect((await users().get(`/users/${late.id}`, owner)).body.status).toBe("expired");

			// Sent again: a new link works, the old one does not.
			const again = await users().post(`/users/${late.id}/invitation`, owner);
			expect(again.status).toBe(201);
			expect(again.headers.location).toBe(`/api/v1/users/${late.id}`);
			expect(again.body).toMatchObject({ id: late.id, status: "invited" });
			const newToken = tokenOf(await mailTo(late.email, "invitation"));
			expect(newToken).not.toBe(oldToken);
			expect((await request(url).post("/api/v1/auth/activate").send({ token: oldToken, password: PASSWORD })).status).toBe(422);
			const joined = await request(url).post("/api/v1/auth/activate").send({ token: newToken, password: PASSWORD });
			expect(joined.status).toBe(200);
			expect((await users().get(`/users/${late.id}`, owner)).body.status).toBe("active");

			// The trail: expired by the job, invited again by the owner, joined by the person.
			const rows = await awaitAuditTrail(url, owner, { targetType: "user", targetId: late.id, operation: "updated" }, 3);
			const byAction = Object.fromEntries(rows.map(r => [r.action, r]));
			expect(byAction["identity.expireInvitations"]).toMatchObject({
				actor: { userId: "system", job: "identity.expireInvitations" },
				changes: { status: { from: "invited", to: "expired" } }
			});
			expect(byAction["identity.reinviteUser"]).toMatchObject({
				actor: { userId: owner.user.id, role: "owner" },
				changes: { status: { from: "expired", to: "invited" }, invitationLink: { from: "changed", to: "changed" } }
			});
			expect(byAction["identity.activate"]).toMatchObject({ actor: { userId: late.id }, changes: { status: { from: "invited", to: "active" } } });
		});

		it("leaves alone a membership that still has a live link, and one that joined", async () => {
			const waiting = await invite();
			const run = await runJob(Jobs.expireInvitations, new Date(Date.now() + 3600_000).toISOString());
			expect(run.outcome).toBe("done");
			expect((await users().get(`/users/${waiting.id}`, owner)).body.status).toBe("invited");
		});

		it("sends again only an invitation nobody followed: 409 for an active user, 404 for another company's, 403 below the role", async () => {
			const other = await signup(url, "Other Invitations");
			const res = await users().post(`/users/${owner.user.id}/invitation`, owner);
			expect(res.status).toBe(409);
			expect((await users().post(`/users/${owner.user.id}/invitation`, other)).status).toBe(404);
			const hrEmail = uniqueEmail("hr");
			const hrInvite = await users().post("/users", owner, { email: hrEmail, name: "Hanna HR", role: "hr" });
			const hrToken = tokenOf(await mailTo(hrEmail, "invitation"));
			const hr = await request(url).post("/api/v1/auth/activate").send({ token: hrToken, password: PASSWORD });
			expect(hr.status).toBe(200);
			const admin = await users().post("/users", owner, { email: uniqueEmail("admin"), name: "Ada Admin", role: "admin" });
			expect((await users().post(`/users/${admin.body.id}/invitation`, { accessToken: hr.body.accessToken })).status).toBe(403);
			expect((await users().post(`/users/${hrInvite.body.id}/invitation`, { accessToken: hr.body.accessToken })).status).toBe(409);
			const unknownField = await users().post(`/users/${hrInvite.body.id}/invitation`, owner, { email: "x@example.com" });
			expect(unknownField.status).toBe(422);
			expect(JSON.stringify(unknownField.body)).toContain("email");
		});

		it("removes links a month past their expiry, so following one is no longer even 'expired'", async () => {
			const gone = await invite();
			const token = tokenOf(await mailTo(gone.email, "invitation"));
			const run = await runJob(Jobs.expireInvitations, new Date(Date.now() + 40 * 24 * 3600_000).toISOString());
			expect((run.run?.result as { linksRemoved: number }).linksRemoved).toBeGreaterThanOrEqual(1);
			expect((await request(url).post("/api/v1/auth/activate").send({ token, password: PASSWORD })).status).toBe(422);
			expect((await users().get(`/users/${gone.id}`, owner)).body.status).toBe("expired");
		});
	});

	describe("pruning the records of durable events", () => {
		type Pruned = DbService & { store(name: string): Store };
		const day = 24 * 3600_000;
		const local = (name: string) => system.broker.getLocalService(name) as Pruned;

		itInProcess("handled-event records go once they are past every redelivery (30 days), not before", async () => {
			const store = local("identity").store("identity_handled_events");
			const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day).toISOString();
			await store.insert({ _id: "test:old", group: "identity", eventId: "old", tenantId: "t", at: at(31) });
			await store.insert({ _id: "test:recent", group: "identity", eventId: "recent", tenantId: "t", at: at(29) });
			const answer = await runJob(Jobs.identityHandledPrune, new Date().toISOString());
			expect(answer).toMatchObject({ ran: true, outcome: "done" });
			expect(await store.findById("test:old")).toBeNull();
			expect(await store.findById("test:recent")).not.toBeNull();
		});

		itInProcess("dead letters go 30 days after their replay, or after 90 days unreplayed", async () => {
			const letters = local("deadLetters").adapter;
			const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day).toISOString();
			const letter = (id: string, fields: object) =>
				letters.insert({ _id: id, tenantId: "t", channel: "c", group: "g", payload: {}, deaths: 1, ...fields });
			await letter("replayed-long-ago", { state: "replayed", deadAt: at(60), replayedAt: at(31) });
			await letter("replayed-lately", { state: "replayed", deadAt: at(60), replayedAt: at(29) });
			await letter("dead-long", { state: "dead", deadAt: at(91), replayedAt: null });
			await letter("dead-waiting", { state: "dead", deadAt: at(89), replayedAt: null });
			await runJob(Jobs.deadLettersPrune, new Date().toISOString());
			const left = (await letters.find({ query: { tenantId: "t" } })).map((l: { _id: string }) => l._id).sort();
			expect(left).toEqual(["dead-waiting", "replayed-lately"]);
		});
	});
});
