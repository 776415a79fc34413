/**
 * Durable domain events end to end, through the real services and the REST API: employees
 * writes employees.changed with the change itself (the outbox), every consumer group gets it,
 * a consumer that keeps failing is retried with growing waits and then dead-lettered, and the
 * tenant's owners and admins list the dead letter and replay it to that consumer, once.
 *
 * In one process (the in-process adapter; the outbox on NeDB and again on PostgreSQL) and on
 * a cluster (JetStream: the probes are consumer groups on the test's client node).
 */
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { type Service, ServiceBroker } from "moleculer";
import { connect } from "nats";
import request from "supertest";
import type { DomainEvent } from "../../lib/channels/events";
import type { Changes } from "../../lib/employees/history";
import { AuditEvents } from "../../lib/names/audit";
import { EmployeeEvents } from "../../lib/names";
import { awaitAuditTrail } from "../support/audit";
import { channelProbe } from "../support/channels";
import { clusterTopology, eventually, itInProcess } from "../support/cluster-topology";
import { hire } from "../support/employees";
import { NATS_URL, REDIS_URL, describeWith } from "../support/external";
import { deleteStreams } from "../support/jetstream";
import { type Session, type Signup, bearer, createUser, signup } from "../support/http";
import { type RunningSystem, startLocalSystem } from "../support/local-system";
import { config, loadConfig } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";
import { suiteTimeout } from "../support/timeouts";

suiteTimeout(90_000);

type Changed = DomainEvent<{ employeeId: string; changes: Changes }>;

/** The status a change event moves the employee to, if it moves it. */
const statusTo = (e: Changed) => (e.changes.status && "to" in e.changes.status ? e.changes.status.to : undefined);

/** The wait before a second delivery: what this suite configures in one process, the default on a cluster's client node. */
const RETRY_DELAY_MS = clusterTopology ? config().channels.retryDelayMs : 100;
const ROOMY = { roster: { ...config(), rateLimit: { ...config().rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } } };

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function start(env: Record<string, string> = {}): Promise<RunningSystem> {
	return startLocalSystem(ROOMY, { CHANNEL_RETRY_DELAY: String(RETRY_DELAY_MS), ...env });
}

/** `env`: the channel adapter's settings in one process (a cluster's are its own: JetStream). */
function deadLetterSuite(
	adapter: string,
	env: () => Record<string, string>,
	cleanup: (env: Record<string, string>) => Promise<void> = async () => undefined
): void {
	describe(`durable events and the dead-letter queue (${adapter})`, () => {
		let settings: Record<string, string>;
		let system: RunningSystem;
		let url: string;
		let acme: Signup;
		let globex: Signup;
		let acmeAdmin: Session & { id: string };
		let acmeHr: Session;

		const deadLetters = (as: Session, query = "") => request(url).get(`/api/v1/admin/dead-letters${query}`).set(bearer(as.accessToken));
		const replay = (as: Session, id: string) => request(url).post(`/api/v1/admin/dead-letters/${id}/replay`).set(bearer(as.accessToken)).send({});
		const terminate = (as: Session, id: string) =>
			request(url).post(`/api/v1/employees/${id}/terminate`).set(bearer(as.accessToken)).send({ date: "2025-06-30", reason: "Left" });

		beforeAll(async () => {
			settings = env();
			system = await start(settings);
			url = system.url;
			[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
			[acmeAdmin, acmeHr] = await Promise.all([createUser(url, acme, "admin"), createUser(url, acme, "hr")]);
		});
		afterAll(async () => {
			await system?.stop();
			await cleanup(settings);
		});

		it("a consumer that keeps failing is retried with growing waits, then dead-lettered; an admin replays it to that consumer once", async () => {
			let failing = true;
			const deliveredAt: number[] = [];
			const employee = await hire(url, acme);
			const mine = (e: Changed) => e.employeeId === employee.id && statusTo(e) === "terminated";
			const flaky = await channelProbe<Changed>(system.broker, "flaky-consumer", EmployeeEvents.changed, {
				maxRetries: 3,
				handle: e => {
					if (!mine(e)) return;
					deliveredAt.push(Date.now());
					if (failing) throw new Error("the consumer's database is away");
				}
			});
			const steady = await channelProbe<Changed>(system.broker, "steady-consumer", EmployeeEvents.changed);
			try {
				expect((await terminate(acme, employee.id)).status).toBe(200);

				// Three deliveries, then the dead-letter queue, where an owner finds it.
				const listed = async () =>
					(await deadLetters(acme, "?channel=employees.changed")).body.rows.find(
						(l: { group: string; event: Changed }) => l.group === "flaky-consumer" && mine(l.event)
					);
				await eventually(async () => expect(await listed()).toBeDefined(), 30_000);
				const letter = await listed();
				expect(letter).toMatchObject({
					channel: EmployeeEvents.changed,
					group: "flaky-consumer",
					state: "dead",
					deaths: 1,
					eventId: expect.any(String)
				});
				// Redis Streams move a message to the dead-letter queue from a loop of the library's own,
				// which a claim may beat by one more delivery (docs/operations.md).
				const deliveries = deliveredAt.length;
				if (adapter === "Redis Streams") expect(deliveries).toBeGreaterThanOrEqual(3);
				else expect(deliveries).toBe(3);
				// Each wait at least the configured delay, the second at least twice it (lower bounds only: a busy machine is slower, never faster).
				expect(deliveredAt[1] - deliveredAt[0]).toBeGreaterThanOrEqual(RETRY_DELAY_MS * 0.9);
				expect(deliveredAt[2] - deliveredAt[1]).toBeGreaterThanOrEqual(2 * RETRY_DELAY_MS * 0.9);
				// The other group handled it once, unaffected.
				expect(steady.seen.filter(mine)).toHaveLength(1);
				expect(steady.seen.find(mine)!.eventId).toBe(letter.eventId);

				// Fixed, then replayed by an admin: one more delivery, to the consumer that failed only.
				failing = false;
				const replayed = await replay(acmeAdmin, letter.id);
				expect(replayed.status).toBe(202);
				expect(replayed.body).toMatchObject({ id: letter.id, state: "replayed", replayedBy: expect.any(String) });
				await eventually(() => expect(deliveredAt).toHaveLength(deliveries + 1), 15_000);
				expect(new Set(flaky.seen.filter(mine).map(e => e.eventId))).toEqual(new Set([letter.eventId]));
				// A second replay would be a second effect: refused, and nothing more arrives.
				expect((await replay(acme, letter.id)).status).toBe(409);
				await pause(1000);
				expect(deliveredAt).toHaveLength(deliveries + 1);
				expect(steady.seen.filter(mine)).toHaveLength(1);
				expect((await deadLetters(acme, "?state=replayed")).body.rows.map((l: { id: string }) => l.id)).toContain(letter.id);
				// On the audit trail: the admin's replay, once (the refused second one records nothing).
				const replays = await awaitAuditTrail(url, acme, { targetType: "deadLetter", targetId: letter.id });
				expect(replays).toEqual([
					expect.objectContaining({
						action: "deadLetters.replay",
						actor: expect.objectContaining({ userId: acmeAdmin.id, role: "admin" }),
						changes: expect.objectContaining({ state: { from: "dead", to: "replayed" } })
					})
				]);
			} finally {
				await flaky.stop();
				await steady.stop();
			}
		});

		it("a tenant's dead letters are its owners' and admins' only: another tenant's is 404, hr is 403, a malformed id is 422 naming it", async () => {
			const employee = await hire(url, acme);
			const mine = (e: Changed) => e.employeeId === employee.id && statusTo(e) === "terminated";
			const broken = await channelProbe<Changed>(system.broker, "broken-consumer", EmployeeEvents.changed, {
				maxRetries: 1,
				handle: e => {
					if (mine(e)) throw new Error("always");
				}
			});
			try {
				expect((await terminate(acme, employee.id)).status).toBe(200);
				let id = "";
				await eventually(async () => {
					const rows = (await deadLetters(acmeAdmin)).body.rows as Array<{ id: string; group: string; event: Changed }>;
					id = rows.find(l => l.group === "broken-consumer" && mine(l.event))?.id ?? "";
					expect(id).not.toBe("");
				}, 30_000);

				expect((await deadLetters(globex)).body.rows.map((l: { id: string }) => l.id)).not.toContain(id);
				expect((await replay(globex, id)).status).toBe(404);
				expect((await deadLetters(acmeHr)).status).toBe(403);
				expect((await replay(acmeHr, id)).status).toBe(403);
				const malformed = await replay(acmeAdmin, "x".repeat(65));
				expect({ status: malformed.status, field: malformed.body.data?.[0]?.field }).toEqual({ status: 422, field: "id" });
				expect((await replay(acmeAdmin, "00000000-0000-4000-8000-000000000000")).status).toBe(404);
				const badFilter = await deadLetters(acme, "?state=lost");
				expect({ status: badFilter.status, field: badFilter.body.data?.[0]?.field }).toEqual({ status: 422, field: "state" });
				// Still dead: none of the refused calls replayed it.
				expect((await deadLetters(acme, "?state=dead")).body.rows.map((l: { id: string }) => l.id)).toContain(id);
			} finally {
				await broken.stop();
			}
		});
	});
}

deadLetterSuite(clusterTopology ? "JetStream" : "in-process", () => ({}));

if (!clusterTopology) {
	describeWith(["redis"], "on Redis Streams", () => {
		// A namespace of its own: the streams are keys on a Redis that other runs share.
		const namespace = `test-${randomUUID().slice(0, 8)}`;
		// Redis Streams retry a failed delivery once it has been idle CHANNEL_ACK_WAIT: kept short here.
		deadLetterSuite(
			"Redis Streams",
			() => ({ CHANNELS: REDIS_URL, CHANNEL_ACK_WAIT: "1000", NAMESPACE: namespace }),
			async () => {
				const redis = new Redis(REDIS_URL);
				const keys = await redis.keys(`${namespace}.*`);
				if (keys.length > 0) await redis.del(...keys);
				redis.disconnect();
			}
		);
	});
}

/**
 * The outbox in the whole system, where a fault can be put between the write and the publish:
 * one process (NeDB). test/integration/outbox.spec.ts runs the outbox itself on every backend.
 */
describe("the outbox of employees", () => {
	let system: RunningSystem;
	let acme: Signup;
	let employees: Service & { adapter: { updateMany: (...args: unknown[]) => Promise<number>; findById(id: string): Promise<Record<string, unknown>> } };

	const events = (seen: Changed[], employeeId: string) => seen.filter(e => e.employeeId === employeeId);
	const pending = async (id: string) => (await employees.adapter.findById(id))._outbox;

	beforeAll(async () => {
		if (clusterTopology) return;
		system = await start();
		acme = await signup(system.url, "Outbox Ltd");
		employees = system.broker.getLocalService("employees") as typeof employees;
	});
	afterAll(() => system?.stop());

	itInProcess("an event whose write failed is never published; the next write's is", async () => {
		const probe = await channelProbe<Changed>(system.broker, "outbox-probe", EmployeeEvents.changed);
		try {
			const employee = await hire(system.url, acme);
			await eventually(async () => expect(await pending(employee.id)).toBeUndefined());
			expect(events(probe.seen, employee.id)).toHaveLength(1);
			const write = jest.spyOn(employees.adapter, "updateMany").mockRejectedValueOnce(new Error("the database refused the write"));
			const failed = await request(system.url)
				.post(`/api/v1/employees/${employee.id}/terminate`)
				.set(bearer(acme.accessToken))
				.send({ date: "2025-06-30", reason: "Left" });
			write.mockRestore();
			expect(failed.status).toBe(500);
			expect(await pending(employee.id)).toBeUndefined();

			const patched = await request(system.url)
				.patch(`/api/v1/employees/${employee.id}`)
				.set(bearer(acme.accessToken))
				.send({ phone: "+44 20 7946 0000" });
			expect(patched.status).toBe(200);
			await eventually(() => expect(events(probe.seen, employee.id)).toHaveLength(2));
			// Past the relay's grace period and a few sweeps: the failed termination never comes.
			await pause(3500);
			const seen = events(probe.seen, employee.id);
			expect(seen.map(e => Object.keys(e.changes))).toEqual([expect.arrayContaining(["status", "workEmail"]), ["phone"]]);
			// Each write also carries its audit record (lib/audit/record.ts), numbered after its change.
			expect(seen.map(e => e.seq)).toEqual([1, 3]);
		} finally {
			await probe.stop();
		}
	});

	itInProcess("an event whose publish failed stays with its write and is published later by the relay, once", async () => {
		const probe = await channelProbe<Changed>(system.broker, "relay-probe", EmployeeEvents.changed);
		const broker = system.broker as ServiceBroker & { sendToChannel: (...args: unknown[]) => Promise<void> };
		const publish = jest.spyOn(broker, "sendToChannel").mockRejectedValueOnce(new Error("NATS is away"));
		try {
			const employee = await hire(system.url, acme);
			await eventually(() => expect(publish).toHaveBeenCalledTimes(1));
			// The write answered 201; its event (and its audit record) wait in the employee's document.
			expect(((await pending(employee.id)) as Array<{ channel: string }>).map(p => p.channel)).toEqual([EmployeeEvents.changed, AuditEvents.recorded]);
			expect(events(probe.seen, employee.id)).toHaveLength(0);
			await eventually(() => expect(events(probe.seen, employee.id)).toHaveLength(1), 10_000);
			await eventually(async () => expect(await pending(employee.id)).toBeUndefined());
			await pause(3500);
			expect(events(probe.seen, employee.id)).toHaveLength(1);
			expect(events(probe.seen, employee.id)[0]).toMatchObject({ tenantId: acme.tenant.id, seq: 1, changes: { status: { to: "active" } } });
		} finally {
			publish.mockRestore();
			await probe.stop();
		}
	});

	itInProcess("an event that no consumer group reads leaves its document once the system has started, rather than waiting forever", async () => {
		// Nothing consumes identity.tenant.created yet: the new owner's document must not keep it.
		const company = await signup(system.url, "Nobody Listens Ltd");
		const identity = system.broker.getLocalService("identity") as typeof employees;
		await eventually(async () => expect((await identity.adapter.findById(company.user.id))._outbox).toBeUndefined(), 5000);
	});
});

describeWith(["nats"], "JetStream, a channel that no group has subscribed to", () => {
	const namespace = `test-${randomUUID().slice(0, 8)}`;
	let broker: ServiceBroker;

	beforeAll(async () => {
		broker = new ServiceBroker({
			...brokerOptions(loadConfig({ NAMESPACE: namespace, CHANNELS: NATS_URL, LOG_LEVEL: "warn" })),
			nodeID: `publisher-${namespace}`,
			logger: false
		});
		await broker.start();
	});
	afterAll(async () => {
		await broker?.stop();
		await deleteStreams([namespace]);
	});

	it("gets its stream on the first publish, without an error in the log, and keeps the event for a reader", async () => {
		const adapter = (broker as unknown as { channelAdapter: { logger: { error(...args: unknown[]): void } } }).channelAdapter;
		const errors = jest.spyOn(adapter.logger, "error");
		await broker.sendToChannel!("nobody.reads.this", { eventId: randomUUID(), tenantId: "t", at: new Date().toISOString() });
		expect(errors).not.toHaveBeenCalled();
		const nc = await connect({ servers: NATS_URL });
		try {
			const info = await (await nc.jetstreamManager()).streams.info(`${namespace}_nobody_reads_this`);
			expect(info.state.messages).toBe(1);
		} finally {
			await nc.close();
		}
	});
});
