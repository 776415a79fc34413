/**
 * The real-time push service (the long-connection service), in the gateway layer: plain
 * WebSocket on its own port (REALTIME_PORT) and path (/realtime), scaled apart from the REST
 * gateway. docs/realtime.md is its protocol for clients.
 *
 * - Connect: the access token is checked as the REST gateway checks it (realtime-auth.ts); a
 *   refusal completes the handshake and closes with a documented code, which browsers can
 *   read (a refused HTTP upgrade shows them nothing). A logout, a revoked session or a
 *   disabled user closes the socket: at once when identity says a tenant's sessions changed
 *   (IdentityBroadcasts.sessionsChanged), and every REALTIME_SESSION_RECHECK seconds in any
 *   case, should that word be lost.
 * - A per-user cap on open sockets holds over every realtime node (lib/realtime/slots.ts).
 * - Fan-out: RealtimeEvents.push is broadcast to every realtime node; each sends to its own
 *   sockets of the users named (or of the whole tenant), never waiting on any one of them.
 * - A client resuming with `?after=<id>` gets what it missed first (lib/realtime/replay.ts).
 * - Heartbeat: a ping every REALTIME_HEARTBEAT seconds; a socket that missed the last pong is dropped.
 */
import { randomUUID } from "node:crypto";
import http, { type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type Context, type Service, type ServiceBroker, type ServiceSchema } from "moleculer";
import { WebSocketServer, type WebSocket } from "ws";
import { type Config, config } from "../../lib/config";
import type { RequestMeta } from "../../lib/meta";
import { IdentityBroadcasts, type SessionsChanged } from "../../lib/names/identity";
import { type Notification, NotificationActions, type RealtimePush, RealtimeEvents } from "../../lib/names/notifications";
import { Connection, outgoing } from "../../lib/realtime/connection";
import { type Handshake, readHandshake, requestUrl } from "../../lib/realtime/handshake";
import { NO_METRICS, type RealtimeMeter, realtimeMetrics } from "../../lib/realtime/metrics";
import { CloseCodes, CloseReasons, type CloseCode, REALTIME_PATH, SUBPROTOCOL, validAfter } from "../../lib/realtime/protocol";
import { realtimeReadiness } from "../../lib/realtime/readiness";
import { RedisSlots } from "../../lib/realtime/redis-slots";
import { replay } from "../../lib/realtime/replay";
import { type ConnectionSlots, MemorySlots, type SlotOwner } from "../../lib/realtime/slots";
import { SocketIndex } from "../../lib/realtime/socket-index";
import { authenticateSocket, sessionStands } from "./realtime-auth";
import { setEveryResponseHeaders } from "./response-headers";
import { SessionCheck } from "./session-check";

// ---- Types -------------------------------------------------------------------------------

interface RealtimeSettings {
	roster: Config;
}

type RealtimeThis = Omit<Service, "settings" | "broker"> & {
	settings: RealtimeSettings;
	broker: ServiceBroker;
	server: http.Server;
	wss: WebSocketServer;
	index: SocketIndex<Connection>;
	slots: ConnectionSlots;
	sessions: SessionCheck;
	meter: RealtimeMeter;
	timers: NodeJS.Timeout[];
	stopping: boolean;
	/** Tenants whose sockets are being rechecked, and whether they were asked to be again meanwhile. */
	tenantRechecks: Map<string, boolean>;
	rootContext(meta?: RequestMeta): Context<unknown, RequestMeta>;
	upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
	refuse(ws: WebSocket, code: number): void;
	accept(ws: WebSocket, connection: Connection, handshake: Handshake): void;
	fanOut(push: RealtimePush): void;
	heartbeat(bucket: number): Promise<void>;
	recheckSessions(connections?: Iterable<Connection>): Promise<void>;
	recheckTenant(tenantId: string): void;
	/** created(): the HTTP server and the WebSocket server, not listening yet. */
	setUp(): void;
	/** started(): listening, with the heartbeat and the session recheck running. */
	listen(): Promise<void>;
	/** stopped(): every socket told 1001, then the port closed. */
	shutDown(): Promise<void>;
};

// ---- Helpers -----------------------------------------------------------------------------

/** Client messages are tiny (a ping); anything bigger is not ours (ws closes it with 1009). */
const MAX_CLIENT_MESSAGE_BYTES = 4096;
/** The inbox answers a replay page within this, or the client hears `replay-unavailable`. */
const REPLAY_CALL_TIMEOUT_MS = 5000;
/** The heartbeat pings a tenth of the sockets every tenth of its interval. */
const HEARTBEAT_BUCKETS = 10;
/** How long a stopping node waits for its clients to answer the 1001 close. */
const STOP_GRACE_MS = 2000;
/** Sessions rechecked at once, so a recheck of thousands of sockets does not flood identity. */
const RECHECK_BATCH = 50;

const ownerOf = (c: Connection): SlotOwner => ({ key: `${c.tenantId}:${c.userId}`, connectionId: c.id });

function validPush(push: unknown): push is RealtimePush {
	const p = push as Partial<RealtimePush> | null;
	return (
		typeof p?.tenantId === "string" &&
		(p.userIds === undefined || (Array.isArray(p.userIds) && p.userIds.every(id => typeof id === "string"))) &&
		typeof p.message === "object" &&
		p.message !== null &&
		typeof p.message.type === "string"
	);
}

function validSessionsChanged(change: unknown): change is SessionsChanged {
	const tenantIds = (change as Partial<SessionsChanged> | null)?.tenantIds;
	return Array.isArray(tenantIds) && tenantIds.every(id => typeof id === "string");
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
	setEveryResponseHeaders(res);
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
	res.end(JSON.stringify(body));
}

/** Refuses an upgrade before the handshake: only for requests that are no WebSocket client of ours. */
function refuseUpgrade(socket: Duplex, status: string): void {
	socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

// ---- Service -----------------------------------------------------------------------------

const cfg = config();

const RealtimeService: ServiceSchema = {
	name: "realtime",

	settings: {
		roster: cfg,
		// Settings travel to every node in INFO packets; the configuration holds the JWT secret.
		$secureSettings: ["roster"]
	},

	events: {
		[RealtimeEvents.push]: {
			handler(this: RealtimeThis, ctx: Context<RealtimePush>) {
				if (!validPush(ctx.params)) {
					this.logger.warn("Ignored a malformed realtime push from", ctx.nodeID);
					return;
				}
				this.fanOut(ctx.params);
			}
		},
		[IdentityBroadcasts.sessionsChanged]: {
			handler(this: RealtimeThis, ctx: Context<SessionsChanged>) {
				if (!validSessionsChanged(ctx.params)) {
					this.logger.warn("Ignored a malformed sessions-changed event from", ctx.nodeID);
					return;
				}
				for (const tenantId of new Set(ctx.params.tenantIds)) this.recheckTenant(tenantId);
			}
		}
	},

	methods: {
		rootContext(this: RealtimeThis, meta: RequestMeta = {}) {
			return this.broker.ContextFactory.create(this.broker, null as never, {}, { meta }) as Context<unknown, RequestMeta>;
		},

		async upgrade(this: RealtimeThis, req: IncomingMessage, socket: Duplex, head: Buffer) {
			// A client that goes away while it is being checked must not crash the node.
			socket.on("error", () => undefined);
			const handshake = readHandshake(req);
			if (!handshake) return refuseUpgrade(socket, "400 Bad Request");
			if (handshake.path !== REALTIME_PATH) return refuseUpgrade(socket, "404 Not Found");
			if (this.stopping) return refuseUpgrade(socket, "503 Service Unavailable");
			const roster = this.settings.roster;
			const verdict = await authenticateSocket(this.rootContext(), handshake.token, roster.jwt, this.sessions);
			let refused = "refused" in verdict ? verdict.refused : undefined;
			const owner = "user" in verdict ? { key: `${verdict.user.tenantId}:${verdict.user.id}`, connectionId: randomUUID() } : undefined;
			if (owner && handshake.after !== undefined && !validAfter(handshake.after)) refused = CloseCodes.badRequest;
			else if (owner && !(await this.slots.acquire(owner, roster.realtime.maxConnectionsPerUser))) refused = CloseCodes.tooManyConnections;
			if (socket.destroyed) {
				// The client left while it was checked: give back the slot it would have had.
				if (owner && refused === undefined) await this.slots.release(owner);
				return;
			}
			let upgraded = false;
			// ws answers a malformed handshake with 400 itself and never calls back: the slot goes back then.
			socket.once("close", () => {
				if (!upgraded && owner && refused === undefined) this.slots.release(owner).catch(() => undefined);
			});
			this.wss.handleUpgrade(req, socket, head, ws => {
				upgraded = true;
				if (refused !== undefined || !("user" in verdict) || !owner) return this.refuse(ws, refused ?? CloseCodes.unavailable);
				const connection = new Connection(ws, verdict.user, owner.connectionId, Math.floor(Math.random() * HEARTBEAT_BUCKETS), {
					maxBufferedBytes: roster.realtime.maxBufferedBytes,
					onSent: count => this.meter.sent(count),
					onSlow: slow => slow.close(CloseCodes.slowConsumer, CloseReasons[CloseCodes.slowConsumer])
				});
				this.accept(ws, connection, handshake);
			});
		},

		refuse(this: RealtimeThis, ws: WebSocket, code: number) {
			this.meter.closed(code);
			ws.on("error", () => undefined);
			ws.close(code, CloseReasons[code as CloseCode]);
		},

		accept(this: RealtimeThis, ws: WebSocket, connection: Connection, handshake: Handshake) {
			this.index.add(connection);
			this.meter.connections(this.index.size);
			ws.on("pong", () => (connection.alive = true));
			ws.on("message", (data, isBinary) => {
				let type: unknown;
				try {
					type = isBinary ? undefined : (JSON.parse(data.toString()) as { type?: unknown })?.type;
				} catch {
					type = undefined;
				}
				if (type === "ping") connection.send(outgoing({ type: "pong" }).data);
				else connection.send(outgoing({ type: "error", message: 'Unknown message: the server accepts only {"type":"ping"}' }).data);
			});
			// 'error' is followed by 'close'; the listener keeps it from crashing the node.
			ws.on("error", () => undefined);
			ws.on("close", (code: number) => {
				this.index.remove(connection);
				this.meter.connections(this.index.size);
				this.meter.closed(connection.closedWith ?? code);
				this.slots.release(ownerOf(connection)).catch(() => undefined);
			});
			const { heartbeatMs } = this.settings.roster.realtime;
			connection.send(
				outgoing({
					type: "welcome",
					connectionId: connection.id,
					userId: connection.userId,
					tenantId: connection.tenantId,
					heartbeatSeconds: heartbeatMs / 1000
				}).data
			);
			if (handshake.after === undefined) return;
			const meta: RequestMeta = { user: connection.user };
			const since = (after: string, limit: number) =>
				this.broker.call<Notification[], object>(NotificationActions.since, { after, limit }, { meta, timeout: REPLAY_CALL_TIMEOUT_MS });
			void replay(connection, handshake.after, since);
		},

		fanOut(this: RealtimeThis, push: RealtimePush) {
			const targets = [...this.index.select(push.tenantId, push.userIds)];
			if (targets.length === 0) return;
			const out = outgoing(push.message);
			for (const connection of targets) connection.push(out);
		},

		/**
		 * One tick of the heartbeat: the sockets of one of HEARTBEAT_BUCKETS buckets, so each socket is
		 * pinged once per REALTIME_HEARTBEAT and the pings (a write each) spread over the interval
		 * instead of holding a push back all at once.
		 */
		async heartbeat(this: RealtimeThis, bucket: number) {
			const owners: SlotOwner[] = [];
			for (const connection of [...this.index.all()]) {
				// One being closed (a slow client's close frame behind its backlog) is ws's to end (its close timeout).
				if (connection.bucket !== bucket || !connection.open) continue;
				const reading = connection.stillReading();
				if (!connection.alive && !reading) {
					// No pong since the last ping: the peer is gone without a word (1006 for the metrics).
					connection.socket.terminate();
					continue;
				}
				connection.alive = false;
				connection.socket.ping();
				owners.push(ownerOf(connection));
			}
			await this.slots.refresh(owners);
		},

		/** Closes (4403) the sockets among `connections` whose session no longer stands; every socket by default. */
		async recheckSessions(this: RealtimeThis, connections: Iterable<Connection> = this.index.all()) {
			const bySession = new Map<string, Connection[]>();
			for (const connection of connections) {
				const list = bySession.get(connection.user.sessionId) ?? [];
				list.push(connection);
				bySession.set(connection.user.sessionId, list);
			}
			const sessions = [...bySession.values()];
			for (let i = 0; i < sessions.length && !this.stopping; i += RECHECK_BATCH) {
				await Promise.all(
					sessions.slice(i, i + RECHECK_BATCH).map(async connections => {
						// An answer we could not get keeps the sockets: the next round asks again.
						if ((await sessionStands(this.rootContext(), connections[0].user, this.sessions)) !== false) return;
						for (const c of connections) c.close(CloseCodes.invalidToken, CloseReasons[CloseCodes.invalidToken]);
					})
				);
			}
		},

		/**
		 * Rechecks the sessions of a tenant's sockets now. Asked again while that runs (a burst of
		 * logouts), it runs once more afterwards, not once per ask: each run sees every change
		 * made before it started.
		 */
		recheckTenant(this: RealtimeThis, tenantId: string) {
			if (this.tenantRechecks.has(tenantId)) {
				this.tenantRechecks.set(tenantId, true);
				return;
			}
			const run = async () => {
				do {
					this.tenantRechecks.set(tenantId, false);
					await this.recheckSessions(this.index.select(tenantId));
				} while (this.tenantRechecks.get(tenantId) && !this.stopping);
			};
			run()
				.catch(err => this.logger.warn("Session recheck failed:", (err as Error).message))
				.finally(() => this.tenantRechecks.delete(tenantId));
		},

		setUp(this: RealtimeThis) {
			const roster = this.settings.roster;
			this.index = new SocketIndex();
			this.timers = [];
			this.stopping = false;
			this.tenantRechecks = new Map();
			this.meter = NO_METRICS;
			// Generations are shared in one process, or through Redis: as the REST gateway decides (api.service.ts).
			const sharedGenerations = !this.broker.transit || !!roster.cacherRedisUrl;
			this.sessions = new SessionCheck(sharedGenerations ? (this.broker.cacher ?? undefined) : undefined);
			// A slot outlives two missed heartbeats and a half: a live node always refreshes it in time.
			const slotTtlMs = Math.round(roster.realtime.heartbeatMs * 2.5);
			this.slots = roster.redisUrl ? new RedisSlots(roster.redisUrl, `${roster.namespace}:rt:slots`, slotTtlMs, this.logger) : new MemorySlots(slotTtlMs);
			this.wss = new WebSocketServer({
				noServer: true,
				clientTracking: false,
				maxPayload: MAX_CLIENT_MESSAGE_BYTES,
				// Select our subprotocol when offered (a browser passing `bearer.<token>` beside it needs one
				// selected), never the token entry itself.
				handleProtocols: protocols => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false)
			});
			this.server = http.createServer((req, res) => {
				const path = requestUrl(req)?.pathname;
				if (path === undefined) return answer(res, 400, { message: "Bad Request: the request target is no URL" });
				if (req.method === "GET" && path === "/health/live") return answer(res, 200, { status: "ok" });
				if (req.method === "GET" && path === "/health/ready") {
					const report = realtimeReadiness(this.broker, this.stopping);
					return answer(res, report.status === "unavailable" ? 503 : 200, report);
				}
				if (path === REALTIME_PATH) return answer(res, 426, { message: "Upgrade Required: connect with WebSocket" });
				return answer(res, 404, { message: "Not Found" });
			});
			this.server.on("upgrade", (req, socket, head) => {
				this.upgrade(req, socket, head).catch(err => {
					this.logger.error("WebSocket upgrade failed:", err);
					socket.destroy();
				});
			});
		},

		async listen(this: RealtimeThis) {
			this.meter = realtimeMetrics(this.broker);
			const { port, heartbeatMs, sessionRecheckMs } = this.settings.roster.realtime;
			await new Promise<void>((resolve, reject) => {
				this.server.once("error", reject);
				this.server.listen(port, "0.0.0.0", () => {
					this.server.off("error", reject);
					resolve();
				});
			});
			const address = this.server.address() as { port: number };
			this.logger.info(`Realtime listening on ws://0.0.0.0:${address.port}${REALTIME_PATH}`);
			let tick = 0;
			this.timers.push(
				setInterval(() => {
					this.heartbeat(tick++ % HEARTBEAT_BUCKETS).catch(err => this.logger.warn("Heartbeat failed:", (err as Error).message));
				}, heartbeatMs / HEARTBEAT_BUCKETS).unref()
			);
			this.timers.push(
				setInterval(() => {
					this.recheckSessions().catch(err => this.logger.warn("Session recheck failed:", (err as Error).message));
				}, sessionRecheckMs).unref()
			);
		},

		async shutDown(this: RealtimeThis) {
			this.stopping = true;
			for (const timer of this.timers) clearInterval(timer);
			// Clients reconnect on 1001, to another node.
			for (const connection of [...this.index.all()]) connection.close(CloseCodes.goingAway, CloseReasons[CloseCodes.goingAway]);
			// Clients answer the close frame at once; one that does not is cut after a moment.
			const deadline = Date.now() + STOP_GRACE_MS;
			while (this.index.size > 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
			for (const connection of [...this.index.all()]) connection.socket.terminate();
			const closed = new Promise<void>(resolve => this.server.close(() => resolve()));
			this.server.closeAllConnections();
			await closed;
			await this.slots.close();
		}
	},

	created(this: Service) {
		const self = this as unknown as RealtimeThis;
		self.setUp();
	},

	async started(this: Service) {
		await (this as unknown as RealtimeThis).listen();
	},

	async stopped(this: Service) {
		await (this as unknown as RealtimeThis).shutDown();
	}
};

export default RealtimeService;
