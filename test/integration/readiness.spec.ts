/**
 * Honest readiness in one process: a gateway alone names every service it misses; services
 * started after it turn it ready only once their routes exist, and from the first 200 on no
 * route answers 404; a service gone is named and its routes answer 503; Redis only degrades.
 */
import { ServiceBroker, type Service, type ServiceSchema } from "moleculer";
import { config, loadConfig } from "../../lib/config";
import { ApiServices } from "../../lib/names";
import { brokerOptions } from "../../moleculer.config";
import ApiService from "../../services/gateway/api.service";
import IdentityService from "../../services/data/identity.service";
import { domainServices } from "../support/local-system";
import { freePort } from "../support/ports";
import { type ApiRoute, hit, publishedRoutes, ready, watchReadiness } from "../support/readiness";

jest.setTimeout(60_000);

const roomy = { ...config().rateLimit, anonymousPoints: 1_000_000, userPoints: 1_000_000 };

async function gatewayBroker(env: Record<string, string>, roster: object): Promise<{ broker: ServiceBroker; url: string }> {
	const broker = new ServiceBroker({ ...brokerOptions(loadConfig({ ...process.env, TRANSPORTER: "", CACHER: "", ...env })), logger: false });
	// Settings replaced, not mixed in: a mixin would merge the lists of services index by index.
	const api = broker.createService({
		...ApiService,
		settings: { ...ApiService.settings, port: 0, roster: { ...config(), rateLimit: roomy, ...roster } }
	} as ServiceSchema);
	await broker.start();
	const { port } = (api as unknown as { server: { address(): { port: number } } }).server.address();
	return { broker, url: `http://127.0.0.1:${port}` };
}

describe("readiness, one process", () => {
	let routes: ApiRoute[];
	let broker: ServiceBroker;
	let url: string;
	const services = new Map<string, Service>();

	beforeAll(async () => {
		routes = await publishedRoutes();
		({ broker, url } = await gatewayBroker({}, {}));
	});
	afterAll(() => broker?.stop());

	it("a gateway alone answers 503 naming every service it misses, and 503 to any API path", async () => {
		const { status, body } = await ready(url);
		expect(status).toBe(503);
		expect(body.missing).toEqual(expect.arrayContaining([...ApiServices]));
		for (const name of ApiServices) expect(body.checks[name]).toBe("no node");
		// It cannot tell yet which paths will exist: retry, not "no such route".
		const res = await fetch(`${url}/api/v1/employees`);
		expect(res.status).toBe(503);
		expect(res.headers.get("retry-after")).toBeTruthy();
		expect(res.headers.get("x-content-type-options")).toBe("nosniff");
	});

	it("turns ready once the services have started and are routed, and from its first 200 on no route answers 404", async () => {
		for (const schema of domainServices()) services.set(schema.name, broker.createService(schema));
		const present = (name: string) => broker.registry.getServiceList({ onlyAvailable: true }).some(s => s.name === name);
		const watch = await watchReadiness(url, routes, { services: ApiServices, present, settleMs: 1000 });
		console.log(`one-process readiness: ${watch.summary()}`);
		expect(watch.firstReady).toBeDefined();
		expect(watch.failures).toEqual([]);
		expect(watch.unroutedAtReady).toBe(0);
		expect((await ready(url)).body).toMatchObject({ status: "ok", missing: [], checks: { routes: "ok" } });
		// Once every service is routed, a path that is no route is a 404 again.
		expect((await fetch(`${url}/api/v1/no-such-route`)).status).toBe(404);
	});

	it("a service whose last node leaves: ready names it, and its routes answer 503", async () => {
		await broker.destroyService(services.get("reports")!);
		const { status, body } = await ready(url);
		expect(status).toBe(503);
		expect(body.missing).toEqual(["reports"]);
		for (const route of routes.filter(r => r.service === "reports")) expect(await hit(url, route)).toBe(503);
		for (const route of routes.filter(r => r.service === "org")) expect(await hit(url, route)).toBe(401);
	});

	it("a service that joins is routed within a second; a data service seen once and gone makes the gateway unready", async () => {
		// A gateway told to wait for nothing: identity is not one of its required services.
		const solo = await gatewayBroker({}, { readyServices: [] });
		try {
			const identity = solo.broker.createService(IdentityService);
			await solo.broker.waitForServices("identity");
			const joined = Date.now();
			const identityRoutes = routes.filter(r => r.service === "identity");
			while (Date.now() - joined < 5000) {
				const statuses = await Promise.all(identityRoutes.map(r => hit(solo.url, r)));
				if (statuses.every(s => s !== 404 && s !== 503)) break;
				await new Promise(r => setTimeout(r, 10));
			}
			expect(Date.now() - joined).toBeLessThan(1000);
			expect((await ready(solo.url)).status).toBe(200);
			await solo.broker.destroyService(identity);
			const { status, body } = await ready(solo.url);
			expect(status).toBe(503);
			expect(body.checks.identity).toBe("no node");
		} finally {
			await solo.broker.stop();
		}
	});
});

describe("readiness with Redis down", () => {
	it("stays ready, and reports the cache and the rate limits' store as degraded", async () => {
		const dead = `redis://127.0.0.1:${await freePort()}`;
		const { broker, url } = await gatewayBroker({ CACHER: dead }, { readyServices: ["identity"], redisUrl: dead });
		try {
			broker.createService(IdentityService);
			await broker.waitForServices("identity");
			await new Promise(r => setTimeout(r, 300));
			const { status, body } = await ready(url);
			expect(body).toMatchObject({ status: "degraded", missing: [] });
			expect(body.checks.cache).toMatch(/^degraded: Redis/);
			expect(body.checks.rateLimitStore).toMatch(/^degraded: Redis/);
			expect(status).toBe(200);
		} finally {
			// Moleculer's Redis cacher only quits on stop, and a client that never connected
			// would go on reconnecting.
			(broker.cacher as unknown as { client: { disconnect(): void } }).client.disconnect();
			await broker.stop();
		}
	});
});
