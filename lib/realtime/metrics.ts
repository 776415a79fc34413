/**
 * The realtime node for Prometheus (with METRICS_PORT): sockets open now, messages sent, and
 * sockets closed by close code, so an operator sees slow clients (4408), caps (4429) and dead
 * connections (1006, dropped by the heartbeat) apart from ordinary goodbyes (1000, 1001).
 */
import type { ServiceBroker } from "moleculer";

export const RealtimeMetricNames = {
	connections: "roster.realtime.connections",
	messagesSent: "roster.realtime.messages.sent.total",
	closes: "roster.realtime.closes.total"
} as const;

interface Gauge {
	set(value: number): void;
}
interface Counter {
	increment(labels?: Record<string, string>, value?: number): void;
}

export interface RealtimeMeter {
	connections(open: number): void;
	sent(count: number): void;
	closed(code: number): void;
}

/** What a node without metrics counts: nothing. */
export const NO_METRICS: RealtimeMeter = { connections() {}, sent() {}, closed() {} };

export function realtimeMetrics(broker: ServiceBroker): RealtimeMeter {
	if (!broker.isMetricsEnabled()) return NO_METRICS;
	const connections = broker.metrics.register({
		name: RealtimeMetricNames.connections,
		type: "gauge",
		description: "WebSocket connections open on this realtime node"
	}) as unknown as Gauge;
	const messages = broker.metrics.register({
		name: RealtimeMetricNames.messagesSent,
		type: "counter",
		description: "Messages the realtime node sent to its sockets (pushes, replays, protocol messages)"
	}) as unknown as Counter;
	const closes = broker.metrics.register({
		name: RealtimeMetricNames.closes,
		type: "counter",
		labelNames: ["code"],
		description: "WebSocket connections closed, by close code (docs/realtime.md); 1006: dropped without a close frame"
	}) as unknown as Counter;
	return {
		connections: open => connections.set(open),
		sent: count => messages.increment(undefined, count),
		closed: code => closes.increment({ code: String(code) })
	};
}
