/**
 * Notification mail by SMTP (SMTP_URL), against a tiny SMTP server of the test's own: a
 * server that refuses the message makes the delivery fail, the channel retries it
 * CHANNEL_MAX_RETRIES times with growing waits, and it lands in the dead-letter queue, where an
 * admin finds it; once the server accepts again, a replay from the API delivers it exactly once.
 *
 * The configuration is read once per process, so SMTP_URL is set before the system is loaded
 * (a dynamic import in beforeAll). One process only: a cluster's nodes read their own.
 */
import { randomUUID } from "node:crypto";
import request from "supertest";
import type { Config } from "../../lib/config";
import { IdentityEvents } from "../../lib/names";
import { DELIVERIES_METRIC } from "../../services/data/notifications.parts/delivery";
import type { Notification } from "../../lib/names/notifications";
import { eventually } from "../support/cluster-topology";
import { type Signup, bearer, createUser, signup } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { scrape, valueOf } from "../support/metrics";
import { freePort } from "../support/ports";
import { type FakeSmtpServer, startFakeSmtpServer } from "../support/smtp-server";

jest.setTimeout(120_000);

const MAX_RETRIES = 3;
const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe("notification mail by SMTP", () => {
	let smtp: FakeSmtpServer;
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let cfg: Config;
	let metricsPort: number;

	beforeAll(async () => {
		smtp = await startFakeSmtpServer("451 4.3.0 Mailbox busy, try again later");
		metricsPort = await freePort();
		process.env.SMTP_URL = smtp.url;
		process.env.SMTP_TIMEOUT = "3000";
		const { config } = await import("../../lib/config");
		const { startLocalSystem } = await import("../support/local-system");
		cfg = config();
		system = await startLocalSystem(
			{ roster: { ...cfg, rateLimit: { ...cfg.rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } } },
			{ CHANNEL_MAX_RETRIES: String(MAX_RETRIES), CHANNEL_RETRY_DELAY: "100", METRICS_PORT: String(metricsPort) }
		);
		url = system.url;
		acme = await signup(url, "Acme");
	});
	afterAll(async () => {
		await system?.stop();
		await smtp?.close();
	});

	it("is configured from SMTP_URL", () => {
		expect(cfg.mail.smtpUrl?.replace(/\/$/, "")).toBe(smtp.url);
		expect(system.broker.getLocalService("notifications")).toMatchObject({ transports: { mail: { kind: "smtp" } } });
	});

	it("a refused message is retried, then dead-lettered; an admin's replay after the server recovers delivers it once", async () => {
		const admin = await createUser(url, acme, "admin");
		const invitee = randomUUID();
		await system.broker.sendToChannel!(IdentityEvents.invitationSent, {
			eventId: randomUUID(),
			tenantId: acme.tenant.id,
			at: new Date().toISOString(),
			userId: invitee,
			email: "newcomer@example.test",
			invitedBy: acme.user.id
		});

		// The inbox has it at once, whatever the mail does.
		await eventually(async () => {
			const rows: Notification[] = (await request(url).get("/api/v1/notifications").set(bearer(acme.accessToken))).body.rows;
			expect(rows.filter(n => n.data.userId === invitee)).toHaveLength(1);
		}, 20_000);

		// Refused on every delivery, then in the dead-letter queue for the tenant's admins.
		// This event's only: other mail (the admin's invitation, once identity publishes it) fails alike.
		const ours = (text: string) => text.includes("newcomer@example.test");
		const deadLetters = async () =>
			(
				(await request(url).get("/api/v1/admin/dead-letters?channel=notifications.delivery").set(bearer(admin.accessToken))).body.rows as Array<{
					id: string;
					group: string;
					state: string;
					event: { to: string; medium: string; text: string };
				}>
			).filter(l => ours(l.event.text));
		const offered = () => smtp.offered.filter(m => ours(m.data));
		const received = () => smtp.received.filter(m => ours(m.data));
		await eventually(async () => expect(await deadLetters()).toHaveLength(1), 30_000);
		const [letter] = await deadLetters();
		expect(letter).toMatchObject({ group: "notifications", state: "dead", event: { to: acme.email, medium: "email" } });
		expect(offered()).toHaveLength(MAX_RETRIES);
		expect(received()).toEqual([]);

		// Fixed, then replayed: delivered once.
		smtp.refusing = null;
		const replayed = await request(url).post(`/api/v1/admin/dead-letters/${letter.id}/replay`).set(bearer(admin.accessToken)).send({});
		expect(replayed.status).toBe(202);
		await eventually(() => expect(received()).toHaveLength(1), 20_000);
		const [mail] = received();
		expect(mail.to).toEqual([acme.email]);
		expect(mail.data).toMatch(/^Subject: Acme: Invitation sent$/m);
		expect(mail.data).toContain("newcomer@example.test");
		expect(mail.data).toMatch(new RegExp(`^From: ${cfg.mail.from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));

		// A second replay is refused; nothing more is sent.
		expect((await request(url).post(`/api/v1/admin/dead-letters/${letter.id}/replay`).set(bearer(admin.accessToken)).send({})).status).toBe(409);
		await pause(1000);
		expect(received()).toHaveLength(1);
		expect(offered()).toHaveLength(MAX_RETRIES + 1);

		// Counted on the node's metrics port: at least ours (other mail fails and goes alike).
		const { samples } = await scrape(metricsPort);
		const count = (result: string) => valueOf(samples, DELIVERIES_METRIC.replace(/\./g, "_"), { medium: "email", transport: "smtp", result });
		expect(count("failed")).toBeGreaterThanOrEqual(MAX_RETRIES);
		expect(count("sent")).toBeGreaterThanOrEqual(1);
	});

	it("a server that never answers fails each delivery after SMTP_TIMEOUT, not the ack wait: dead-lettered, then replayed", async () => {
		smtp.silent = true;
		const admin = await createUser(url, acme, "admin");
		await system.broker.sendToChannel!(IdentityEvents.invitationSent, {
			eventId: randomUUID(),
			tenantId: acme.tenant.id,
			at: new Date().toISOString(),
			userId: randomUUID(),
			email: "hanging@example.test",
			invitedBy: acme.user.id
		});
		const ours = (text: string) => text.includes("hanging@example.test");
		const deadLetters = async () =>
			(
				(await request(url).get("/api/v1/admin/dead-letters?channel=notifications.delivery&state=dead").set(bearer(admin.accessToken))).body
					.rows as Array<{
					id: string;
					event: { text: string };
				}>
			).filter(l => ours(l.event.text));
		// Three deliveries of about SMTP_TIMEOUT (3 s) each, and the waits between them.
		await eventually(async () => expect(await deadLetters()).toHaveLength(1), 60_000);
		smtp.silent = false;
		const [letter] = await deadLetters();
		expect((await request(url).post(`/api/v1/admin/dead-letters/${letter.id}/replay`).set(bearer(admin.accessToken)).send({})).status).toBe(202);
		await eventually(() => expect(smtp.received.filter(m => ours(m.data))).toHaveLength(1), 20_000);
	});
});
