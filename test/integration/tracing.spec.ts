/**
 * TRACING=console on the whole system in one broker: a request leaves a span tree in the log,
 * its spans keyed by the request id (the trace id), and no span carries a request's params.
 */
import { Writable } from "node:stream";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import request from "supertest";
import { loadConfig } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";
import ApiService from "../../services/gateway/api.service";
import { eventually } from "../support/cluster-topology";
import { PASSWORD, type Signup, bearer, signup } from "../support/http";
import { domainServices } from "../support/local-system";

interface FinishedSpan {
	name: string;
	traceID: string;
	parentID?: string;
	tags: Record<string, unknown>;
}

describe("TRACING=console", () => {
	let raw = "";
	const sink = new Writable({
		write(chunk: Buffer, _encoding, done) {
			raw += chunk.toString();
			done();
		}
	});
	const spans: FinishedSpan[] = [];
	let broker: ServiceBroker;
	let url: string;
	let owner: Signup;

	beforeAll(async () => {
		const cfg = loadConfig({ ...process.env, TRANSPORTER: "", CACHER: "", LOG_FORMAT: "json", TRACING: "console", TRACING_ENDPOINT: "" });
		broker = new ServiceBroker(brokerOptions(cfg, { logDestination: sink }));
		const aliasesReady = new Promise<void>(resolve => {
			broker.createService({ name: "test-aliases-watch", events: { "$api.aliases.regenerated": () => resolve() } });
		});
		for (const schema of domainServices()) broker.createService(schema);
		const api = broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0 } } as ServiceSchema);
		await broker.start();
		// The configured exporter itself, watched: what it is handed is what Jaeger or Zipkin would get.
		const [exporter] = (broker.tracer as unknown as { exporter: Array<{ spanFinished(span: FinishedSpan): void }> }).exporter;
		const original = exporter.spanFinished.bind(exporter);
		exporter.spanFinished = span => {
			spans.push(span);
			original(span);
		};
		await aliasesReady;
		const { port } = (api as unknown as { server: { address(): { port: number } } }).server.address();
		url = `http://127.0.0.1:${port}`;
		owner = await signup(url, "Traced Co");
	});

	afterAll(() => broker?.stop());

	it("makes a span per call of a request, every one with the request id as its trace id, and prints the tree", async () => {
		const id = `trace-me-${Date.now()}`;
		expect((await request(url).get("/api/v1/me").set(bearer(owner.accessToken)).set("X-Request-Id", id)).status).toBe(200);
		await eventually(() => expect(spans.some(s => s.traceID === id && s.name === "GET /api/v1/me")).toBe(true));
		const trace = spans.filter(s => s.traceID === id);
		expect(trace.map(s => s.name)).toEqual(expect.arrayContaining(["GET /api/v1/me", "action 'identity.session'", "action 'identity.me'"]));
		for (const span of trace) expect(span.tags.requestID).toBe(id);
		// The Console exporter's table, through the broker's logger.
		expect(raw).toMatch(/GET \/api\/v1\/me/);
		expect(raw).toMatch(/action 'identity\.me'/);
	});

	it("keeps params out of spans: a login's span holds no password", async () => {
		const id = `trace-login-${Date.now()}`;
		const res = await request(url).post("/api/v1/auth/login").set("X-Request-Id", id).send({ email: owner.email, password: PASSWORD });
		expect(res.status).toBe(200);
		await eventually(() => expect(spans.some(s => s.traceID === id && s.name === "action 'identity.login'")).toBe(true));
		const login = spans.find(s => s.traceID === id && s.name === "action 'identity.login'")!;
		expect(login.tags.params).toBeUndefined();
		expect(JSON.stringify(spans.filter(s => s.traceID === id).map(s => s.tags))).not.toContain(PASSWORD);
	});
});
