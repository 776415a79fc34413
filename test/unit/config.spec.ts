/**
 * lib/config: every environment variable Roster reads, with explicit env objects (process.env is
 * never touched, so the suites running beside this one see the same process). The last block
 * starts the built runner, because "the node refuses to start with one clear line" is a property
 * of moleculer.config as a deployment runs it, not of loadConfig alone.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { ActionTimeouts } from "../../lib/action-timeouts";
import { type Config, ConfigError, loadConfig } from "../../lib/config";
import { channelAdapter } from "../../lib/channels/adapter";
import { InProcessAdapter } from "../../lib/channels/in-process-adapter";
import { JetStreamAdapter } from "../../lib/channels/jetstream-adapter";
import { brokerOptions } from "../../moleculer.config";

const ROOT = path.resolve(__dirname, "../..");
const SECRET = "unit-test-secret-0123456789-abcdefghijklmnop";

type Env = Record<string, string | undefined>;

/** The ConfigError that loading `env` throws; fails the test when nothing or something else is thrown. */
function configError(env: Env): ConfigError {
	let config: Config | undefined;
	try {
		config = loadConfig(env);
	} catch (err) {
		expect(err).toBeInstanceOf(ConfigError);
		return err as ConfigError;
	}
	throw new Error(`expected loadConfig to throw, it returned ${JSON.stringify({ ...config, jwt: "<hidden>" })}`);
}

/** The operator reads one line, and it must tell them which variable to fix. */
function expectOneLineNaming(err: ConfigError, variable: string): void {
	expect(err.name).toBe("ConfigError");
	expect(err.message).not.toMatch(/[\r\n]/);
	expect(err.message).toContain(variable);
}

describe("loadConfig", () => {
	describe("defaults: one process, nothing external", () => {
		const cfg = loadConfig({});

		it("runs embedded: no transporter, memory cacher, NeDB in memory", () => {
			expect(cfg.transporter).toBeUndefined();
			expect(cfg.cacherRedisUrl).toBeUndefined();
			expect(cfg.redisUrl).toBeUndefined();
			expect(cfg.mongoUri).toBeUndefined();
			expect(cfg.dataDir).toBeUndefined();
		});

		it("turns into broker options without a transporter and with the memory cacher", () => {
			const options = brokerOptions(cfg);
			expect(options.transporter).toBeNull();
			expect(options.cacher).toMatchObject({ type: "Memory" });
		});

		it("listens on 3000 at level info, as a development node", () => {
			expect(cfg.port).toBe(3000);
			expect(cfg.logLevel).toBe("info");
			expect(cfg.env).toBe("development");
			expect(cfg.namespace).toBe("roster");
		});

		it("treats empty values and the explicit keywords as unset", () => {
			const cfg2 = loadConfig({ TRANSPORTER: "none", CACHER: "memory", MONGO_URI: "  ", PORT: "", DATA_DIR: " " });
			expect(cfg2).toMatchObject({ transporter: undefined, cacherRedisUrl: undefined, mongoUri: undefined, port: 3000, dataDir: undefined });
		});
	});

	describe("good values", () => {
		it("accepts a NATS transporter, also a comma-separated list of servers", () => {
			expect(loadConfig({ TRANSPORTER: "nats://nats:4222" }).transporter).toBe("nats://nats:4222");
			const seeds = "nats://n1:4222, nats://n2:4222,tls://n3:4443";
			expect(loadConfig({ TRANSPORTER: seeds }).transporter).toBe(seeds);
			expect(brokerOptions(loadConfig({ TRANSPORTER: seeds })).transporter).toEqual({
				type: "BatchedNATS",
				// A tls:// server makes the client insist on TLS with every server.
				options: { servers: ["nats://n1:4222", "nats://n2:4222", "tls://n3:4443"], tls: {} }
			});
			expect(brokerOptions(loadConfig({ TRANSPORTER: "nats://nats:4222" })).transporter).toEqual({
				type: "BatchedNATS",
				options: { servers: ["nats://nats:4222"] }
			});
		});

		it("passes NATS credentials from NATS_USER and NATS_PASSWORD, or NATS_TOKEN", () => {
			const withUser = loadConfig({ TRANSPORTER: "nats://nats:4222", NATS_USER: "roster", NATS_PASSWORD: "p@ss:w/rd %41" });
			expect(withUser.nats).toMatchObject({ user: "roster", password: "p@ss:w/rd %41", tls: false });
			expect(brokerOptions(withUser).transporter).toEqual({
				type: "BatchedNATS",
				options: { servers: ["nats://nats:4222"], user: "roster", pass: "p@ss:w/rd %41" }
			});
			const withToken = loadConfig({ TRANSPORTER: "nats://nats:4222", NATS_TOKEN: "s3cret-token" });
			expect(brokerOptions(withToken).transporter).toEqual({ type: "BatchedNATS", options: { servers: ["nats://nats:4222"], token: "s3cret-token" } });
		});

		it("insists on TLS, checked against NATS_TLS_CA when given", () => {
			const caFile = path.join(ROOT, "package.json"); // any existing file: the client reads it when it connects
			const cfg = loadConfig({ TRANSPORTER: "nats://nats:4222", NATS_TLS_CA: caFile });
			expect(cfg.nats).toMatchObject({ tls: true, tlsCaFile: caFile });
			expect(brokerOptions(cfg).transporter).toMatchObject({ options: { tls: { caFile } } });
		});

		it("times onboarding sagas (lease, sweep) and takes the crash hook only in tests", () => {
			expect(loadConfig({}).onboarding).toEqual({ leaseMs: 30_000, sweepIntervalMs: 5000, testCrashAt: undefined });
			expect(loadConfig({ ONBOARDING_LEASE: "3000", ONBOARDING_SWEEP_INTERVAL: "250" }).onboarding).toMatchObject({
				leaseMs: 3000,
				sweepIntervalMs: 250
			});
			expect(loadConfig({ NODE_ENV: "test", TEST_ONBOARDING_CRASH_AT: "invite" }).onboarding.testCrashAt).toEqual({ step: "invite", when: "before" });
			expect(loadConfig({ NODE_ENV: "test", TEST_ONBOARDING_CRASH_AT: "commit,after" }).onboarding.testCrashAt).toEqual({
				step: "commit",
				when: "after"
			});
			for (const bad of ["lunch", "hire,during", "hire,after,again"]) {
				expect(() => loadConfig({ NODE_ENV: "test", TEST_ONBOARDING_CRASH_AT: bad })).toThrow(/TEST_ONBOARDING_CRASH_AT .*claim, hire/);
			}
		});

		it("hands out short links at SHORT_LINK_URL, else PUBLIC_URL; a short code space only in tests", () => {
			expect(loadConfig({ PORT: "8080" }).shortLinks).toEqual({ baseUrl: "http://localhost:8080", testCodeLength: undefined });
			expect(loadConfig({ PUBLIC_URL: "https://app.example.com/" }).shortLinks.baseUrl).toBe("https://app.example.com");
			expect(loadConfig({ PUBLIC_URL: "https://app.example.com", SHORT_LINK_URL: "https://rstr.example/" }).shortLinks.baseUrl).toBe(
				"https://rstr.example"
			);
			expect(loadConfig({ NODE_ENV: "test", TEST_SHORT_LINK_CODE_LENGTH: "2" }).shortLinks.testCodeLength).toBe(2);
		});

		it("sends durable events over the transporter's NATS, an in-process queue without one, or CHANNELS' choice", () => {
			expect(loadConfig({}).channels).toMatchObject({ adapter: "memory", maxRetries: 5, retryDelayMs: 500, ackWaitMs: 30_000 });
			expect(loadConfig({ TRANSPORTER: "nats://n1:4222,nats://n2:4222" }).channels).toMatchObject({
				adapter: "nats",
				servers: ["nats://n1:4222", "nats://n2:4222"]
			});
			expect(loadConfig({ TRANSPORTER: "nats://n1:4222", CHANNELS: "nats://js:4222" }).channels).toMatchObject({
				adapter: "nats",
				servers: ["nats://js:4222"]
			});
			expect(loadConfig({ TRANSPORTER: "nats://n1:4222", CHANNELS: "redis://streams:6379/3" }).channels).toMatchObject({
				adapter: "redis",
				url: "redis://streams:6379/3"
			});
			expect(loadConfig({ CHANNEL_MAX_RETRIES: "2", CHANNEL_RETRY_DELAY: "0", CHANNEL_ACK_WAIT: "5000" }).channels).toMatchObject({
				maxRetries: 2,
				retryDelayMs: 0,
				ackWaitMs: 5000
			});
			expect(loadConfig({ NODE_ENV: "test", TEST_CHANNEL_PAUSE: "4000" }).channels.testPauseMs).toBe(4000);
			const jetstream = channelAdapter(loadConfig({ TRANSPORTER: "nats://n1:4222", NATS_USER: "roster", NATS_PASSWORD: "pw" }));
			expect(jetstream).toBeInstanceOf(JetStreamAdapter);
			expect((jetstream as JetStreamAdapter).opts).toMatchObject({
				maxRetries: 5,
				deadLettering: { enabled: true },
				nats: { connectionOptions: { servers: ["nats://n1:4222"], user: "roster", pass: "pw", maxReconnectAttempts: -1 } }
			});
			expect(channelAdapter(loadConfig({}))).toBeInstanceOf(InProcessAdapter);
			expect(channelAdapter(loadConfig({ CHANNELS: "redis://streams:6379" }))).toMatchObject({
				type: "Redis",
				options: { redis: { url: "redis://streams:6379" } }
			});
		});

		it("uses a redis:// CACHER for the rate limits too, unless REDIS_URL is given", () => {
			const shared = loadConfig({ CACHER: "redis://cache:6379/1" });
			expect(shared.cacherRedisUrl).toBe("redis://cache:6379/1");
			expect(shared.redisUrl).toBe("redis://cache:6379/1");
			expect(brokerOptions(shared).cacher).toMatchObject({ type: "ResilientRedis", options: { redis: "redis://cache:6379/1" } });

			const separate = loadConfig({ CACHER: "rediss://cache:6380", REDIS_URL: "redis://limits:6379/2" });
			expect(separate.cacherRedisUrl).toBe("rediss://cache:6380");
			expect(separate.redisUrl).toBe("redis://limits:6379/2");

			const limitsOnly = loadConfig({ REDIS_URL: "redis://limits:6379" });
			expect(limitsOnly.cacherRedisUrl).toBeUndefined();
			expect(limitsOnly.redisUrl).toBe("redis://limits:6379");
		});

		it("accepts mongodb:// and mongodb+srv:// URIs that name a database", () => {
			for (const uri of [
				"mongodb://db:27017/roster",
				"mongodb://user:pass@db/roster?authSource=admin",
				"mongodb+srv://user:pass@cluster0.example.net/roster?retryWrites=true&w=majority"
			]) {
				expect(loadConfig({ MONGO_URI: uri }).mongoUri).toBe(uri);
			}
		});

		// A replica set is how MongoDB runs in production; its seed list has one host:port per member.
		it("accepts a replica-set seed list with ports (mongodb://a:27017,b:27017/roster)", () => {
			const uri = "mongodb://db1:27017,db2:27017,db3:27017/roster?replicaSet=rs0";
			expect(loadConfig({ MONGO_URI: uri }).mongoUri).toBe(uri);
		});

		it("resolves DATA_DIR to an absolute path", () => {
			const cfg = loadConfig({ DATA_DIR: "var/data" });
			expect(path.isAbsolute(cfg.dataDir!)).toBe(true);
			expect(cfg.dataDir).toBe(path.resolve(process.cwd(), "var/data"));
			expect(loadConfig({ DATA_DIR: "/srv/roster/" }).dataDir).toBe("/srv/roster");
		});

		it("accepts every port from 0 to 65535 and every known log level", () => {
			expect(loadConfig({ PORT: "0" }).port).toBe(0);
			expect(loadConfig({ PORT: "65535" }).port).toBe(65535);
			expect(loadConfig({ PORT: " 8080 " }).port).toBe(8080);
			for (const level of ["fatal", "error", "warn", "info", "debug", "trace"]) {
				expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
			}
		});

		it("takes NODE_ENV as exactly production, development or test; unset or empty is development", () => {
			for (const env of ["production", "development", "test"] as const) {
				expect(loadConfig({ NODE_ENV: env, JWT_SECRET: SECRET }).env).toBe(env);
			}
			expect(loadConfig({ NODE_ENV: "" }).env).toBe("development");
			expect(loadConfig({}).env).toBe("development");
		});

		it("takes TRUST_PROXY as true/1/yes or false/0/no in any case; unset or empty is false", () => {
			for (const yes of ["true", "1", "yes", "TRUE", "Yes", " true "]) expect(loadConfig({ TRUST_PROXY: yes }).trustProxy).toBe(true);
			for (const no of ["false", "0", "no", "FALSE", "No", ""]) expect(loadConfig({ TRUST_PROXY: no }).trustProxy).toBe(false);
			expect(loadConfig({}).trustProxy).toBe(false);
		});

		it("hedges reads unless HEDGED_READS says no", () => {
			expect(loadConfig({}).reads.hedged).toBe(true);
			expect(loadConfig({ HEDGED_READS: "" }).reads.hedged).toBe(true);
			for (const no of ["false", "0", "no"]) expect(loadConfig({ HEDGED_READS: no }).reads.hedged).toBe(false);
		});

		it("logs JSON in production and text elsewhere, unless LOG_FORMAT says which", () => {
			expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET }).logFormat).toBe("json");
			expect(loadConfig({}).logFormat).toBe("text");
			expect(loadConfig({ NODE_ENV: "test" }).logFormat).toBe("text");
			expect(loadConfig({ LOG_FORMAT: "json" }).logFormat).toBe("json");
			expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET, LOG_FORMAT: "text" }).logFormat).toBe("text");
			expect(brokerOptions(loadConfig({ LOG_FORMAT: "json" })).logger).toMatchObject({ type: "Pino" });
			expect(brokerOptions(loadConfig({ LOG_FORMAT: "text" })).logger).toMatchObject({ type: "Console" });
		});

		it("traces only when TRACING names an exporter; Jaeger and Zipkin at TRACING_ENDPOINT", () => {
			expect(loadConfig({}).tracing).toEqual({});
			expect(brokerOptions(loadConfig({ TRACING: "none" })).tracing).toEqual({ enabled: false });
			expect(brokerOptions(loadConfig({ TRACING: "console" })).tracing).toMatchObject({ enabled: true, exporter: { type: "Console" } });
			expect(brokerOptions(loadConfig({ TRACING: "jaeger", TRACING_ENDPOINT: "http://jaeger:14268/api/traces" })).tracing).toMatchObject({
				enabled: true,
				exporter: { type: "Jaeger", options: { endpoint: "http://jaeger:14268/api/traces" } }
			});
			expect(brokerOptions(loadConfig({ TRACING: "zipkin", TRACING_ENDPOINT: "http://zipkin:9411/" })).tracing).toMatchObject({
				enabled: true,
				exporter: { type: "Zipkin", options: { baseURL: "http://zipkin:9411" } }
			});
			// A span must not carry an action's params: a login's hold the password.
			expect(brokerOptions(loadConfig({ TRACING: "console" })).tracing).toMatchObject({ tags: { action: { params: false, meta: false } } });
		});

		it("keeps a JWT_SECRET of 32 characters or more as given", () => {
			expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: "production" }).jwt).toMatchObject({ secret: SECRET, generated: false });
		});
	});

	describe("bad values stop the node with one line naming the variable", () => {
		it.each([
			["TRANSPORTER", "kafka://x"],
			["TRANSPORTER", "nats://ok:4222,kafka://bad:9092"],
			["TRANSPORTER", "nats://a:4222,,nats://b:4222"],
			["TRANSPORTER", "nats://"],
			["TRANSPORTER", "localhost:4222"],
			["MONGO_URI", "not a url"],
			["MONGO_URI", "postgres://db/roster"],
			["MONGO_URI", "mongodb://db:27017"],
			["MONGO_URI", "mongodb://db:27017/"],
			["MONGO_URI", "mongodb+srv://cluster0.example.net"],
			["CACHER", "not a url"],
			["CACHER", "Redis"],
			["CACHER", "memcached://cache:11211"],
			["CACHER", "http://cache:6379"],
			["REDIS_URL", "http://limits:6379"],
			["PORT", "abc"],
			["PORT", "80a"],
			["PORT", "3.5"],
			["PORT", "-1"],
			["PORT", "65536"],
			["PORT", "99999999999999999999"],
			["LOG_LEVEL", "verbose"],
			["LOG_LEVEL", "INFO "],
			["BODY_LIMIT", "lots"],
			["ACCESS_TOKEN_TTL", "0"],
			// Each of these silently became development once: a random JWT secret and CORS "*".
			["NODE_ENV", "prod"],
			["NODE_ENV", "Production"],
			["NODE_ENV", "production "],
			["NODE_ENV", "staging"],
			["TRUST_PROXY", "on"],
			["TRUST_PROXY", "y"],
			["TRUST_PROXY", "2"],
			["TRUST_PROXY", "treu"],
			["HEDGED_READS", "off"],
			["LOG_FORMAT", "pretty"],
			["LOG_FORMAT", "JSON"],
			["TRACING", "otlp"],
			["TRACING", "Jaeger"],
			["TRACING", "true"],
			["CHANNELS", "kafka://broker:9092"],
			["CHANNELS", "nats://user:pw@js:4222"],
			["CHANNEL_MAX_RETRIES", "0"],
			["CHANNEL_ACK_WAIT", "10"],
			// A test hook in a real deployment would stall every event.
			["TEST_CHANNEL_PAUSE", "1000"],
			// A test hook in a real deployment would kill the node at every hire.
			["TEST_ONBOARDING_CRASH_AT", "hire"],
			// A test hook in a real deployment would make codes guessable.
			["TEST_SHORT_LINK_CODE_LENGTH", "2"],
			["SHORT_LINK_URL", "javascript:alert(1)"],
			["ONBOARDING_LEASE", "10"],
			["ONBOARDING_SWEEP_INTERVAL", "soon"],
			["SMTP_URL", "mail.example.com:587"],
			["SMTP_URL", "http://mail.example.com"],
			["SMTP_TIMEOUT", "10"],
			["MAIL_FROM", "Roster"],
			["MAIL_FROM", "Roster <no-reply>"]
		])("%s=%j", (variable, value) => {
			expectOneLineNaming(configError({ [variable]: value }), variable);
		});

		it.each([
			[{ TRANSPORTER: "nats://nats:4222", CHANNELS: "memory" }, "CHANNELS"],
			[{ TRACING: "jaeger" }, "TRACING_ENDPOINT"],
			[{ TRACING: "zipkin", TRACING_ENDPOINT: "zipkin:9411" }, "TRACING_ENDPOINT"],
			[{ TRACING: "zipkin", TRACING_ENDPOINT: "udp://zipkin:9411" }, "TRACING_ENDPOINT"],
			[{ TRACING: "console", TRACING_ENDPOINT: "http://zipkin:9411" }, "TRACING_ENDPOINT"],
			[{ TRACING_ENDPOINT: "http://jaeger:14268/api/traces" }, "TRACING_ENDPOINT"]
		])("tracing %j", (env, variable) => {
			expectOneLineNaming(configError(env), variable);
		});

		it("a JWT_SECRET shorter than 32 characters", () => {
			const err = configError({ JWT_SECRET: "too-short-secret" });
			expectOneLineNaming(err, "JWT_SECRET");
			expect(err.message).toMatch(/32/);
		});

		it.each([
			[{ NATS_USER: "roster" }, "NATS_PASSWORD"],
			[{ NATS_PASSWORD: "secret-pass" }, "NATS_USER"],
			[{ NATS_USER: "roster", NATS_PASSWORD: "secret-pass", NATS_TOKEN: "secret-token" }, "NATS_TOKEN"],
			[{ NATS_TLS_CA: "/no/such/ca.pem" }, "NATS_TLS_CA"],
			[{ TRANSPORTER: "nats://roster:secret-pass@nats:4222" }, "TRANSPORTER"],
			[{ TRANSPORTER: "nats://n1:4222,nats://roster:secret-pass@n2:4222" }, "TRANSPORTER"]
		])("NATS credentials: %j", (env, variable) => {
			const err = configError({ TRANSPORTER: "nats://nats:4222", ...env });
			expectOneLineNaming(err, variable);
			expect(err.message).not.toMatch(/secret-(pass|token)/);
		});

		it("NODE_ENV=production without a JWT_SECRET (an empty one counts as none)", () => {
			expectOneLineNaming(configError({ NODE_ENV: "production" }), "JWT_SECRET");
			expectOneLineNaming(configError({ NODE_ENV: "production", JWT_SECRET: "" }), "JWT_SECRET");
		});

		it("any string in any checked variable: either loads, or throws one line naming that variable", () => {
			const variables = [
				"NODE_ENV",
				"TRANSPORTER",
				"CACHER",
				"REDIS_URL",
				"MONGO_URI",
				"PORT",
				"LOG_LEVEL",
				"BODY_LIMIT",
				"CORS_ORIGINS",
				"RATE_LIMIT_USER",
				"TRUST_PROXY"
			];
			const value = fc.oneof(
				fc.string(),
				fc.string({ unit: "grapheme" }),
				fc.constantFrom("a\nb", "nats://x\r\nkafka://y", "\u2028", "mongodb://x/\ny", "redis://a\u0000b")
			);
			fc.assert(
				fc.property(fc.constantFrom(...variables), value, (variable, raw) => {
					try {
						loadConfig({ [variable]: raw });
					} catch (err) {
						expect(err).toBeInstanceOf(ConfigError);
						expectOneLineNaming(err as ConfigError, variable);
					}
				}),
				{ numRuns: 300 }
			);
		});
	});

	describe("the JWT secret", () => {
		it("is generated in development and test, and is the same for every load in one process", () => {
			const first = loadConfig({});
			const second = loadConfig({ NODE_ENV: "test" });
			expect(first.jwt.generated).toBe(true);
			expect(second.jwt.generated).toBe(true);
			expect(first.jwt.secret.length).toBeGreaterThanOrEqual(32);
			// Several brokers in one process (the tests, the REPL) must verify each other's tokens.
			expect(second.jwt.secret).toBe(first.jwt.secret);
		});

		it("never appears in an error message, whichever variable is wrong", () => {
			const tooShort = "hunter2-pass-phrase";
			expect(configError({ JWT_SECRET: tooShort }).message).not.toContain(tooShort);
			for (const bad of [{ PORT: "x" }, { TRANSPORTER: "kafka://x" }, { MONGO_URI: "mongodb://db" }, { ACCESS_TOKEN_TTL: "1" }]) {
				expect(configError({ JWT_SECRET: SECRET, NODE_ENV: "production", ...bad }).message).not.toContain(SECRET);
			}
			fc.assert(
				fc.property(fc.stringMatching(/^[A-Za-z0-9+/=_-]{0,24}$/), suffix => {
					const secret = `sk-${suffix}`;
					expect(configError({ JWT_SECRET: secret }).message).not.toContain(secret);
				}),
				{ numRuns: 100 }
			);
		});
	});

	// The line lands in log collectors; a database password in it outlives the fix of the typo.
	it("does not echo a password embedded in a rejected URL", () => {
		const password = "Pa55-word-in-url";
		for (const env of [
			{ MONGO_URI: `mongodb://admin:${password}@db:27017` },
			{ CACHER: `http://user:${password}@cache:6379` },
			{ REDIS_URL: `memcached://user:${password}@limits` },
			{ SMTP_URL: `imap://user:${password}@mail` }
		]) {
			expect(configError(env).message).not.toContain(password);
		}
	});
});

describe("notification mail and text messages", () => {
	it("go to the file sinks under DATA_DIR (or MAIL_DIR and SMS_DIR) unless SMTP_URL names a server", () => {
		const sinks = loadConfig({ DATA_DIR: "/var/roster" }).mail;
		expect(sinks).toMatchObject({
			dir: path.resolve("/var/roster/mail"),
			smsDir: path.resolve("/var/roster/sms"),
			smtpUrl: undefined,
			smtpTimeoutMs: 10_000
		});
		expect(loadConfig({ MAIL_DIR: "/m", SMS_DIR: "/s" }).mail).toMatchObject({ dir: path.resolve("/m"), smsDir: path.resolve("/s") });
		const smtp = loadConfig({ SMTP_URL: "smtps://user:pw@mail.example.com:465", MAIL_FROM: "Acme HR <hr@acme.test>", SMTP_TIMEOUT: "2000" }).mail;
		expect(smtp).toMatchObject({ smtpUrl: "smtps://user:pw@mail.example.com:465", from: "Acme HR <hr@acme.test>", smtpTimeoutMs: 2000 });
	});
});

describe("the README's configuration table", () => {
	/** Every environment variable the code of a node reads: env.NAME, env["NAME"], read…(env, "NAME"). */
	function variablesRead(): Set<string> {
		const files = ["lib", "services", "mixins", "middlewares", "scripts"]
			.flatMap(dir => readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" }).map(f => path.join(dir, f)))
			.filter(f => f.endsWith(".ts"))
			.concat("moleculer.config.ts");
		const names = new Set<string>();
		for (const file of files) {
			const code = readFileSync(path.join(ROOT, file), "utf8");
			for (const m of code.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*"([A-Z][A-Z0-9_]*)"\s*\]|,\s*"([A-Z][A-Z0-9_]*)")/g)) {
				names.add(m[1] ?? m[2] ?? m[3]);
			}
		}
		return names;
	}

	it("names every variable the code reads", () => {
		const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
		const section = readme.slice(readme.indexOf("\n## Configuration"), readme.indexOf("\n## ", readme.indexOf("\n## Configuration") + 1));
		const documented = new Set(
			section
				.split("\n")
				.filter(line => line.startsWith("| `"))
				.flatMap(line => [...line.split("|")[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map(m => m[1]))
		);
		const read = variablesRead();
		expect(read.size).toBeGreaterThan(20);
		expect([...read].filter(name => !documented.has(name))).toEqual([]);
	});
});

interface Exit {
	code: number | null;
	stderr: string;
}

/** Runs the built node as `npm start` does, with only `env` (plus PATH) in its environment. */
function runNode(env: Record<string, string>): Promise<Exit> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ["node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"], {
			cwd: ROOT,
			// A clean environment: the developer's own variables must not decide the outcome.
			env: { PATH: process.env.PATH ?? "", SERVICEDIR: "dist/services", ...env },
			stdio: ["ignore", "ignore", "pipe"]
		});
		let stderr = "";
		child.stderr!.setEncoding("utf8");
		child.stderr!.on("data", chunk => (stderr += chunk));
		// A config that is wrongly accepted would start a server; do not wait for it forever.
		const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
		child.once("error", reject);
		child.once("close", code => {
			clearTimeout(timer);
			resolve({ code, stderr });
		});
	});
}

function expectRefusal(exit: Exit, variable: string): void {
	const lines = exit.stderr.split(/\r?\n/).filter(line => line.trim() !== "");
	expect(exit.code).not.toBe(0);
	expect(exit.code).not.toBeNull();
	expect(lines.filter(line => line.includes(variable))).toHaveLength(1);
	expect(exit.stderr).not.toMatch(/^\s+at /m);
}

// Each spawns a Node process that loads Moleculer: seconds, not milliseconds.
const SPAWN_TIMEOUT = 30_000;

describe("the node refuses to start on a bad configuration", () => {
	it(
		"TRANSPORTER=kafka://x: non-zero exit and one stderr line naming TRANSPORTER",
		async () => {
			expectRefusal(await runNode({ TRANSPORTER: "kafka://x" }), "TRANSPORTER");
		},
		SPAWN_TIMEOUT
	);

	it(
		"NODE_ENV=production without JWT_SECRET: non-zero exit and one stderr line naming JWT_SECRET",
		async () => {
			expectRefusal(await runNode({ NODE_ENV: "production" }), "JWT_SECRET");
		},
		SPAWN_TIMEOUT
	);

	it(
		"TRACING=otlp: non-zero exit and one stderr line naming TRACING",
		async () => {
			expectRefusal(await runNode({ TRACING: "otlp" }), "TRACING");
		},
		SPAWN_TIMEOUT
	);

	it(
		"NODE_ENV=Production: non-zero exit and one stderr line naming NODE_ENV",
		async () => {
			expectRefusal(await runNode({ NODE_ENV: "Production" }), "NODE_ENV");
		},
		SPAWN_TIMEOUT
	);
});

/** What the broker a runner built ended up with, as the probe service below prints it. */
interface Probe {
	cacher: string;
	ttl: number | null;
	prefix: string;
	namespace: unknown;
	transporter: string | null;
	requestTimeout: number;
}

/**
 * moleculer-runner applies environment variables named like broker options (CACHER, NAMESPACE,
 * TRANSPORTER, CACHER_OPTIONS_TTL…) over the options moleculer.config built from the same
 * variables. The built runner is started with a one-service directory: the probe prints what
 * the broker really got (the cacher instance, not the options) and exits.
 */
describe("moleculer-runner leaves the broker options to lib/config, except for MOL_* variables", () => {
	let probeDir: string;

	beforeAll(() => {
		probeDir = mkdtempSync(path.join(os.tmpdir(), "roster-probe-"));
		writeFileSync(
			path.join(probeDir, "probe.service.js"),
			`module.exports = {
				name: "probe",
				created() {
					const broker = this.broker;
					console.log("PROBE " + JSON.stringify({
						cacher: broker.cacher.constructor.name,
						ttl: broker.cacher.opts.ttl,
						prefix: broker.cacher.prefix,
						namespace: broker.namespace,
						transporter: broker.transit ? broker.transit.tx.constructor.name : null,
						requestTimeout: broker.options.requestTimeout
					}));
					process.exit(0);
				}
			};`
		);
	});

	afterAll(() => rmSync(probeDir, { recursive: true, force: true }));

	async function probe(env: Record<string, string>): Promise<Probe> {
		return new Promise((resolve, reject) => {
			const child = spawn(process.execPath, ["node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"], {
				cwd: ROOT,
				env: { PATH: process.env.PATH ?? "", SERVICEDIR: probeDir, LOG_LEVEL: "warn", ...env },
				stdio: ["ignore", "pipe", "pipe"]
			});
			let output = "";
			child.stdout!.on("data", chunk => (output += chunk));
			child.stderr!.on("data", chunk => (output += chunk));
			const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
			child.once("error", reject);
			child.once("close", () => {
				clearTimeout(timer);
				const line = /^PROBE (.*)$/m.exec(output);
				if (line) resolve(JSON.parse(line[1]) as Probe);
				else reject(new Error(`the probe printed nothing; the runner said:\n${output}`));
			});
		});
	}

	// The cacher connects lazily and only the probe's created() runs: no Redis needs to answer.
	const REDIS = "redis://127.0.0.1:1";

	it(
		"CACHER=redis://… keeps the configured Redis cacher: ttl 300 and the namespaced key prefix",
		async () => {
			expect(await probe({ CACHER: REDIS, NAMESPACE: "probe-ns" })).toMatchObject({
				cacher: "ResilientRedisCacher",
				ttl: 300,
				prefix: "probe-ns-cache-",
				namespace: "probe-ns"
			});
		},
		SPAWN_TIMEOUT
	);

	it(
		"nested names (CACHER_OPTIONS_TTL, REQUESTTIMEOUT) change nothing either",
		async () => {
			expect(await probe({ CACHER: REDIS, CACHER_OPTIONS_TTL: "5", CACHER_OPTIONS_PREFIX: "x", REQUESTTIMEOUT: "1" })).toMatchObject({
				ttl: 300,
				prefix: "roster-cache-",
				requestTimeout: ActionTimeouts.write
			});
		},
		SPAWN_TIMEOUT
	);

	it(
		"TRANSPORTER=none and NAMESPACE=2024 mean what lib/config says: one process, the string namespace",
		async () => {
			expect(await probe({ TRANSPORTER: "none", NAMESPACE: "2024" })).toMatchObject({ transporter: null, namespace: "2024", cacher: "MemoryCacher" });
		},
		SPAWN_TIMEOUT
	);

	it(
		"MOL_* variables still override, by Moleculer's naming rules",
		async () => {
			expect(await probe({ CACHER: REDIS, MOL_CACHER__OPTIONS__TTL: "42", MOL_REQUEST_TIMEOUT: "7000" })).toMatchObject({
				cacher: "ResilientRedisCacher",
				ttl: 42,
				prefix: "roster-cache-",
				requestTimeout: 7000
			});
		},
		SPAWN_TIMEOUT
	);
});
