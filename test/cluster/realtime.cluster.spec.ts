/**
 * Real-time push on real processes over NATS: two realtime nodes, a gateway, data and
 * application nodes, Redis for the cache and the connection slots, PostgreSQL for the data.
 * Clients are plain `ws` sockets on either realtime node.
 *
 * - A push broadcast by any node reaches the user's sockets on both realtime nodes.
 * - A leave request served by the gateway (stored by a data node, told by the notifications
 *   service) reaches the approver's socket on one realtime node; a socket closed meanwhile
 *   reconnects to the other with the last id it saw and gets what it missed, once, in order.
 * - A logout at the gateway closes the session's sockets on both realtime nodes at once.
 * - The per-user cap holds over both nodes together, and a killed node's slots lapse.
 */
import { ServiceBroker } from "moleculer";
import request from "supertest";
import { type Notification, RealtimeEvents, type RealtimePush } from "../../lib/names/notifications";
import { CloseCodes } from "../../lib/realtime/protocol";
import { type ClusterNode, clusterNamespace, itWithLogs, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { NATS_URL, REDIS_URL, describeWith } from "../support/external";
import { type Signup, bearer, createUser, signup } from "../support/http";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";
import { type RealtimeMessage, type TestClient, connect, connected, realtimeUrl } from "../support/realtime";
import { entitle, leaveType, person, requestLeave, workWeek } from "../support/leave";

jest.setTimeout(120_000);

const CAP = 2;
const HEARTBEAT_SECONDS = 1;
/** The realtime nodes' periodic session recheck, far beyond any test: a socket closed sooner was closed on identity's word. */
const SESSION_RECHECK_SECONDS = 3600;

describeWith(["nats", "redis", "postgres"], "realtime push across realtime nodes", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("realtime");
	const nodes: ClusterNode[] = [];
	const realtime: Array<{ node: ClusterNode; url: string }> = [];
	const clients: TestClient[] = [];
	let url = "";
	let owner: Signup;
	/** A node of the test's own on the bus, as a REPL would join: it broadcasts pushes as any service does. */
	let bus: ServiceBroker;

	const logs = () => nodes.map(n => `--- ${n.name} ---\n${n.output().slice(-4000)}`).join("\n");
	const open = async (node: number, token: string, after?: string) => {
		const client = await connected(realtime[node].url, { token, after });
		clients.push(client);
		return client;
	};
	const push = (payload: RealtimePush) => bus.broadcast(RealtimeEvents.push, payload);

	beforeAll(async () => {
		const env = { DATABASE_URL: databaseUrl, CACHER: REDIS_URL, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
		const realtimeEnv = {
			...env,
			REALTIME_MAX_CONNECTIONS_PER_USER: String(CAP),
			REALTIME_HEARTBEAT: String(HEARTBEAT_SECONDS),
			REALTIME_SESSION_RECHECK: String(SESSION_RECHECK_SECONDS)
		};
		const port = await freePort();
		nodes.push(startNode("data", "data", { namespace, env }), startNode("app", "app", { namespace, env }));
		nodes.push(startNode("gateway", "gateway/api", { namespace, env: { ...env, PORT: String(port) } }));
		for (const name of ["realtime-1", "realtime-2"]) {
			const realtimePort = await freePort();
			const node = startNode(name, "gateway/realtime", { namespace, env: { ...realtimeEnv, REALTIME_PORT: String(realtimePort) } });
			nodes.push(node);
			realtime.push({ node, url: realtimeUrl(realtimePort) });
		}
		url = `http://127.0.0.1:${port}`;
		bus = new ServiceBroker({ namespace, nodeID: `bus-${namespace}`, transporter: NATS_URL, logger: false, heartbeatInterval: 1, heartbeatTimeout: 3 });
		try {
			await waitForGateway(url);
			for (const { url: wsUrl } of realtime) {
				const health = wsUrl.replace("ws://", "http://").replace("/realtime", "/health/ready");
				await waitFor(`${health} to be ready`, async () => (await fetch(health)).status === 200);
			}
			await bus.start();
			await waitFor("both realtime nodes on the bus", async () =>
				bus.registry
					.getServiceList({ onlyAvailable: true, grouping: true })
					.some(s => s.name === "realtime" && (s as unknown as { nodes: string[] }).nodes.length === 2)
			);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${logs()}`);
		}
		owner = await signup(url, "Wavelength");
	});

	afterEach(async () => {
		await Promise.all(clients.splice(0).map(c => c.close()));
	});

	afterAll(async () => {
		await bus?.stop();
		await Promise.allSettled(nodes.map(node => node.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	itWithLogs("a push broadcast on the bus reaches the user's sockets on both realtime nodes, and only theirs", logs, async () => {
		const colleague = await createUser(url, owner, "employee");
		const [onFirst, onSecond, other] = await Promise.all([open(0, owner.accessToken), open(1, owner.accessToken), open(1, colleague.accessToken)]);
		push({ tenantId: owner.user.tenantId, userIds: [owner.user.id], message: { type: "hello" } });
		await onFirst.next(m => m.type === "hello");
		await onSecond.next(m => m.type === "hello");
		push({ tenantId: owner.user.tenantId, message: { type: "everyone" } });
		await Promise.all([onFirst, onSecond, other].map(c => c.next(m => m.type === "everyone")));
		expect(other.messages.some(m => m.type === "hello")).toBe(false);
	});

	itWithLogs(
		"a leave request served by the gateway reaches the manager on realtime-1; reconnecting to realtime-2 replays what was missed",
		logs,
		async () => {
			const manager = await person(url, owner, "manager");
			const employee = await person(url, owner, "employee", manager.employeeId);
			const annual = await leaveType(url, owner, { name: "Annual" });
			await entitle(url, owner, employee.employeeId, annual.id, 2030, 25);
			const seqOf = (m: RealtimeMessage) => (m.notification as Notification).seq;

			const live = await open(0, manager.accessToken);
			await requestLeave(url, employee, { leaveTypeId: annual.id, ...workWeek(1) });
			const first = await live.next(m => m.type === "notification", 30_000);
			expect(first.notification).toMatchObject({ type: "leave.requested" });
			await live.close();

			for (const week of [2, 3]) await requestLeave(url, employee, { leaveTypeId: annual.id, ...workWeek(week) });
			await waitFor("both to reach the manager's inbox", async () => {
				const res = await request(url).get("/api/v1/notifications/unread-count").set(bearer(manager.accessToken));
				return res.body.unread === 3;
			});
			const back = await open(1, manager.accessToken, (first.notification as Notification).id);
			expect(await back.next(m => m.type === "synced")).toMatchObject({ replayed: 2, more: false });
			await requestLeave(url, employee, { leaveTypeId: annual.id, ...workWeek(4) });
			await back.next(m => m.type === "notification" && seqOf(m) === seqOf(first) + 3, 30_000);
			expect(back.messages.filter(m => m.type === "notification").map(seqOf)).toEqual([1, 2, 3].map(n => seqOf(first) + n));
		}
	);

	itWithLogs("a logout at the gateway closes the session's sockets on both realtime nodes at once; others stay open", logs, async () => {
		const user = await createUser(url, owner, "employee");
		const [onFirst, onSecond] = await Promise.all([open(0, user.accessToken), open(1, user.accessToken)]);
		const bystander = await open(1, owner.accessToken);
		const out = await request(url).post("/api/v1/auth/logout").set(bearer(user.accessToken)).send({ refreshToken: user.refreshToken });
		expect(out.status).toBe(204);
		const loggedOutAt = Date.now();
		expect(await Promise.all([onFirst.closed, onSecond.closed])).toEqual([CloseCodes.invalidToken, CloseCodes.invalidToken]);
		expect(Date.now() - loggedOutAt).toBeLessThan(10_000);
		expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
	});

	itWithLogs("holds the per-user cap over both nodes together, and frees a killed node's slots within a few heartbeats", logs, async () => {
		const user = await createUser(url, owner, "employee");
		await open(0, user.accessToken);
		const onSecond = await open(1, user.accessToken);
		for (const node of [0, 1]) expect(await connect(realtime[node].url, { token: user.accessToken }).closed).toBe(CloseCodes.tooManyConnections);

		// realtime-2 dies with the user's socket: no close reaches anyone, its slot is never given back.
		realtime[1].node.process.kill("SIGKILL");
		expect(await onSecond.closed).toBe(1006);
		const killedAt = Date.now();
		await waitFor(
			"the dead node's slot to lapse",
			async () => {
				const client = connect(realtime[0].url, { token: user.accessToken });
				const outcome = await Promise.race([client.next(m => m.type === "welcome").then(() => "welcome"), client.closed.then(String)]);
				if (outcome === "welcome") clients.push(client);
				return outcome === "welcome";
			},
			20_000
		);
		// 2.5 heartbeats of 1 s; a freshly refreshed slot lives that long.
		expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1000);
	});
});
