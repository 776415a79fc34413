/**
 * METRICS_PORT: after known traffic, the node's scrape counts it per route pattern and status
 * (errors answered by the gateway's handlers included), beside Moleculer's own request metrics;
 * and the scrape is on the metrics port only, never on the API's.
 */
import { randomUUID } from "node:crypto";
import { Errors, ServiceBroker } from "moleculer";
import request from "supertest";
import { CIRCUIT_BREAKER } from "../../lib/circuit-breaker";
import { config, loadConfig } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";
import { StoreMetricNames } from "../../middlewares/store-metrics.middleware";
import { DbMixin } from "../../mixins/db.mixin";
import { HttpMetricNames } from "../../services/gateway/http-metrics";
import { describeWith } from "../support/external";
import { bearer, signup } from "../support/http";
import { type RunningSystem, startLocalSystem } from "../support/local-system";
import { scrape, valueOf } from "../support/metrics";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

const REQUESTS = HttpMetricNames.requests.replace(/\./g, "_");
const DURATION = HttpMetricNames.duration.replace(/\./g, "_");

describe("metrics on METRICS_PORT", () => {
	let system: RunningSystem;
	let metricsPort: number;

	beforeAll(async () => {
		metricsPort = await freePort();
		// Four authenticated requests a minute: the fifth is the 429 counted below.
		const cfg = config();
		system = await startLocalSystem({ roster: { ...cfg, rateLimit: { ...cfg.rateLimit, userPoints: 4 } } }, { METRICS_PORT: String(metricsPort) });
	});

	afterAll(() => system?.stop());

	it("counts requests per method, route pattern and status, and times them", async () => {
		const owner = await signup(system.url, "Metrics Co");
		for (let i = 0; i < 3; i++) await request(system.url).get("/api/v1/me").set(bearer(owner.accessToken)).expect(200);
		for (let i = 0; i < 2; i++) await request(system.url).get("/api/v1/me").expect(401);
		await request(system.url).get(`/api/v1/employees/${randomUUID()}`).set(bearer(owner.accessToken)).expect(404);
		await request(system.url).get(`/api/v1/no-such-thing/${randomUUID()}`).expect(404);
		await request(system.url).get("/api/v1/me").set(bearer(owner.accessToken)).expect(429);
		// Refused by the body parser, before any hook: still counted under its route.
		await request(system.url)
			.post("/api/v1/auth/login")
			.send({ email: "x".repeat(200_000) })
			.expect(413);

		const { samples } = await scrape(metricsPort);
		const count = (labels: Record<string, string>) => valueOf(samples, REQUESTS, labels);
		expect(count({ method: "GET", route: "/api/v1/me", status: "200" })).toBe(3);
		expect(count({ method: "GET", route: "/api/v1/me", status: "401" })).toBe(2);
		expect(count({ method: "GET", route: "/api/v1/employees/:id", status: "404" })).toBe(1);
		expect(count({ method: "GET", route: "/api/v1/me", status: "429" })).toBe(1);
		expect(count({ method: "POST", route: "/api/v1/auth/login", status: "413" })).toBe(1);
		// A path nothing serves is one series, whatever the path: no URL ever becomes a label.
		expect(count({ method: "GET", route: "unmatched", status: "404" })).toBe(1);
		expect(samples.filter(s => s.name === REQUESTS).every(s => !s.labels.route.includes("no-such-thing"))).toBe(true);
		expect(samples.filter(s => s.name === REQUESTS).every(s => s.labels.nodeID === system.broker.nodeID)).toBe(true);

		// The histogram, in seconds: every request in the +Inf bucket, and none slower than the 10 s timeout.
		for (const [status, n] of [
			["200", 3],
			["401", 2]
		] as const) {
			const labels = { method: "GET", route: "/api/v1/me", status };
			expect(valueOf(samples, `${DURATION}_bucket`, { ...labels, le: "+Inf" })).toBe(n);
			expect(valueOf(samples, `${DURATION}_bucket`, { ...labels, le: "10" })).toBe(n);
		}
	});

	it("has Moleculer's own request metrics beside them", async () => {
		const { samples } = await scrape(metricsPort);
		expect(valueOf(samples, "moleculer_request_total", { action: "api.rest", caller: "null" })).toBeGreaterThanOrEqual(9);
		// The gateway remembers a checked session (services/gateway/session-check.ts): at least one check.
		expect(valueOf(samples, "moleculer_request_total", { action: "identity.session", caller: "api" })).toBeGreaterThanOrEqual(1);
	});

	it("is not served on the API's port", async () => {
		await request(system.url).get("/metrics").expect(404);
		await request(system.url).get("/api/v1/metrics").expect(404);
		const page = await request(system.url).get("/metrics");
		expect(page.text).not.toContain("moleculer_request_total");
	});
});

describe("metrics of circuit breakers", () => {
	it("show a breaker opened on an endpoint (Moleculer's own gauges, per node, service and action)", async () => {
		const metricsPort = await freePort();
		const cfg = loadConfig({ ...process.env, TRANSPORTER: "", CACHER: "", METRICS_PORT: String(metricsPort) });
		const broker = new ServiceBroker({ ...brokerOptions(cfg), logger: false });
		broker.createService({
			name: "flaky",
			actions: { fail: () => Promise.reject(new Errors.MoleculerError("down", 500, "DOWN")) }
		});
		await broker.start();
		try {
			// The breaker's least count in its window (lib/circuit-breaker.ts), every call failing.
			for (let i = 0; i < CIRCUIT_BREAKER.minRequestCount!; i++) await expect(broker.call("flaky.fail")).rejects.toThrow("down");
			await expect(broker.call("flaky.fail")).rejects.toThrow(Errors.ServiceNotAvailableError);

			const { samples } = await scrape(metricsPort);
			const endpoint = { affectedNodeID: broker.nodeID, service: "flaky", action: "flaky.fail" };
			expect(valueOf(samples, "moleculer_circuit_breaker_opened_active", endpoint)).toBe(1);
			expect(valueOf(samples, "moleculer_circuit_breaker_opened_total", endpoint)).toBe(1);
		} finally {
			await broker.stop();
		}
	});
});

describeWith(["postgres"], "metrics of the PostgreSQL pool", () => {
	const url = freshSchemaUrl("metrics");
	const schema = new URL(url).searchParams.get("schema")!;
	const gauge = (name: string) => name.replace(/\./g, "_");

	afterAll(() => dropSchema(url));

	it("shows the node's pool: its bound, connections open and idle, and none waiting", async () => {
		const metricsPort = await freePort();
		const cfg = loadConfig({
			...process.env,
			NODE_ENV: "test",
			TRANSPORTER: "",
			CACHER: "",
			DATABASE_URL: url,
			DATABASE_POOL_SIZE: "3",
			METRICS_PORT: String(metricsPort)
		});
		const broker = new ServiceBroker({ ...brokerOptions(cfg), logger: false });
		broker.createService({ name: "things", mixins: [DbMixin("things", { name: "things" }, [], { config: cfg })] });
		await broker.start();
		try {
			const { samples, text } = await scrape(metricsPort);
			const labels = { database: new URL(url).pathname.slice(1), schema };
			expect(valueOf(samples, gauge(StoreMetricNames.max), labels)).toBe(3);
			expect(valueOf(samples, gauge(StoreMetricNames.total), labels)).toBeGreaterThanOrEqual(1);
			expect(valueOf(samples, gauge(StoreMetricNames.idle), labels)).toBeLessThanOrEqual(valueOf(samples, gauge(StoreMetricNames.total), labels)!);
			expect(valueOf(samples, gauge(StoreMetricNames.waiting), labels)).toBe(0);
			// The database's name and schema, never its URL.
			expect(text).not.toContain("postgres://");
		} finally {
			await broker.stop();
		}
	});
});

describe("METRICS_PORT", () => {
	it("is read from the environment, and metrics are off by default", () => {
		expect(loadConfig({ METRICS_PORT: "9100" }).metricsPort).toBe(9100);
		expect(loadConfig({}).metricsPort).toBeUndefined();
		expect(brokerOptions(loadConfig({})).metrics).toEqual({ enabled: false });
		expect(brokerOptions(loadConfig({ METRICS_PORT: "9100" })).metrics).toMatchObject({
			enabled: true,
			reporter: { type: "Prometheus", options: { port: 9100, path: "/metrics" } }
		});
	});

	it("is refused when it is not a port, or is the API's or the health port", () => {
		expect(() => loadConfig({ METRICS_PORT: "metrics" })).toThrow(/METRICS_PORT/);
		expect(() => loadConfig({ METRICS_PORT: "70000" })).toThrow(/METRICS_PORT/);
		expect(() => loadConfig({ METRICS_PORT: "3000" })).toThrow(/METRICS_PORT must differ from PORT/);
		expect(() => loadConfig({ METRICS_PORT: "3100", HEALTH_PORT: "3100" })).toThrow(/METRICS_PORT must differ from HEALTH_PORT/);
	});
});
