/**
 * Honest readiness on real processes over NATS: /health/ready answers 200 only once every
 * service the API needs has a node and the gateway routes to it, and from that first 200 on no
 * route that exists answers 404. Services leave (503, named) and join (routed within a second).
 */
import { ServiceBroker } from "moleculer";
import { AppServices, ApiServices, DataServices } from "../../lib/names";
import { type ClusterNode, clusterNamespace, startNode, waitFor } from "../support/cluster-system";
import { NATS_URL, describeWith } from "../support/external";
import { freePort } from "../support/ports";
import { type ApiRoute, hit, publishedRoutes, ready, watchReadiness } from "../support/readiness";

jest.setTimeout(120_000);

describeWith(["nats"], "readiness on a cluster", () => {
	const namespace = clusterNamespace();
	const env = { RATE_LIMIT_ANONYMOUS: "1000000", RATE_LIMIT_USER: "1000000" };
	const nodes = new Map<string, ClusterNode>();
	let routes: ApiRoute[];
	let url: string;
	let port: number;
	/** A bare node of the namespace: it sees services join when the gateway does. */
	let observer: ServiceBroker;

	const start = (name: string, services: string, extra: Record<string, string> = {}) =>
		nodes.set(name, startNode(name, services, { namespace, env: { ...env, ...extra } })).get(name)!;
	const logs = () => [...nodes.values()].map(n => `--- ${n.name} ---\n${n.output()}`).join("\n");
	const present = (name: string) => observer.registry.getServiceList({ onlyAvailable: true }).some(s => s.name === name);
	const routesOf = (services: readonly string[]) => routes.filter(r => services.includes(r.service));

	beforeAll(async () => {
		routes = await publishedRoutes();
		port = await freePort();
		url = `http://127.0.0.1:${port}`;
		observer = new ServiceBroker({ namespace, nodeID: `observer-${namespace}`, transporter: NATS_URL, logger: false });
		await observer.start();
	});

	afterAll(async () => {
		await Promise.all([...nodes.values()].map(n => n.stop()));
		await observer?.stop();
	});

	it("knows the routes of every service the API needs", () => {
		expect([...new Set(routes.map(r => r.service))].sort()).toEqual([...ApiServices].sort());
	});

	it("a gateway alone is not ready, and names every service it misses", async () => {
		start("gateway", "gateway/api", { PORT: String(port) });
		await waitFor("the gateway to answer", async () => (await fetch(`${url}/health/live`)).ok);
		const { status, body } = await ready(url);
		expect(status).toBe(503);
		expect(body.status).toBe("unavailable");
		expect(body.missing).toEqual(expect.arrayContaining([...ApiServices]));
		for (const name of ApiServices) expect(body.checks[name]).toBe("no node");
	});

	it("turns ready once the rest have joined, and from its first 200 on no route answers 404", async () => {
		const healthPort = await freePort();
		start("data", "data", { HEALTH_PORT: String(healthPort) });
		start("app", "app");
		const watch = await watchReadiness(url, routes, { services: ApiServices, present });
		console.log(`cluster readiness: ${watch.summary()}`);
		if (watch.firstReady === undefined) throw new Error(`never ready: ${JSON.stringify((await ready(url)).body)}\n${logs()}`);
		expect(watch.failures).toEqual([]);
		expect(watch.unroutedAtReady).toBe(0);
		expect(watch.answering.size).toBe(routes.length);
		// The data node's own health port (HEALTH_PORT), as compose's healthcheck asks it.
		const node = await fetch(`http://127.0.0.1:${healthPort}/health/ready`);
		expect({ status: node.status, body: await node.json() }).toMatchObject({
			status: 200,
			body: { status: "ok", checks: Object.fromEntries(["broker", "transporter", "channels", ...DataServices].map(n => [n, "ok"])) }
		});
	});

	it("a service whose last node leaves: ready names it, its routes answer 503", async () => {
		await nodes.get("app")!.stop();
		await waitFor("the gateway to see the app node gone", async () => (await ready(url)).status === 503, 20_000);
		const { body } = await ready(url);
		expect([...body.missing].sort()).toEqual([...AppServices].sort());
		for (const name of DataServices) expect(body.checks[name]).toBe("ok");
		for (const route of routesOf(AppServices)) expect({ route: route.path, status: await hit(url, route) }).toEqual({ route: route.path, status: 503 });
		for (const route of routesOf(DataServices)) expect(await hit(url, route)).not.toBe(503);
	});

	it("a service that joins: its routes answer within a second, on a gateway that knew it and on one that never saw it", async () => {
		// A second gateway that has never seen the application services.
		const port2 = await freePort();
		const url2 = `http://127.0.0.1:${port2}`;
		start("gateway-2", "gateway/api", { PORT: String(port2) });
		await waitFor(
			"the second gateway to miss only the app services",
			async () => {
				const { body } = await ready(url2);
				return JSON.stringify([...body.missing].sort()) === JSON.stringify([...AppServices].sort());
			},
			30_000
		);

		start("app", "app");
		await waitFor("the observer to see the app services", async () => AppServices.every(present), 30_000);
		const t0 = Date.now();
		const routed = new Map<string, number>();
		// A tight loop: waitFor's 200 ms steps would blur the measure.
		while (routed.size < 2 && Date.now() - t0 < 5000) {
			await Promise.all(
				[url, url2]
					.filter(g => !routed.has(g))
					.map(async gateway => {
						const statuses = await Promise.all(routesOf(AppServices).map(r => hit(gateway, r)));
						if (statuses.every(s => s !== 404 && s !== 503)) routed.set(gateway, Date.now() - t0);
					})
			);
			await new Promise(r => setTimeout(r, 10));
		}
		console.log(`cluster join → routes: ${routed.get(url)}ms on the gateway that knew the services, ${routed.get(url2)}ms on the new one`);
		expect(Math.max(...routed.values())).toBeLessThan(1000);
		await waitFor("both ready", async () => (await ready(url)).status === 200 && (await ready(url2)).status === 200, 5000);
	});
});
