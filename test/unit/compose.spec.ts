/**
 * The reference deployment (docker-compose.yml) as an operator would start it. No Docker engine
 * runs here, so the file is read as Compose reads it (YAML merge keys, ${VAR:-default} and
 * ${VAR:?message}) and held to what its comments promise: every Roster node's settings load,
 * every node is health-checked on a port it serves, start-up waits on health, and only nodes
 * with the NATS credentials reach the bus.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { loadConfig } from "../../lib/config";

const ROOT = path.resolve(__dirname, "../..");

/** What an operator sets before `docker compose up` (the file's header asks for these). */
const OPERATOR_ENV: Record<string, string> = {
	JWT_SECRET: "compose-test-secret-0123456789abcdefghij",
	NATS_PASSWORD: "compose-test-nats-password",
	GRAFANA_ADMIN_PASSWORD: "compose-test-grafana"
};

interface ComposeService {
	image?: string;
	build?: string;
	command?: string[];
	environment?: Record<string, string | number | boolean | null>;
	healthcheck?: { test: string[] };
	deploy?: { replicas?: number };
	depends_on?: Record<string, { condition: string }>;
}

/** Compose's interpolation of the forms the file uses; a required variable that is unset throws, as Compose stops. */
function interpolate(text: string, env: Record<string, string>): string {
	return text.replace(/\$\{([A-Z_][A-Z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string | undefined) => {
		const value = env[name];
		if (value !== undefined && value !== "") return value;
		if (op === ":?") throw new Error(`${name}: ${arg}`);
		return op === ":-" ? (arg ?? "") : "";
	});
}

function readCompose(env: Record<string, string>): Record<string, ComposeService> {
	const text = interpolate(readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), env);
	return parse(text, { merge: true }).services;
}

const stringEnv = (service: ComposeService) => Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v == null ? "" : String(v)]));

describe("the reference deployment (docker-compose.yml)", () => {
	const services = readCompose(OPERATOR_ENV);
	const nodes = Object.entries(services).filter(([, s]) => s.image === "roster");

	it("runs two or more of every kind of Roster node", () => {
		expect(nodes.map(([name, s]) => [name, (s.deploy?.replicas ?? 1) >= 2]).sort()).toEqual([
			["app", true],
			["data", true],
			["gateway", true],
			["realtime", true]
		]);
	});

	it("will not start without the secrets an operator must set", () => {
		for (const missing of Object.keys(OPERATOR_ENV)) {
			expect(() => readCompose({ ...OPERATOR_ENV, [missing]: "" })).toThrow(missing);
		}
	});

	it.each(["app", "data", "gateway", "realtime"])("gives the %s nodes settings that load, and services that exist", name => {
		const env = stringEnv(services[name]);
		const config = loadConfig(env);
		expect(config).toMatchObject({ env: "production", transporter: "nats://nats:4222", cacherRedisUrl: "redis://redis:6379" });
		for (const service of env.SERVICES.split(",")) {
			const file = path.join(ROOT, "services", service);
			expect({ service, exists: existsSync(`${file}.service.ts`) || existsSync(file) }).toEqual({ service, exists: true });
		}
	});

	it("health-checks every node on a port that node serves its readiness on", () => {
		for (const [name, service] of nodes) {
			const env = stringEnv(service);
			const port = /127\.0\.0\.1:(\d+)\/health\/ready/.exec(service.healthcheck?.test.join(" ") ?? "")?.[1];
			const served = [env.HEALTH_PORT, env.SERVICES.includes("gateway/api") ? env.PORT : undefined, env.REALTIME_PORT];
			expect({ name, port, served: served.includes(port) }).toEqual({ name, port: expect.any(String), served: true });
		}
	});

	it("starts each service only once what it depends on is healthy, in an order without a cycle", () => {
		for (const [name, service] of Object.entries(services)) {
			for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
				expect({ name, target, condition, checked: services[target]?.healthcheck !== undefined }).toEqual({
					name,
					target,
					condition: "service_healthy",
					checked: true
				});
			}
		}
		const visiting = new Set<string>();
		const done = new Set<string>();
		const visit = (name: string, trail: string[]) => {
			if (done.has(name)) return;
			if (visiting.has(name)) throw new Error(`depends_on cycle: ${[...trail, name].join(" → ")}`);
			visiting.add(name);
			for (const target of Object.keys(services[name].depends_on ?? {})) visit(target, [...trail, name]);
			done.add(name);
		};
		for (const name of Object.keys(services)) visit(name, []);
	});

	it("has every Roster node wait for the bus, the cache and the database it is configured with", () => {
		for (const [name, service] of nodes) {
			const env = stringEnv(service);
			const hosts = [env.TRANSPORTER, env.CACHER, env.MONGO_URI, env.DATABASE_URL].filter(Boolean).map(url => new URL(url).hostname);
			expect({ name, waitsFor: hosts.filter(host => !service.depends_on?.[host]) }).toEqual({ name, waitsFor: [] });
		}
	});

	it("closes the bus: NATS asks for a login, and every node has the one it asks for", () => {
		const command = services.nats.command ?? [];
		const user = command[command.indexOf("--user") + 1];
		const password = command[command.indexOf("--pass") + 1];
		expect(command).toEqual(expect.arrayContaining(["--user", "--pass"]));
		expect(password).toBe(OPERATOR_ENV.NATS_PASSWORD);
		for (const [name, service] of nodes) {
			const env = stringEnv(service);
			expect({ name, user: env.NATS_USER, password: env.NATS_PASSWORD }).toEqual({ name, user, password });
		}
	});

	it("points the links in mail and short links at the load balancer, the one port published for the API", () => {
		const published = (services.lb as { ports: string[] }).ports.map(port => port.split(":").at(-2));
		for (const [name, service] of nodes) {
			const config = loadConfig(stringEnv(service));
			const origin = new URL(config.mail.publicUrl);
			expect({ name, port: origin.port, shortLinks: config.shortLinks.baseUrl }).toEqual({ name, port: published[0], shortLinks: config.mail.publicUrl });
		}
	});

	it("has Prometheus scrape every kind of node on its METRICS_PORT, and the dashboard offer each kind Prometheus labels", () => {
		const prometheus = parse(readFileSync(path.join(ROOT, "deploy/prometheus/prometheus.yml"), "utf8"));
		const sd = prometheus.scrape_configs.find((job: { job_name: string }) => job.job_name === "roster").dns_sd_configs[0];
		expect([...sd.names].sort()).toEqual(nodes.map(([name]) => name).sort());
		for (const [name, service] of nodes) expect({ name, port: stringEnv(service).METRICS_PORT }).toEqual({ name, port: String(sd.port) });
		const dashboard = JSON.parse(readFileSync(path.join(ROOT, "deploy/grafana/dashboards/roster.json"), "utf8"));
		const kind = dashboard.templating.list.find((variable: { name: string }) => variable.name === "kind");
		expect(kind.query.split(",").sort()).toEqual([...sd.names].sort());
	});
});
