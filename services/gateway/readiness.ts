/**
 * The gateway's readiness, honestly: 200 only when every service the API needs has a node
 * that answers and the gateway routes to it. moleculer-web regenerates its routes a moment
 * after services appear (debounced), so "a node serves it" is not yet "a client can reach it".
 *
 * A data service is probed through its storageReady action, any other service by a ping of
 * its nodes; one node answering is enough. Redis (the cache, the rate limits' store) only
 * degrades: without it requests still work, uncached and with per-node limits.
 */
import type { Context, ServiceBroker } from "moleculer";
import type { StoreStatus } from "../../lib/rate-limit";

const STORAGE_READY = "storageReady";
const PROBE_TIMEOUT_MS = 2000;

export interface ReadinessReport {
	/** "ok" and "degraded" answer 200; "unavailable" answers 503. */
	status: "ok" | "degraded" | "unavailable";
	/** One line per check: "ok", "degraded: …", or why it fails. */
	checks: Record<string, string>;
	/** The failing checks' names: services, "routes", "transporter". */
	missing: string[];
}

interface ActionInfo {
	name: string;
	rest?: unknown;
	visibility?: string;
}

interface LiveService {
	name: string;
	nodes: string[];
	actions: Record<string, ActionInfo>;
}

interface RedisClientLike {
	status?: string;
}

/** The actions a gateway publishes for a service: those with `rest` and no visibility below published. */
function restActions(service: LiveService): string[] {
	return Object.values(service.actions)
		.filter(a => a.rest && (a.visibility == null || a.visibility === "published"))
		.map(a => a.name);
}

function reason(err: unknown): string {
	const first = err instanceof AggregateError ? err.errors[0] : err;
	return first instanceof Error ? first.message : String(first);
}

export class GatewayReadiness {
	/** Data services seen once: one gone since makes the gateway unready, not silently smaller. */
	private readonly storage = new Set<string>();
	/** Every service seen with a live node since this gateway started. */
	private readonly seen = new Set<string>();

	constructor(
		private readonly broker: ServiceBroker,
		private readonly required: readonly string[]
	) {}

	/** The services with a live node now, with their actions and nodes. */
	private live(): Map<string, LiveService> {
		const list = this.broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true, withActions: true, grouping: true });
		const live = new Map<string, LiveService>();
		for (const s of list as unknown as LiveService[]) {
			live.set(s.name, s);
			this.seen.add(s.name);
			if (`${s.name}.${STORAGE_READY}` in s.actions) this.storage.add(s.name);
		}
		return live;
	}

	/** Live services whose published actions the gateway has no route for yet. */
	private unrouted(live: Map<string, LiveService>, routed: ReadonlySet<string>, names: Iterable<string>): string[] {
		const out: string[] = [];
		for (const name of names) {
			const service = live.get(name);
			if (service && restActions(service).some(action => !routed.has(action))) out.push(name);
		}
		return out;
	}

	/**
	 * True while a request that matches no route may be for a route about to exist: a live
	 * service is not routed yet, or a required service has not shown up since start.
	 */
	routesIncomplete(routed: ReadonlySet<string>): boolean {
		const live = this.live();
		return this.unrouted(live, routed, live.keys()).length > 0 || this.required.some(name => !this.seen.has(name));
	}

	/** Notes the services present now (the gateway calls it whenever the registry changes). */
	observe(): void {
		this.live();
	}

	async report(ctx: Context, routed: ReadonlySet<string>, rateLimitStore: StoreStatus): Promise<ReadinessReport> {
		const checks: Record<string, string> = {};
		const live = this.live();
		const tracked = [...new Set([...this.required, ...this.storage])];

		const transit = this.broker.transit as { connected?: boolean } | undefined;
		if (transit) checks.transporter = transit.connected ? "ok" : "disconnected";
		const pending = this.unrouted(live, routed, tracked);
		checks.routes = pending.length === 0 ? "ok" : `pending for ${pending.join(", ")}`;
		const probes = await Promise.all(tracked.map(name => this.probe(ctx, live.get(name))));
		tracked.forEach((name, i) => (checks[name] = probes[i]));

		const cache = (this.broker.cacher as unknown as { client?: RedisClientLike } | null)?.client;
		if (cache && typeof cache.status === "string")
			checks.cache = cache.status === "ready" ? "ok" : `degraded: Redis ${cache.status}, requests are not cached`;
		if (rateLimitStore.store === "redis") checks.rateLimitStore = rateLimitStore.degraded ? `degraded: ${rateLimitStore.degraded}` : "ok";

		const missing = Object.entries(checks)
			.filter(([, value]) => value !== "ok" && !value.startsWith("degraded"))
			.map(([name]) => name);
		const degraded = Object.values(checks).some(value => value.startsWith("degraded"));
		return { status: missing.length > 0 ? "unavailable" : degraded ? "degraded" : "ok", checks, missing };
	}

	/** "ok" when one node of the service answers; otherwise why none does. */
	private async probe(ctx: Context, service: LiveService | undefined): Promise<string> {
		if (!service || service.nodes.length === 0) return "no node";
		const storage = `${service.name}.${STORAGE_READY}`;
		const probes = service.nodes.map(async nodeID => {
			if (storage in service.actions) {
				await ctx.call(storage, {}, { nodeID, timeout: PROBE_TIMEOUT_MS });
			} else if (nodeID !== this.broker.nodeID && !(await this.broker.ping(nodeID, PROBE_TIMEOUT_MS))) {
				throw new Error(`node ${nodeID} does not answer`);
			}
		});
		try {
			await Promise.any(probes);
			return "ok";
		} catch (err) {
			return `unavailable: ${reason(err)}`;
		}
	}
}
