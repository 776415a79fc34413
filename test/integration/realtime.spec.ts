/**
 * The real-time push service in one process, as `npm start` runs it: the REST gateway, the data
 * and application services and the realtime node in one broker; clients are plain `ws` sockets.
 * Pushes are RealtimeEvents.push broadcasts, as the notifications service sends them.
 */
import net from "node:net";
import { type Middleware, ServiceBroker, type ServiceSchema } from "moleculer";
import { SignJWT } from "jose";
import request from "supertest";
import { type Config, config, loadConfig } from "../../lib/config";
import { IdentityBroadcasts } from "../../lib/names/identity";
import type { Notification, RealtimePush } from "../../lib/names/notifications";
import { RealtimeEvents } from "../../lib/names/notifications";
import { RealtimeMetricNames } from "../../lib/realtime/metrics";
import { CloseCodes } from "../../lib/realtime/protocol";
import { brokerOptions } from "../../moleculer.config";
import ApiService from "../../services/gateway/api.service";
import RealtimeService from "../../services/gateway/realtime.service";
import { freePort } from "../support/ports";
import { bearer, createUser, login, signup, type Signup } from "../support/http";
import { type Person, entitle, leaveType, person, requestLeave, workWeek } from "../support/leave";
import { domainServices } from "../support/local-system";
import { type RealtimeMessage, type TestClient, connect, connected, realtimeUrl } from "../support/realtime";

jest.setTimeout(60_000);

interface System {
	url: string;
	ws: string;
	broker: ServiceBroker;
	stop(): Promise<void>;
}

const cfg = config();
const REALTIME = { ...cfg.realtime, port: 0, maxConnectionsPerUser: 3, heartbeatMs: 1000, maxBufferedBytes: 256 * 1024, sessionRecheckMs: 1000 };

interface SystemOptions {
	/** Settings of the realtime node beside REALTIME's. */
	realtime?: Partial<Config["realtime"]>;
	/** Broker middlewares after the system's own. */
	middlewares?: Middleware[];
}

/** The whole system in one broker plus a realtime node on a free port; `extra` services replace same-named ones. */
async function startSystem(extra: ServiceSchema[] = [], env: Record<string, string> = {}, options: SystemOptions = {}): Promise<System> {
	const brokerConfig = brokerOptions(loadConfig({ ...process.env, TRANSPORTER: "", CACHER: "", ...env }));
	const middlewares = [...(brokerConfig.middlewares ?? []), ...(options.middlewares ?? [])];
	const broker = new ServiceBroker({ ...brokerConfig, middlewares, logger: false });
	const aliasesReady = new Promise<void>(resolve => {
		broker.createService({ name: "test-aliases-watch", events: { "$api.aliases.regenerated": () => resolve() } });
	});
	const replaced = new Set(extra.map(s => s.name));
	for (const schema of domainServices()) if (!replaced.has(schema.name)) broker.createService(schema);
	for (const schema of extra) broker.createService(schema);
	const roster = { ...cfg, rateLimit: { ...cfg.rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } };
	const api = broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0, roster } } as ServiceSchema);
	const realtime = broker.createService({
		name: "realtime",
		mixins: [RealtimeService],
		settings: { roster: { ...roster, realtime: { ...REALTIME, ...options.realtime } } }
	} as ServiceSchema);
	await broker.start();
	await aliasesReady;
	const apiPort = (api as unknown as { server: { address(): { port: number } } }).server.address().port;
	const wsPort = (realtime as unknown as { server: { address(): { port: number } } }).server.address().port;
	return { url: `http://127.0.0.1:${apiPort}`, ws: realtimeUrl(wsPort), broker, stop: () => broker.stop() };
}

function push(broker: ServiceBroker, payload: RealtimePush): void {
	broker.broadcast(RealtimeEvents.push, payload);
}

/** A token signed with the right key for a real session, but expired a minute ago. */
function expiredToken(user: Signup["user"], sessionId: string): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	return new SignJWT({ tid: user.tenantId, roles: [user.role], eid: null, sid: sessionId })
		.setProtectedHeader({ alg: "HS256" })
		.setSubject(user.id)
		.setIssuer(cfg.jwt.issuer)
		.setAudience(cfg.jwt.audience)
		.setIssuedAt(now - 120)
		.setExpirationTime(now - 60)
		.sign(Buffer.from(cfg.jwt.secret, "utf8"));
}

/** The session id inside an access token (its `sid` claim). */
function sessionOf(token: string): string {
	return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).sid;
}

describe("realtime push", () => {
	let system: System;
	let owner: Signup;
	let other: Signup;
	const clients: TestClient[] = [];
	const open = async (opts: Parameters<typeof connect>[1]) => {
		const client = await connected(system.ws, opts);
		clients.push(client);
		return client;
	};

	beforeAll(async () => {
		system = await startSystem([], { METRICS_PORT: String(await freePort()) });
		[owner, other] = await Promise.all([signup(system.url, "Acme"), signup(system.url, "Globex")]);
	});

	afterEach(async () => {
		await Promise.all(clients.splice(0).map(c => c.close()));
	});

	afterAll(async () => {
		await system?.stop();
	});

	describe("connecting", () => {
		it("refuses a connection without a token with 4401", async () => {
			expect(await connect(system.ws).closed).toBe(CloseCodes.noToken);
		});

		it("refuses a token that is not one of ours with 4403, however it is passed", async () => {
			for (const via of ["header", "query", "protocol"] as const) {
				expect(await connect(system.ws, { token: "not.a.token", via }).closed).toBe(CloseCodes.invalidToken);
			}
			expect(await connect(system.ws, { token: owner.accessToken.slice(0, -2) + "xx" }).closed).toBe(CloseCodes.invalidToken);
		});

		it("refuses an expired token with 4419", async () => {
			const token = await expiredToken(owner.user, sessionOf(owner.accessToken));
			expect(await connect(system.ws, { token }).closed).toBe(CloseCodes.tokenExpired);
		});

		it("refuses the token of a session that was logged out with 4403", async () => {
			const session = await login(system.url, owner.email);
			const out = await request(system.url).post("/api/v1/auth/logout").set(bearer(session.accessToken)).send({ refreshToken: session.refreshToken });
			expect(out.status).toBe(204);
			expect(await connect(system.ws, { token: session.accessToken }).closed).toBe(CloseCodes.invalidToken);
		});

		it("refuses the token of a user who was disabled with 4403", async () => {
			const user = await createUser(system.url, owner, "employee");
			expect((await request(system.url).delete(`/api/v1/users/${user.id}`).set(bearer(owner.accessToken))).status).toBe(204);
			expect(await connect(system.ws, { token: user.accessToken }).closed).toBe(CloseCodes.invalidToken);
		});

		it("accepts the token as a Bearer header, an access_token parameter or a bearer.<token> subprotocol, and welcomes the user", async () => {
			for (const via of ["header", "query", "protocol"] as const) {
				const client = await open({ token: owner.accessToken, via });
				expect(client.messages[0]).toMatchObject({ type: "welcome", userId: owner.user.id, tenantId: owner.user.tenantId, heartbeatSeconds: 1 });
				// The subprotocol a browser offered beside its token is the one selected, never the token.
				if (via === "protocol") expect(client.ws.protocol).toBe("roster.v1");
			}
		});

		it("answers an application ping with a pong, and an unknown message with an error, staying open", async () => {
			const client = await open({ token: owner.accessToken });
			client.ws.send(JSON.stringify({ type: "ping" }));
			await client.next(m => m.type === "pong");
			client.ws.send("{not json");
			await client.next(m => m.type === "error");
			expect(client.ws.readyState).toBe(client.ws.OPEN);
		});

		it("answers its health on its own port, and 426 to a plain GET of /realtime", async () => {
			const http = system.ws.replace("ws://", "http://").replace("/realtime", "");
			expect((await fetch(`${http}/health/live`)).status).toBe(200);
			const ready = await fetch(`${http}/health/ready`);
			expect(ready.status).toBe(200);
			expect(ready.headers.get("x-content-type-options")).toBe("nosniff");
			expect(await ready.json()).toMatchObject({ status: "ok", checks: { broker: "ok", identity: "ok", notifications: "ok" } });
			expect((await fetch(`${http}/realtime`)).status).toBe(426);
			expect((await fetch(`${http}/elsewhere`)).status).toBe(404);
		});

		it("answers 400 to a request target that is no URL, plain or upgrade, and keeps serving", async () => {
			const { hostname, port } = new URL(system.ws);
			/** The status line of the answer to a raw request: fetch would never send such a target. */
			const statusLine = (text: string) =>
				new Promise<string>((resolve, reject) => {
					const socket = net.connect(Number(port), hostname, () => socket.write(text));
					let answer = "";
					socket.on("data", chunk => (answer += chunk.toString()));
					socket.on("close", () => resolve(answer.split("\r\n")[0]));
					socket.on("error", reject);
				});
			for (const target of ["http://[", "http://x:99999/"]) {
				expect(await statusLine(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toBe("HTTP/1.1 400 Bad Request");
				const upgrade = `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
				expect(await statusLine(upgrade)).toBe("HTTP/1.1 400 Bad Request");
			}
			expect((await fetch(`http://${hostname}:${port}/health/live`)).status).toBe(200);
			await open({ token: owner.accessToken });
		});

		it("refuses a malformed `after` with 4400", async () => {
			expect(await connect(system.ws, { token: owner.accessToken, after: "../../etc" }).closed).toBe(CloseCodes.badRequest);
		});
	});

	describe("delivery", () => {
		it("delivers a push to the users it names, on every socket of theirs, and to no one else", async () => {
			const employee = await createUser(system.url, owner, "employee");
			const [ownerA, ownerB, employeeSocket, stranger] = await Promise.all([
				open({ token: owner.accessToken }),
				open({ token: owner.accessToken, via: "query" }),
				open({ token: employee.accessToken }),
				open({ token: other.accessToken })
			]);
			push(system.broker, { tenantId: owner.user.tenantId, userIds: [owner.user.id], message: { type: "hello", n: 1 } });
			// Addressed to the other tenant's owner id, but under this tenant: reaches no one.
			push(system.broker, { tenantId: owner.user.tenantId, userIds: [other.user.id], message: { type: "hello", n: 2 } });
			push(system.broker, { tenantId: owner.user.tenantId, userIds: [employee.id], message: { type: "hello", n: 3 } });
			await ownerA.next(m => m.type === "hello");
			await ownerB.next(m => m.type === "hello");
			await employeeSocket.next(m => m.type === "hello");
			// A last push to everyone who could wrongly have had one: once it arrives, the earlier ones have too.
			for (const tenant of [owner, other]) push(system.broker, { tenantId: tenant.user.tenantId, message: { type: "fence" } });
			await Promise.all([ownerA, ownerB, employeeSocket, stranger].map(c => c.next(m => m.type === "fence")));
			const hellos = (c: TestClient) => c.messages.filter(m => m.type === "hello").map(m => m.n);
			expect(hellos(ownerA)).toEqual([1]);
			expect(hellos(ownerB)).toEqual([1]);
			expect(hellos(employeeSocket)).toEqual([3]);
			expect(hellos(stranger)).toEqual([]);
		});

		it("delivers a tenant-wide push to every user of the tenant, and to no other tenant", async () => {
			const manager = await createUser(system.url, owner, "manager");
			const [a, b, stranger] = await Promise.all([
				open({ token: owner.accessToken }),
				open({ token: manager.accessToken }),
				open({ token: other.accessToken })
			]);
			push(system.broker, { tenantId: owner.user.tenantId, message: { type: "announcement", text: "Office closed Friday" } });
			push(system.broker, { tenantId: other.user.tenantId, message: { type: "fence" } });
			expect(await a.next(m => m.type === "announcement")).toMatchObject({ text: "Office closed Friday" });
			await b.next(m => m.type === "announcement");
			await stranger.next(m => m.type === "fence");
			expect(stranger.messages.some(m => m.type === "announcement")).toBe(false);
		});

		it("ignores a malformed push without harm to the next one", async () => {
			const client = await open({ token: owner.accessToken });
			system.broker.broadcast(RealtimeEvents.push, { tenantId: owner.user.tenantId, message: "not an object" });
			system.broker.broadcast(RealtimeEvents.push, { userIds: [owner.user.id], message: { type: "x" } });
			push(system.broker, { tenantId: owner.user.tenantId, message: { type: "after" } });
			await client.next(m => m.type === "after");
			expect(client.messages.map(m => m.type)).toEqual(["welcome", "after"]);
		});
	});

	describe("limits", () => {
		it("caps one user's open sockets (4429 past the cap) and frees a slot when a socket closes", async () => {
			const user = await createUser(system.url, owner, "employee");
			const held = [];
			for (let i = 0; i < REALTIME.maxConnectionsPerUser; i++) held.push(await open({ token: user.accessToken }));
			expect(await connect(system.ws, { token: user.accessToken }).closed).toBe(CloseCodes.tooManyConnections);
			// Another user of the tenant is not affected.
			await open({ token: owner.accessToken });
			await held[0].close();
			await open({ token: user.accessToken });
		});

		it("gives the slot back when a signed-in client's handshake is malformed (ws answers 400)", async () => {
			const user = await createUser(system.url, owner, "employee");
			const { port } = new URL(system.ws);
			for (let i = 0; i < REALTIME.maxConnectionsPerUser; i++) {
				const answer = await new Promise<string>((resolve, reject) => {
					const socket = net.connect(Number(port), "127.0.0.1", () => {
						// Version 99 is no WebSocket version: ws refuses the handshake after the slot was taken.
						socket.write(
							`GET /realtime HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 99\r\n` +
								`Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${user.accessToken}\r\n\r\n`
						);
					});
					let text = "";
					socket.on("data", chunk => (text += chunk));
					socket.on("close", () => resolve(text));
					socket.on("error", reject);
				});
				expect(answer).toMatch(/^HTTP\/1\.1 400/);
			}
			for (let i = 0; i < REALTIME.maxConnectionsPerUser; i++) await open({ token: user.accessToken });
		});

		it("closes a client that stopped reading with 4408, while another client of the tenant gets every message promptly", async () => {
			const reader = await createUser(system.url, owner, "employee");
			const stalled = await open({ token: owner.accessToken });
			const healthy = await open({ token: reader.accessToken });
			// The stalled client's process stops reading its socket: what is sent to it piles up at the server.
			(stalled.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
			const big = "x".repeat(64 * 1024);
			const COUNT = 400; // 25 MB: past any kernel buffering, so the server's own buffer fills
			for (let i = 0; i < COUNT; i++) {
				push(system.broker, { tenantId: owner.user.tenantId, message: { type: "bulk", i, big } });
				if (i % 20 === 0) await new Promise(r => setImmediate(r));
			}
			const sentAt = Date.now();
			push(system.broker, { tenantId: owner.user.tenantId, message: { type: "marker" } });
			await healthy.next(m => m.type === "marker", 10_000);
			const markerDelay = Date.now() - sentAt;
			expect(healthy.messages.filter(m => m.type === "bulk").map(m => m.i)).toEqual([...Array(COUNT).keys()]);
			// Generous for a loaded machine: what matters is that it did not wait for the stalled client.
			expect(markerDelay).toBeLessThan(5000);
			(stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
			expect(await stalled.closed).toBe(CloseCodes.slowConsumer);
			// It got what fitted in its buffer, in order, and nothing after the close.
			const got = stalled.messages.filter(m => m.type === "bulk").map(m => m.i as number);
			expect(got).toEqual([...Array(got.length).keys()]);
			expect(got.length).toBeLessThan(COUNT);
		});

		it("drops a client that stops answering pings", async () => {
			// autoPong off: the client's socket stays open but never answers the server's pings.
			const client = await open({ token: owner.accessToken, ws: { autoPong: false } });
			const started = Date.now();
			expect(await client.closed).toBe(1006);
			// Two heartbeats (1 s here) at most, with room for a loaded machine.
			expect(Date.now() - started).toBeLessThan(10_000);
		});
	});

	describe("metrics", () => {
		type Values = Array<{ value: number; labels: Record<string, string> }>;
		const values = (name: string): Values => (system.broker.metrics.getMetric(name) as unknown as { snapshot(): Values }).snapshot();
		const closes = (code: number) => values(RealtimeMetricNames.closes).find(v => v.labels.code === String(code))?.value ?? 0;
		const sent = () => values(RealtimeMetricNames.messagesSent)[0]?.value ?? 0;

		it("counts open sockets, messages sent and closes by code", async () => {
			const before = { refused: closes(CloseCodes.noToken), normal: closes(1000), sent: sent() };
			const client = await open({ token: owner.accessToken });
			expect(values(RealtimeMetricNames.connections)[0].value).toBeGreaterThanOrEqual(1);
			push(system.broker, { tenantId: owner.user.tenantId, userIds: [owner.user.id], message: { type: "counted" } });
			await client.next(m => m.type === "counted");
			expect(sent() - before.sent).toBeGreaterThanOrEqual(2); // the welcome and the push
			await connect(system.ws).closed;
			await client.close();
			await waitFor(() => closes(1000) === before.normal + 1);
			expect(closes(CloseCodes.noToken)).toBe(before.refused + 1);
		});
	});
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await new Promise(r => setTimeout(r, 20));
	}
}

/** A stand-in inbox: `since` answers from a list, slowly, so live pushes arrive while a replay runs. */
function stubInbox(inbox: Map<string, Notification[]>, delayMs: number): ServiceSchema {
	return {
		name: "notifications",
		actions: {
			since: {
				visibility: "public",
				async handler(ctx: { params: { after?: string; limit: number }; meta: { user: { id: string } } }): Promise<Notification[]> {
					await new Promise(r => setTimeout(r, delayMs));
					const list = inbox.get(ctx.meta.user.id) ?? [];
					const from = ctx.params.after === undefined ? 0 : list.findIndex(n => n.id === ctx.params.after) + 1;
					if (ctx.params.after !== undefined && from === 0) throw Object.assign(new Error("Not found"), { code: 404 });
					return list.slice(from, from + ctx.params.limit);
				}
			}
		}
	};
}

function notification(seq: number): Notification {
	return { id: `n-${seq}`, seq, type: "leave.requested", title: `#${seq}`, body: "", data: {}, read: false, createdAt: new Date().toISOString() };
}

describe("realtime sockets whose session ends", () => {
	/** Settles with the close code, or with "open" if the socket is still open after `ms`. */
	const closedWithin = (client: TestClient, ms: number) =>
		Promise.race([client.closed, new Promise<"open">(resolve => setTimeout(() => resolve("open"), ms).unref())]);
	const clients: TestClient[] = [];
	const openOn = async (system: System, token: string) => {
		const client = await connected(system.ws, { token });
		clients.push(client);
		return client;
	};
	const logout = (system: System, session: { accessToken: string; refreshToken: string }) =>
		request(system.url).post("/api/v1/auth/logout").set(bearer(session.accessToken)).send({ refreshToken: session.refreshToken });

	afterEach(async () => {
		await Promise.all(clients.splice(0).map(c => c.close()));
	});

	describe("told by identity", () => {
		// A periodic recheck far beyond the test: only identity's word can close a socket in time.
		let system: System;
		let owner: Signup;
		let other: Signup;

		beforeAll(async () => {
			system = await startSystem([], {}, { realtime: { sessionRecheckMs: 3_600_000 } });
			[owner, other] = await Promise.all([signup(system.url, "Acme"), signup(system.url, "Globex")]);
		});

		afterAll(async () => {
			await system?.stop();
		});

		it("closes a logged-out session's sockets with 4403 at once; the user's other session and other tenants keep theirs", async () => {
			const session = await login(system.url, owner.email);
			const [first, second] = [await openOn(system, session.accessToken), await openOn(system, session.accessToken)];
			const sameUser = await openOn(system, owner.accessToken);
			const otherTenant = await openOn(system, other.accessToken);
			expect((await logout(system, session)).status).toBe(204);
			expect(await closedWithin(first, 5000)).toBe(CloseCodes.invalidToken);
			expect(await closedWithin(second, 5000)).toBe(CloseCodes.invalidToken);
			for (const kept of [sameUser, otherTenant]) expect(kept.ws.readyState).toBe(kept.ws.OPEN);
		});

		it("closes a disabled user's sockets with 4403 at once", async () => {
			const user = await createUser(system.url, owner, "employee");
			const client = await openOn(system, user.accessToken);
			expect((await request(system.url).delete(`/api/v1/users/${user.id}`).set(bearer(owner.accessToken))).status).toBe(204);
			expect(await closedWithin(client, 5000)).toBe(CloseCodes.invalidToken);
		});

		it("closes the sockets of a session revoked by the reuse of its refresh token", async () => {
			const session = await login(system.url, owner.email);
			const client = await openOn(system, session.accessToken);
			const refresh = () => request(system.url).post("/api/v1/auth/refresh").send({ refreshToken: session.refreshToken });
			expect((await refresh()).status).toBe(200);
			// The same refresh token again: a thief's or a replay's, and the session is revoked.
			expect((await refresh()).body.type).toBe("REFRESH_TOKEN_REUSED");
			expect(await closedWithin(client, 5000)).toBe(CloseCodes.invalidToken);
		});
	});

	describe("when identity's word is lost", () => {
		// The broadcast dropped as a lost NATS message would be: the periodic recheck (1 s here) closes the socket.
		const dropSessionsChanged = {
			name: "DropSessionsChanged",
			broadcast: (next: (...args: unknown[]) => Promise<void>) =>
				function (eventName: string, ...rest: unknown[]) {
					return eventName === IdentityBroadcasts.sessionsChanged ? Promise.resolve() : next(eventName, ...rest);
				}
		} as unknown as Middleware;
		let system: System;
		let owner: Signup;

		beforeAll(async () => {
			system = await startSystem([], {}, { realtime: { sessionRecheckMs: 1000 }, middlewares: [dropSessionsChanged] });
			owner = await signup(system.url, "Acme");
		});

		afterAll(async () => {
			await system?.stop();
		});

		it("closes a logged-out session's sockets with 4403 within the recheck interval", async () => {
			const session = await login(system.url, owner.email);
			const client = await openOn(system, session.accessToken);
			const bystander = await openOn(system, owner.accessToken);
			expect((await logout(system, session)).status).toBe(204);
			expect(await closedWithin(client, 10_000)).toBe(CloseCodes.invalidToken);
			expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
		});
	});
});

describe("realtime replay on reconnect (stand-in inbox)", () => {
	let system: System;
	let owner: Signup;
	const inbox = new Map<string, Notification[]>();

	beforeAll(async () => {
		system = await startSystem([stubInbox(inbox, 300)]);
		owner = await signup(system.url, "Initech");
	});

	afterAll(async () => {
		await system?.stop();
	});

	it("sends what was missed after `after`, in order, then live pushes, without duplicates", async () => {
		// 250 missed: more than one page of the inbox.
		inbox.set(
			owner.user.id,
			Array.from({ length: 253 }, (_, i) => notification(i + 1))
		);
		const client = connect(system.ws, { token: owner.accessToken, after: "n-3" });
		await client.next(m => m.type === "welcome");
		// Live while the replay runs: one the replay also sends (250), one it does not know yet (254), and another kind.
		for (const seq of [250, 254])
			push(system.broker, {
				tenantId: owner.user.tenantId,
				userIds: [owner.user.id],
				message: { type: "notification", notification: notification(seq) }
			});
		push(system.broker, { tenantId: owner.user.tenantId, message: { type: "announcement" } });
		await client.next(m => m.type === "announcement", 10_000);
		// Sent again by a second notifications node, say: still once.
		push(system.broker, { tenantId: owner.user.tenantId, userIds: [owner.user.id], message: { type: "notification", notification: notification(254) } });
		push(system.broker, { tenantId: owner.user.tenantId, userIds: [owner.user.id], message: { type: "notification", notification: notification(255) } });
		await client.next(m => (m.notification as Notification | undefined)?.seq === 255);
		const types = client.messages.map(m => m.type);
		expect(types.indexOf("synced")).toBeLessThan(types.indexOf("announcement"));
		expect(client.messages.find(m => m.type === "synced")).toMatchObject({ replayed: 250, more: false });
		const seqs = client.messages.filter(m => m.type === "notification").map(m => (m.notification as Notification).seq);
		expect(seqs).toEqual(Array.from({ length: 252 }, (_, i) => i + 4));
		await client.close();
	});

	it("tells a client whose `after` the inbox does not know, and still delivers live pushes", async () => {
		const client = connect(system.ws, { token: owner.accessToken, after: "n-unknown" });
		expect(await client.next(m => m.type === "replay-unavailable")).toMatchObject({ reason: "invalid-after" });
		push(system.broker, { tenantId: owner.user.tenantId, message: { type: "live" } });
		await client.next(m => m.type === "live");
		await client.close();
	});
});

describe("realtime replay without a notifications service", () => {
	let system: System;
	let owner: Signup;

	beforeAll(async () => {
		// A service named notifications with nothing but an unrelated action: `since` has no node.
		system = await startSystem([{ name: "notifications", actions: { other: () => null } }]);
		owner = await signup(system.url, "Umbrella");
	});

	afterAll(async () => {
		await system?.stop();
	});

	it("says the replay is unavailable instead of hanging, and live pushes still arrive", async () => {
		const client = connect(system.ws, { token: owner.accessToken, after: "n-1" });
		const started = Date.now();
		expect(await client.next(m => m.type === "replay-unavailable", 10_000)).toMatchObject({ reason: "notifications-unavailable" });
		expect(Date.now() - started).toBeLessThan(8000);
		push(system.broker, { tenantId: owner.user.tenantId, message: { type: "live" } });
		await client.next(m => m.type === "live");
		await client.close();
	});
});

describe("realtime replay from the notifications inbox", () => {
	let system: System;
	let owner: Signup;
	let manager: Person;
	let employee: Person;
	let annualId: string;

	beforeAll(async () => {
		system = await startSystem();
		owner = await signup(system.url, "Hooli");
		manager = await person(system.url, owner, "manager");
		employee = await person(system.url, owner, "employee", manager.employeeId);
		annualId = (await leaveType(system.url, owner, { name: "Annual" })).id;
		await entitle(system.url, owner, employee.employeeId, annualId, 2030, 25);
	});

	afterAll(async () => {
		await system?.stop();
	});

	const unread = async (who: Person) => (await request(system.url).get("/api/v1/notifications/unread-count").set(bearer(who.accessToken))).body.unread;
	const seqOf = (m: RealtimeMessage) => (m.notification as Notification).seq;

	it("a manager hears of a leave request live; reconnecting with the last id replays what was missed, in order, once, then live ones", async () => {
		const live = await connected(system.ws, { token: manager.accessToken });
		await requestLeave(system.url, employee, { leaveTypeId: annualId, ...workWeek(1) });
		const first = await live.next(m => m.type === "notification", 15_000);
		expect(first.notification).toMatchObject({ type: "leave.requested", seq: expect.any(Number) });
		await live.close();

		// Offline: two more requests reach the manager's inbox only.
		for (const week of [2, 3]) await requestLeave(system.url, employee, { leaveTypeId: annualId, ...workWeek(week) });
		await waitForAsync(async () => (await unread(manager)) === 3);

		const back = connect(system.ws, { token: manager.accessToken, after: (first.notification as Notification).id });
		expect(await back.next(m => m.type === "synced")).toMatchObject({ replayed: 2, more: false });
		await requestLeave(system.url, employee, { leaveTypeId: annualId, ...workWeek(4) });
		await back.next(m => m.type === "notification" && seqOf(m) === seqOf(first) + 3, 15_000);
		expect(back.messages.filter(m => m.type === "notification").map(seqOf)).toEqual([1, 2, 3].map(n => seqOf(first) + n));
		// The employee, who asked, was told nothing over the socket of the manager's: each push names its user.
		expect(back.messages.every(m => m.type !== "notification" || (m.notification as Notification).type === "leave.requested")).toBe(true);
		await back.close();
	});
});

async function waitForAsync(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await new Promise(r => setTimeout(r, 100));
	}
}
