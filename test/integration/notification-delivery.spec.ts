/**
 * Notifications by email and text message, as people receive them from the default file
 * sinks (MAIL_DIR, SMS_DIR): each user's preferences choose the channels, per type where they
 * say so; a text message needs a phone on the person's employee record; a delivery handled
 * once is not sent again when it comes again. SMTP and its failures: notification-smtp.spec.ts.
 */
import { randomUUID } from "node:crypto";
import request from "supertest";
import type { DomainEvent } from "../../lib/channels/events";
import { config } from "../../lib/config";
import { type SentMail, readMailbox } from "../../lib/mail/sink";
import { LeaveEvents, RecruitmentEvents } from "../../lib/names";
import { readSmsBox } from "../../lib/notifications/file-transports";
import { DELIVERY_CHANNEL, type DeliveryEvent } from "../../services/data/notifications.parts/shared";
import { channelProbe } from "../support/channels";
import { eventually } from "../support/cluster-topology";
import { type HiredEmployee, hire, linkedUser } from "../support/employees";
import { type Session, type Signup, bearer, signup } from "../support/http";
import { type RunningSystem, startLocalSystem } from "../support/local-system";

jest.setTimeout(120_000);

const ROOMY = { roster: { ...config(), rateLimit: { ...config().rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } } };
const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

type User = { id: string; email: string } & Session;

describe("notifications by email and text message (file sinks)", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let managerEmployee: HiredEmployee;
	let manager: User;
	let employee: HiredEmployee;
	let worker: User;
	const phone = `+44 20 7946 ${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`;

	const choose = async (as: Session, prefs: object) => {
		const res = await request(url).put("/api/v1/notifications/preferences").set(bearer(as.accessToken)).send(prefs);
		expect(res.status).toBe(200);
	};
	const notificationMail = async (to: string): Promise<SentMail[]> => (await readMailbox(config().mail.dir, to)).filter(m => m.kind === "notification");
	const texts = () => readSmsBox(config().mail.smsDir, phone);

	async function publish<T extends object>(channel: string, payload: T): Promise<DomainEvent<T>> {
		const event = { eventId: randomUUID(), tenantId: acme.tenant.id, at: new Date().toISOString(), ...payload } as DomainEvent<T>;
		await system.broker.sendToChannel!(channel, event);
		return event;
	}
	const decided = (requestId: string, status = "approved") =>
		publish(LeaveEvents.requestDecided, { requestId, employeeId: employee.id, status, decidedBy: manager.id, requestedBy: worker.id });
	const interview = (interviewId: string) =>
		publish(RecruitmentEvents.interviewScheduled, {
			interviewId,
			applicationId: randomUUID(),
			openingId: randomUUID(),
			candidateId: randomUUID(),
			scheduledAt: "2025-09-01T09:00:00.000Z",
			interviewerIds: [managerEmployee.id]
		});
	const inboxHas = async (as: Session, key: string, value: string) => {
		await eventually(async () => {
			const rows: Array<{ data: Record<string, unknown> }> = (await request(url).get("/api/v1/notifications?pageSize=100").set(bearer(as.accessToken)))
				.body.rows;
			expect(rows.some(n => n.data[key] === value)).toBe(true);
		}, 20_000);
	};

	beforeAll(async () => {
		system = await startLocalSystem(ROOMY);
		url = system.url;
		acme = await signup(url, "Acme");
		managerEmployee = await hire(url, acme, { firstName: "Mona", lastName: "Manager" });
		manager = await linkedUser(url, acme, "manager", managerEmployee.id);
		employee = await hire(url, acme, { firstName: "Eli", lastName: "Worker", managerId: managerEmployee.id, phone });
		worker = await linkedUser(url, acme, "employee", employee.id);
	});
	afterAll(() => system?.stop());

	it("an email reaches the recipient's mailbox, by default, its subject naming the company, once however often its delivery comes", async () => {
		const probe = await channelProbe<DeliveryEvent>(system.broker, "delivery-probe", DELIVERY_CHANNEL);
		try {
			const requestId = randomUUID();
			await decided(requestId);
			let mails: SentMail[] = [];
			await eventually(async () => {
				mails = (await notificationMail(worker.email)).filter(m => m.text.includes("approved"));
				expect(mails).toHaveLength(1);
			}, 20_000);
			expect(mails[0]).toMatchObject({
				to: worker.email,
				kind: "notification",
				// A person may work for several companies: the subject says which one.
				subject: "Acme: Leave request approved",
				text: expect.stringContaining("Your leave request was approved")
			});
			// No text message: SMS is off until the user chooses it.
			expect(await texts()).toEqual([]);

			// The delivery comes again (a redelivery, a replay): it was sent, so it is not sent again.
			const delivery = probe.seen.find(d => d.to === worker.email && d.medium === "email");
			expect(delivery).toBeDefined();
			await system.broker.sendToChannel!(DELIVERY_CHANNEL, delivery);
			// Deliveries are handled in order: once a later mail is there, the redelivery was handled.
			await decided(randomUUID(), "rejected");
			await eventually(
				async () => expect((await notificationMail(worker.email)).some(m => m.subject === "Acme: Leave request rejected")).toBe(true),
				20_000
			);
			const after = (await notificationMail(worker.email)).filter(m => m.text.includes("approved"));
			expect(after).toEqual(mails);
		} finally {
			await probe.stop();
		}
	});

	it("a user who chose text messages gets one at their employee record's phone, and no mail when they turned it off", async () => {
		await choose(worker, { email: false, sms: true });
		const mailsBefore = (await notificationMail(worker.email)).length;
		const requestId = randomUUID();
		await decided(requestId, "rejected");
		await eventually(async () => expect((await texts()).filter(t => t.text.includes("rejected"))).toHaveLength(1), 20_000);
		const [sms] = (await texts()).filter(t => t.text.includes("rejected"));
		expect(sms).toMatchObject({ to: phone, text: "Leave request rejected: Your leave request was rejected." });
		await pause(300);
		expect(await notificationMail(worker.email)).toHaveLength(mailsBefore);
		await choose(worker, { email: true, sms: false });
	});

	it("per type: mail for interviews only; a text message without a phone on record is skipped, the inbox still gets it", async () => {
		// The manager's employee record has no phone.
		await choose(manager, { email: false, sms: true, types: { "interview.scheduled": { email: true } } });
		const skipped = randomUUID();
		await publish(LeaveEvents.requested, {
			requestId: skipped,
			employeeId: employee.id,
			leaveTypeId: randomUUID(),
			startDate: "2025-07-01",
			endDate: "2025-07-01",
			days: 1,
			requestedBy: worker.id
		});
		await inboxHas(manager, "requestId", skipped);
		const interviewId = randomUUID();
		await interview(interviewId);
		await eventually(async () => expect((await notificationMail(manager.email)).map(m => m.subject)).toEqual(["Acme: Interview scheduled"]), 20_000);
		await inboxHas(manager, "interviewId", interviewId);
		expect((await notificationMail(manager.email)).some(m => m.subject.includes("Leave"))).toBe(false);
	});
});
