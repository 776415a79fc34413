/**
 * The node's database pool as gauges, when the node has metrics (METRICS_PORT): connections
 * open and idle, queries waiting for one, and the bound. A pool whose `waiting` stays above zero
 * is where requests queue; one whose total sits at `max` is a hint before that.
 *
 * The pool (lib/store/postgres-pool.ts) is per process and knows nothing of the broker, so the
 * gauges are read from it on a timer, as Moleculer reads its process metrics. A pool that has
 * closed leaves no series behind.
 */
import type { Middleware, ServiceBroker } from "moleculer";
import { type PoolStats, poolStats } from "../lib/store";

export const StoreMetricNames = {
	total: "roster.store.pool.connections",
	idle: "roster.store.pool.idle.connections",
	waiting: "roster.store.pool.waiting.clients",
	max: "roster.store.pool.max.connections"
} as const;

const DESCRIPTIONS: Record<keyof typeof StoreMetricNames, string> = {
	total: "Database connections open in this node's pool, busy or idle",
	idle: "Database connections open and idle",
	waiting: "Queries waiting for a database connection",
	max: "Most database connections this node's pool opens (DATABASE_POOL_SIZE)"
};

/** Often enough that a scrape every 15 s sees a recent value; reading four numbers costs nothing. */
const REFRESH_MS = 1000;

interface Gauge {
	set(value: number, labels: Record<string, string>): void;
	clear(): void;
}

export function StoreMetricsMiddleware(): Middleware {
	let timer: NodeJS.Timeout | undefined;
	const gauges = new Map<keyof typeof StoreMetricNames, Gauge>();

	function refreshPoolGauges(): void {
		const pools = poolStats();
		for (const [key, gauge] of gauges) {
			gauge.clear();
			for (const pool of pools) gauge.set(pool[key as keyof PoolStats] as number, { database: pool.database, schema: pool.schema });
		}
	}

	return {
		name: "StoreMetrics",

		created(broker: ServiceBroker): void {
			if (!broker.isMetricsEnabled()) return;
			for (const key of Object.keys(StoreMetricNames) as Array<keyof typeof StoreMetricNames>) {
				const gauge = broker.metrics.register({
					name: StoreMetricNames[key],
					type: "gauge",
					labelNames: ["database", "schema"],
					description: DESCRIPTIONS[key]
				});
				gauges.set(key, gauge as unknown as Gauge);
			}
		},

		started(): void {
			if (gauges.size === 0) return;
			refreshPoolGauges();
			timer = setInterval(refreshPoolGauges, REFRESH_MS);
			timer.unref();
		},

		stopped(): void {
			if (timer) clearInterval(timer);
			timer = undefined;
		}
	} as unknown as Middleware;
}
