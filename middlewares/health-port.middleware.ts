/**
 * A node's own health over HTTP, for an orchestrator's healthcheck: data and application nodes
 * have no HTTP port of their own. In the list only when HEALTH_PORT is set; then the node
 * listens on it from the start of its broker:
 *
 * - GET /health/live: 200 while the process runs.
 * - GET /health/ready: 200 once the broker has started (every local service has started and,
 *   this middleware coming after the channels one, every channel is subscribed), the transporter
 *   and the channel adapter are connected, and each local data service reaches its storage; 503
 *   naming what is not, and 503 again from the moment the node begins to stop.
 *
 * The gateway's /health/ready is about the whole API (services/gateway/readiness.ts); this one
 * is about this node only.
 */
import http from "node:http";
import type { Middleware, ServiceBroker } from "moleculer";
import "../lib/channels/publish";

const STORAGE_READY = "storageReady";
const PROBE_TIMEOUT_MS = 2000;

type Phase = "starting" | "started";

interface NodeReport {
	status: "ok" | "unavailable";
	checks: Record<string, string>;
	missing: string[];
}

async function nodeReadiness(broker: ServiceBroker, phase: Phase): Promise<NodeReport> {
	// broker.started turns false the moment stop() begins.
	const running = phase === "started" && broker.started;
	const checks: Record<string, string> = { broker: running ? "ok" : phase === "started" ? "stopping" : "starting" };
	const transit = broker.transit as { connected?: boolean } | undefined;
	if (transit) checks.transporter = transit.connected ? "ok" : "disconnected";
	// Disconnected, the node's consumers handle nothing: events wait in their streams meanwhile.
	if (broker.channelAdapter) checks.channels = broker.channelAdapter.connected ? "ok" : phase === "starting" ? "starting" : "disconnected";
	if (running) {
		const local = broker.registry.getServiceList({ onlyLocal: true, skipInternal: true, withActions: true }) as unknown as Array<{
			name: string;
			actions: Record<string, unknown>;
		}>;
		await Promise.all(
			local
				.filter(s => `${s.name}.${STORAGE_READY}` in s.actions)
				.map(async s => {
					checks[s.name] = await broker.call(`${s.name}.${STORAGE_READY}`, {}, { nodeID: broker.nodeID, timeout: PROBE_TIMEOUT_MS }).then(
						() => "ok",
						(err: Error) => `unavailable: ${err.message}`
					);
				})
		);
	}
	const missing = Object.entries(checks)
		.filter(([, v]) => v !== "ok")
		.map(([k]) => k);
	return { status: missing.length === 0 ? "ok" : "unavailable", checks, missing };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
	// As every answer of the gateway (response-headers.ts): a browser never sniffs a JSON body.
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "X-Content-Type-Options": "nosniff" });
	res.end(JSON.stringify(body));
}

export function HealthPortMiddleware(port: number): Middleware {
	let phase: Phase = "starting";
	let server: http.Server | undefined;

	return {
		name: "HealthPort",

		// Listening before the services start: a healthcheck hears "starting", not silence.
		starting(broker: ServiceBroker): Promise<void> {
			server = http.createServer(function healthRequest(req, res) {
				if (req.method !== "GET") return send(res, 405, { status: "method not allowed" });
				if (req.url === "/health/live") return send(res, 200, { status: "ok" });
				if (req.url !== "/health/ready") return send(res, 404, { status: "not found" });
				nodeReadiness(broker, phase).then(
					report => send(res, report.status === "ok" ? 200 : 503, report),
					(err: Error) => send(res, 503, { status: "unavailable", checks: { node: err.message }, missing: ["node"] })
				);
			});
			const listening = server;
			return new Promise((resolve, reject) => {
				listening.once("error", reject);
				listening.listen(port, () => {
					listening.off("error", reject);
					listening.on("error", err => broker.logger.error("Health port:", err));
					broker.logger.info(`Health port listening on :${port} (/health/live, /health/ready)`);
					resolve();
				});
			});
		},

		started(): void {
			phase = "started";
		},

		stopped(): Promise<void> {
			return new Promise(resolve => {
				if (!server) return resolve();
				server.close(() => resolve());
				server.closeAllConnections();
			});
		}
	} as unknown as Middleware;
}
