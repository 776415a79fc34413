/**
 * The realtime node's health on its own port, for a load balancer or an orchestrator:
 * GET /health/live (200 while the process runs) and GET /health/ready: 200 once the broker has
 * started, the transporter is connected and identity (which every connect's session check
 * asks) has a node; 503 naming what is not. Notifications without a node only degrade it:
 * live pushes still flow, a reconnecting client is told its replay is unavailable.
 */
import type { ServiceBroker } from "moleculer";

export interface RealtimeReadiness {
	status: "ok" | "degraded" | "unavailable";
	checks: Record<string, string>;
	missing: string[];
}

function hasNode(broker: ServiceBroker, service: string): boolean {
	const list = broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as unknown as Array<{ name: string }>;
	return list.some(s => s.name === service);
}

export function realtimeReadiness(broker: ServiceBroker, stopping: boolean): RealtimeReadiness {
	const checks: Record<string, string> = { broker: stopping ? "stopping" : broker.started ? "ok" : "starting" };
	const transit = broker.transit as { connected?: boolean } | undefined;
	if (transit) checks.transporter = transit.connected ? "ok" : "disconnected";
	checks.identity = hasNode(broker, "identity") ? "ok" : "no node";
	checks.notifications = hasNode(broker, "notifications") ? "ok" : "degraded: no node, replays are unavailable";
	const missing = Object.entries(checks)
		.filter(([, v]) => v !== "ok" && !v.startsWith("degraded"))
		.map(([k]) => k);
	const degraded = Object.values(checks).some(v => v.startsWith("degraded"));
	return { status: missing.length > 0 ? "unavailable" : degraded ? "degraded" : "ok", checks, missing };
}
