/**
 * For readiness tests: every route the API publishes, as the gateway generates them once every
 * service has joined (read from a one-process system, so no list of routes is kept by hand),
 * and a probe that holds /health/ready to its word.
 */
import { startLocalSystem } from "./local-system";

export interface ApiRoute {
	method: string;
	/** The full path with every parameter filled in, e.g. /api/v1/employees/x/transfer. */
	path: string;
	action: string;
	service: string;
}

export interface ReadyBody {
	status: string;
	checks: Record<string, string>;
	missing: string[];
}

interface AliasInfo {
	actionName?: string;
	fullPath: string;
	methods: string;
	routePath: string;
}

export async function publishedRoutes(): Promise<ApiRoute[]> {
	const system = await startLocalSystem();
	try {
		const aliases = await system.broker.call<AliasInfo[]>("api.listAliases");
		return aliases
			.filter(a => a.routePath === "/api/v1" && a.actionName)
			.map(a => ({
				method: a.methods === "*" ? "GET" : a.methods,
				path: a.fullPath.replace(/:\w+/g, "x"),
				action: a.actionName!,
				service: a.actionName!.slice(0, a.actionName!.lastIndexOf("."))
			}));
	} finally {
		await system.stop();
	}
}

/** Sends the request with no token and no body: a route that exists answers anything but 404. */
export async function hit(url: string, route: ApiRoute): Promise<number> {
	const res = await fetch(`${url}${route.path}`, { method: route.method });
	await res.arrayBuffer();
	return res.status;
}

export async function ready(url: string): Promise<{ status: number; body: ReadyBody }> {
	const res = await fetch(`${url}/health/ready`);
	return { status: res.status, body: (await res.json()) as ReadyBody };
}

export interface ReadinessWatch {
	/** ms from the start to the first 200 from /health/ready. */
	firstReady?: number;
	/** Routes not answering in the round sent right after the first 200. */
	unroutedAtReady?: number;
	/** Per route, ms from the start to the first round it answered (not 404, not 503) in. */
	answering: Map<ApiRoute, number>;
	/** Per service, ms from the start to when `present` first said so. */
	joined: Map<string, number>;
	/** Every 404 or 5xx answered to a request sent after the first 200. */
	failures: string[];
	/** Per service, ms from joining to every one of its routes answering. */
	joinToRoutes(): Record<string, number>;
	summary(): string;
}

/**
 * From now on, as fast as the gateway answers: asks /health/ready, then sends every route a
 * request (each sent after the ready answer came back), until every route answers and `settleMs`
 * have passed since the first 200, or `timeoutMs` since the start.
 */
export async function watchReadiness(
	url: string,
	routes: ApiRoute[],
	opts: { services: readonly string[]; present(service: string): boolean; settleMs?: number; timeoutMs?: number }
): Promise<ReadinessWatch> {
	const t0 = Date.now();
	const elapsed = () => Date.now() - t0;
	const { settleMs = 2000, timeoutMs = 60_000 } = opts;
	const watch: ReadinessWatch = {
		answering: new Map(),
		joined: new Map(),
		failures: [],
		joinToRoutes() {
			return Object.fromEntries(
				opts.services.map(name => {
					const last = Math.max(...routes.filter(r => r.service === name).map(r => watch.answering.get(r) ?? Infinity));
					return [name, last - (watch.joined.get(name) ?? NaN)];
				})
			);
		},
		summary() {
			return (
				`first 200 at +${watch.firstReady}ms, every route answering from +${Math.max(...watch.answering.values())}ms;` +
				` routes not answering right after the first 200: ${watch.unroutedAtReady} of ${routes.length};` +
				` join → routes (ms): ${JSON.stringify(watch.joinToRoutes())}`
			);
		}
	};
	const settled = () => watch.firstReady !== undefined && elapsed() - watch.firstReady >= settleMs && watch.answering.size === routes.length;
	while (elapsed() < timeoutMs && !settled()) {
		const { status } = await ready(url).catch(() => ({ status: 0 }));
		if (status === 200) watch.firstReady ??= elapsed();
		for (const name of opts.services) if (!watch.joined.has(name) && opts.present(name)) watch.joined.set(name, elapsed());
		const sent = elapsed();
		const statuses = await Promise.all(routes.map(r => hit(url, r).catch(() => 0)));
		statuses.forEach((code, i) => {
			// Before its route exists a path answers 404, or 503 while routes are being generated.
			if (code !== 404 && code !== 503 && code !== 0 && !watch.answering.has(routes[i])) watch.answering.set(routes[i], sent);
			if (watch.firstReady !== undefined && (code === 404 || code >= 500 || code === 0)) {
				watch.failures.push(`${routes[i].method} ${routes[i].path}: ${code}, ${sent - watch.firstReady}ms after the first 200`);
			}
		});
		if (watch.firstReady !== undefined) watch.unroutedAtReady ??= routes.length - watch.answering.size;
	}
	return watch;
}
