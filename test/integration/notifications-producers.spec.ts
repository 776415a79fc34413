/**
 * Notifications from the real producers' outboxes: a leave request, its decision, an interview
 * and an invitation made over REST reach the right inboxes (and the mail sink).
 */
import request from "supertest";
import { config } from "../../lib/config";
import { readMailbox } from "../../lib/mail/sink";
import type { Notification } from "../../lib/names";
import { eventually } from "../support/cluster-topology";
import { bearer, createUser } from "../support/http";
import { entitle, leaveType, person, requestLeave, workWeek } from "../support/leave";
import { type RunningSystem, startLocalSystem } from "../support/local-system";
import { accept, sentOffer } from "../support/onboarding";
import { type Company, applicationAt, client, setUpCompany } from "../support/recruitment";

jest.setTimeout(120_000);
const ROOMY = { roster: { ...config(), rateLimit: { ...config().rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } } };

describe("notifications from the producers", () => {
	let system: RunningSystem;
	let url: string;
	let company: Company;
	const inbox = async (as: { accessToken: string }): Promise<Notification[]> =>
		(await request(url).get("/api/v1/notifications?pageSize=100").set(bearer(as.accessToken))).body.rows;
	const has = (as: { accessToken: string }, type: string, key: string, value: string) =>
		eventually(async () => expect((await inbox(as)).filter(n => n.type === type && n.data[key] === value)).toHaveLength(1), 20_000);

	beforeAll(async () => {
		system = await startLocalSystem(ROOMY);
		url = system.url;
		company = await setUpCompany(url, "Producers");
	});
	afterAll(() => system?.stop());

	it("leave: the request reaches the manager, the decision the requester", async () => {
		const worker = await person(url, company.owner, "employee", company.hiringManager.id);
		const type = await leaveType(url, company.owner, { name: "Vacation" });
		await entitle(url, company.owner, worker.employeeId, type.id, 2030, 20);
		const asked = await requestLeave(url, worker, { leaveTypeId: type.id, ...workWeek(3) });
		await has(company.manager, "leave.requested", "requestId", asked.id);
		const approved = await client(url).post(`/leave-requests/${asked.id}/approve`, company.manager, {});
		expect(approved.status).toBe(200);
		await has(worker, "leave.decided", "requestId", asked.id);
		const me = await request(url).get("/api/v1/me").set(bearer(worker.accessToken));
		await eventually(
			async () =>
				expect(
					(await readMailbox(config().mail.dir, me.body.user?.email ?? me.body.email)).some(m => m.subject === "Producers: Leave request approved")
				).toBe(true),
			20_000
		);
	});

	it("leave: a manager who may no longer decide (demoted, or their account disabled) is not told; staff are", async () => {
		const type = await leaveType(url, company.owner, { name: "Holiday from a manager who cannot decide" });
		const demoted = await person(url, company.owner, "manager");
		const disabled = await person(url, company.owner, "manager");
		expect((await client(url).patch(`/users/${demoted.userId}`, company.owner, { role: "employee" })).status).toBe(200);
		expect((await client(url).del(`/users/${disabled.userId}`, company.owner)).status).toBe(204);
		for (const [boss, week] of [
			[demoted, 5],
			[disabled, 6]
		] as const) {
			const worker = await person(url, company.owner, "employee", boss.employeeId);
			await entitle(url, company.owner, worker.employeeId, type.id, 2030, 20);
			const asked = await requestLeave(url, worker, { leaveTypeId: type.id, ...workWeek(week) });
			await has(company.hr, "leave.requested", "requestId", asked.id);
			expect((await inbox(demoted)).some(n => n.data.requestId === asked.id)).toBe(false);
		}
	});

	it("an interview reaches its interviewers; an invitation the one who invited", async () => {
		const { application } = await applicationAt(url, company, "interview");
		const res = await client(url).post("/interviews", company.hr, {
			applicationId: application.id,
			scheduledAt: "2030-03-01T09:00:00Z",
			interviewerIds: [company.hiringManager.id]
		});
		expect(res.status).toBe(201);
		await has(company.manager, "interview.scheduled", "interviewId", res.body.id);
		const invited = await createUser(url, company.hr, "employee");
		await has(company.hr, "invitation.sent", "userId", invited.id);
	});

	it("the reminder job tells the interviewers the day before", async () => {
		const { application } = await applicationAt(url, company, "interview");
		const res = await client(url).post("/interviews", company.hr, {
			applicationId: application.id,
			scheduledAt: "2031-06-12T09:00:00Z",
			interviewerIds: [company.hiringManager.id]
		});
		expect(res.status).toBe(201);
		await system.broker.call("recruitment.runJob", { job: "interviewReminders", at: "2031-06-11T08:00:00Z" });
		await has(company.manager, "interview.reminder", "interviewId", res.body.id);
	});

	it("a hire reaches HR and the new hire's manager", async () => {
		const offer = await sentOffer(url, company);
		const hired = await accept(url, company.hr, offer.offer.id);
		expect(hired.status).toBe(201);
		await has(company.hr, "employee.hired", "employeeId", hired.body.employee.id);
		await has(company.manager, "employee.hired", "employeeId", hired.body.employee.id);
	});
});
