/**
 * Roster's configuration, read once from the environment and validated up front so that
 * a bad value stops the node with one clear line instead of failing later in a handler.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkPattern } from "./jobs/schedule";
import { JOB_NAMES, type JobName } from "./names/jobs";
import { ONBOARDING_STEPS } from "./names/onboarding";
import { ApiServices } from "./names/services";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/** `json`: one pino object a line, for a log shipper; `text`: Moleculer's short lines, for a person. */
export type LogFormat = "json" | "text";

/** Moleculer's trace exporters Roster can pick from the environment. */
export type TracingExporter = "console" | "jaeger" | "zipkin";

/** Off when `exporter` is undefined; `endpoint` is where Jaeger or Zipkin receive spans. */
export interface TracingConfig {
	exporter?: TracingExporter;
	endpoint?: string;
}

export interface RateLimitConfig {
	/** Window length for the per-client limits, in seconds. */
	windowSeconds: number;
	/** Requests per window for one anonymous client (by IP). */
	anonymousPoints: number;
	/** Requests per window for one authenticated user. */
	userPoints: number;
	/** Failed logins for one account from one IP before it is blocked. */
	loginFailsPerAccount: number;
	/** Failed logins from one IP, over all accounts, before it is blocked. */
	loginFailsPerIp: number;
	/** How long the failed-login counters and blocks last, in seconds. */
	loginWindowSeconds: number;
}

export type NodeEnv = "production" | "development" | "test";

/** How a node proves itself to NATS, and how it checks the server in turn. */
export interface NatsSecurity {
	user?: string;
	password?: string;
	token?: string;
	/** Refuse a connection that is not TLS: a tls:// server in TRANSPORTER, or NATS_TLS_CA given. */
	tls: boolean;
	/** PEM file of the CA that signed the NATS servers' certificates; the system's CAs otherwise. */
	tlsCaFile?: string;
}

/** Argon2 work per process: lib/auth/passwords.ts runs it in a bounded queue of its own. */
export interface PasswordHashingConfig {
	/** Hashes or verifications at once. */
	concurrency: number;
	/** Waiting beyond those; one more is refused with 503 and Retry-After. */
	maxQueue: number;
}

/**
 * Where durable domain events travel (@moleculer/channels, see docs/operations.md): NATS
 * JetStream on the transporter's servers in a cluster, Redis Streams when CHANNELS names a
 * Redis, and an in-process queue in one process (events then live as long as the process).
 */
export type ChannelsTransport = { adapter: "memory" } | { adapter: "nats"; servers: string[] } | { adapter: "redis"; url: string };

export type ChannelsConfig = ChannelsTransport & {
	/** Deliveries of one event to one consumer group before it goes to the dead-letter queue (the first counts). */
	maxRetries: number;
	/** Pause after the first failed delivery, doubled after each further one. */
	retryDelayMs: number;
	/** How long a delivery may go unacknowledged before another node of the group gets it (a crashed consumer). */
	ackWaitMs: number;
	/** Tests only (NODE_ENV=test): a handler pauses this long after its effect, so a test can kill it mid-handling. */
	testPauseMs?: number;
	/** Tests only (NODE_ENV=test): the employee import pauses this long mid-chunk (rows imported, chunk not yet counted). */
	importTestPauseMs?: number;
};

/** The real-time push service (services/gateway/realtime.service.ts, docs/realtime.md). */
export interface RealtimeConfig {
	/** Its own HTTP port: WebSocket upgrades on REALTIME_PATH, and /health/live, /health/ready. */
	port: number;
	/** Open sockets one user may hold at once, over every realtime node together. */
	maxConnectionsPerUser: number;
	/** A ping every this many ms; a socket that has not answered the previous one is dropped. */
	heartbeatMs: number;
	/** Bytes a socket may have waiting to be sent; a message past it closes the socket (a slow client). */
	maxBufferedBytes: number;
	/** How often an open socket's session is checked again (a logout, a disabled user closes it). */
	sessionRecheckMs: number;
}

/** Where the test hook kills a node: right before or right after a step's effect ("claim" is the offer's claim). */
export interface OnboardingCrashPoint {
	step: "claim" | (typeof ONBOARDING_STEPS)[number];
	when: "before" | "after";
}

/** The onboarding saga (services/app/onboarding.service.ts, docs/operations.md). */
export interface OnboardingConfig {
	/** How long a node owns a saga it runs, renewed at each step: past it, another node takes the saga over. */
	leaseMs: number;
	/** How often each onboarding node looks for sagas whose lease ran out. */
	sweepIntervalMs: number;
	/** Tests only (NODE_ENV=test): the node kills itself (SIGKILL) at this point of every saga. */
	testCrashAt?: OnboardingCrashPoint;
}

/** Scheduled jobs (mixins/scheduled-jobs.mixin.ts, docs/operations.md#scheduled-jobs). */
export interface JobsConfig {
	/** Per job, the cron pattern (UTC) that replaces the service's own, or "off" to run it never. */
	schedules: Partial<Record<JobName, string>>;
	/** How long a run's node keeps its claim without renewing it: how soon a run whose node died is taken over. */
	leaseMs: number;
	/** Tests only (NODE_ENV=test): a run pauses this long after its handler, before it is marked done, so a test can kill it there. */
	testPauseMs?: number;
}

/** Short links (services/data/shorturl.service.ts). */
export interface ShortLinksConfig {
	/** The origin that serves GET /s/:code (the gateway, as the world reaches it): SHORT_LINK_URL, else PUBLIC_URL. */
	baseUrl: string;
	/** Tests only (NODE_ENV=test): codes this short, so that parallel creation collides and must retry. */
	testCodeLength?: number;
}

export interface Config {
	env: NodeEnv;
	namespace: string;
	nodeId?: string;
	port: number;
	logLevel: LogLevel;
	logFormat: LogFormat;
	tracing: TracingConfig;
	/** NATS URL(s), or undefined to run in one process without a transporter. */
	transporter?: string;
	/** NATS credentials and TLS; used only with a transporter. */
	nats: NatsSecurity;
	/** Redis URL for the cacher, or undefined for the in-memory cacher. */
	cacherRedisUrl?: string;
	/** Redis for gateway rate limits: REDIS_URL, or the cacher's Redis. */
	redisUrl?: string;
	/** PostgreSQL (postgres://…), the shared store of a cluster; `?schema=` names the schema. */
	databaseUrl?: string;
	mongoUri?: string;
	/** Connections per node to the shared store (PostgreSQL or MongoDB). */
	databasePoolSize: number;
	/** NeDB files live here when set; otherwise NeDB stays in memory. */
	dataDir?: string;
	jwt: {
		secret: string;
		/** True when no JWT_SECRET was given and a random one was made for this process. */
		generated: boolean;
		issuer: string;
		/** The `aud` claim: a token made for another service with the same secret is refused here. */
		audience: string;
		accessTtlSeconds: number;
		refreshTtlSeconds: number;
	};
	rateLimit: RateLimitConfig;
	passwordHashing: PasswordHashingConfig;
	/** Allowed CORS origins; "*" allows any, an empty list turns CORS off. */
	corsOrigins: string[] | "*";
	bodyLimit: string;
	/** Take the client IP from X-Forwarded-For (set when a load balancer is in front). */
	trustProxy: boolean;
	/** The services the gateway's /health/ready waits for: every service the API routes to, or a subset. */
	readyServices: string[];
	/** A node-level health port (/health/live, /health/ready) on any node; off when undefined. */
	healthPort?: number;
	/** Prometheus metrics of this node on this port (GET /metrics), never the API's; off when undefined. */
	metricsPort?: number;
	/**
	 * Read-only calls: how long one attempt may take, and how many more nodes are tried
	 * (middlewares/read-retry); whether a slow one gets a backup on another node (middlewares/hedged-read).
	 */
	reads: { attemptTimeoutMs: number; retries: number; hedged: boolean };
	/**
	 * Mail to people. Links (activation, reset) are written as files to `dir`; notifications go
	 * by SMTP when `smtpUrl` is set, else to the same folder; text messages to `smsDir`.
	 */
	mail: MailConfig;
	channels: ChannelsConfig;
	realtime: RealtimeConfig;
	onboarding: OnboardingConfig;
	jobs: JobsConfig;
	shortLinks: ShortLinksConfig;
	/** The audit trail: records older than `retentionDays` are pruned daily (auditPrune); 0 keeps them for ever. */
	audit: { retentionDays: number };
}

export interface MailConfig {
	dir: string;
	publicUrl: string;
	/** smtp:// or smtps:// (user and password in the URL, as nodemailer takes them); undefined: the file sink. */
	smtpUrl?: string;
	/** The From of notification mail. */
	from: string;
	/** How long SMTP may take to connect, greet and answer each command before the delivery fails (and is retried). */
	smtpTimeoutMs: number;
	/** Text messages (SMS) are written as files here: a folder per phone number. */
	smsDir: string;
}

export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ConfigError";
	}
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace"];

/** URLs in messages keep their user name but never a password (every URL of a list). */
function masked(value: string): string {
	return value.replace(/(\/\/[^:/@]*):[^@/]*@/g, "$1:***@");
}

function fail(name: string, problem: string, value: string | undefined): never {
	const shown = value === undefined ? "" : ` (got ${JSON.stringify(masked(value))})`;
	throw new ConfigError(`Invalid configuration: ${name} ${problem}${shown}`);
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = env[name];
	if (raw === undefined || raw === "") return fallback;
	if (!/^\d+$/.test(raw.trim())) fail(name, "must be a whole number", raw);
	const value = Number(raw);
	if (value < min || value > max) fail(name, `must be between ${min} and ${max}`, raw);
	return value;
}

function readUrl(name: string, raw: string, schemes: string[]): URL {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return fail(name, "is not a valid URL", raw);
	}
	if (!schemes.includes(url.protocol)) {
		fail(name, `must use ${schemes.map(s => s + "//").join(" or ")}`, raw);
	}
	if (!url.hostname) fail(name, "has no host", raw);
	return url;
}

const NODE_ENVS: NodeEnv[] = ["production", "development", "test"];

/** Exactly one of the three: `prod` or `Production` must not quietly become development. */
function readNodeEnv(env: Env): NodeEnv {
	const raw = env.NODE_ENV;
	if (raw === undefined || raw === "") return "development";
	if (!NODE_ENVS.includes(raw as NodeEnv)) fail("NODE_ENV", `must be one of ${NODE_ENVS.join(", ")}`, raw);
	return raw as NodeEnv;
}

const LOG_FORMATS: LogFormat[] = ["json", "text"];

/** JSON where a machine reads the logs (production), text where a person does (`npm start`, tests). */
function readLogFormat(env: Env, isProduction: boolean): LogFormat {
	const raw = env.LOG_FORMAT?.trim();
	if (raw === undefined || raw === "") return isProduction ? "json" : "text";
	if (!LOG_FORMATS.includes(raw as LogFormat)) fail("LOG_FORMAT", `must be one of ${LOG_FORMATS.join(", ")}`, raw);
	return raw as LogFormat;
}

const TRACING_EXPORTERS: TracingExporter[] = ["console", "jaeger", "zipkin"];

/**
 * Off unless TRACING names an exporter. Jaeger and Zipkin need TRACING_ENDPOINT; an endpoint
 * with nothing to send to it is a mistake worth stopping for, not a setting to ignore.
 */
function readTracing(env: Env): TracingConfig {
	const raw = env.TRACING?.trim();
	const endpointRaw = env.TRACING_ENDPOINT?.trim() || undefined;
	if (raw === undefined || raw === "" || raw === "none") {
		if (endpointRaw) fail("TRACING_ENDPOINT", "is set but TRACING is not jaeger or zipkin", endpointRaw);
		return {};
	}
	if (!TRACING_EXPORTERS.includes(raw as TracingExporter)) fail("TRACING", `must be none, ${TRACING_EXPORTERS.join(", ")}`, raw);
	const exporter = raw as TracingExporter;
	if (exporter === "console") {
		if (endpointRaw) fail("TRACING_ENDPOINT", "is set but TRACING=console prints spans to the log", endpointRaw);
		return { exporter };
	}
	const example = exporter === "jaeger" ? "http://jaeger:14268/api/traces" : "http://zipkin:9411";
	if (!endpointRaw) fail("TRACING_ENDPOINT", `is required with TRACING=${exporter} (e.g. ${example})`, undefined);
	const endpoint = readUrl("TRACING_ENDPOINT", endpointRaw, ["http:", "https:"]).href;
	return { exporter, endpoint: exporter === "zipkin" ? endpoint.replace(/\/$/, "") : endpoint };
}

const TRUE = ["true", "1", "yes"];
const FALSE = ["false", "0", "no"];

/** A yes-or-no variable: true/1/yes or false/0/no, any case; empty or unset is the default. */
function readBool(env: Env, name: string, fallback: boolean): boolean {
	const raw = env[name]?.trim().toLowerCase();
	if (raw === undefined || raw === "") return fallback;
	if (TRUE.includes(raw)) return true;
	if (FALSE.includes(raw)) return false;
	return fail(name, "must be true, false, 1, 0, yes or no", env[name]);
}

function readTransporter(env: Env): string | undefined {
	const raw = env.TRANSPORTER?.trim();
	if (!raw || raw === "none") return undefined;
	// NATS takes a comma-separated list of seed servers.
	for (const server of raw.split(",")) {
		const url = readUrl("TRANSPORTER", server.trim(), ["nats:", "tls:"]);
		// Moleculer hands URL credentials to NATS still percent-encoded; one place for them is enough.
		if (url.username || url.password) fail("TRANSPORTER", "must not hold credentials: set NATS_USER and NATS_PASSWORD (or NATS_TOKEN)", raw);
	}
	return raw;
}

function readNats(env: Env, transporter: string | undefined): NatsSecurity {
	const user = env.NATS_USER?.trim() || undefined;
	const password = env.NATS_PASSWORD || undefined;
	const token = env.NATS_TOKEN || undefined;
	if (user && !password) fail("NATS_PASSWORD", "is required with NATS_USER", undefined);
	if (password && !user) fail("NATS_USER", "is required with NATS_PASSWORD", undefined);
	if (token && user) fail("NATS_TOKEN", "and NATS_USER/NATS_PASSWORD exclude each other: NATS takes one of them", undefined);
	const tlsCaFile = env.NATS_TLS_CA?.trim() ? path.resolve(env.NATS_TLS_CA.trim()) : undefined;
	if (tlsCaFile && !existsSync(tlsCaFile)) fail("NATS_TLS_CA", "names no file", env.NATS_TLS_CA);
	const tlsServer = transporter?.split(",").some(server => server.trim().startsWith("tls:")) ?? false;
	return { user, password, token, tls: tlsServer || tlsCaFile !== undefined, tlsCaFile };
}

/**
 * CHANNELS: unset for the transporter's NATS (JetStream) in a cluster and the in-process queue
 * in one process; `memory`, a `nats://` server list or a `redis://` URL to choose. An in-process
 * queue in a cluster would keep every event on the node that wrote it: refused.
 */
function readChannelsTransport(env: Env, transporter: string | undefined): ChannelsTransport {
	const raw = env.CHANNELS?.trim();
	const servers = (list: string) => list.split(",").map(server => server.trim());
	if (!raw) return transporter ? { adapter: "nats", servers: servers(transporter) } : { adapter: "memory" };
	if (raw === "memory") {
		if (transporter) fail("CHANNELS", "=memory keeps events on the node that wrote them: a cluster (TRANSPORTER set) needs nats:// or redis://", raw);
		return { adapter: "memory" };
	}
	if (/^rediss?:/.test(raw)) return { adapter: "redis", url: readUrl("CHANNELS", raw, ["redis:", "rediss:"]).href };
	for (const server of servers(raw)) {
		const url = readUrl("CHANNELS", server, ["nats:", "tls:"]);
		if (url.username || url.password) fail("CHANNELS", "must not hold credentials: set NATS_USER and NATS_PASSWORD (or NATS_TOKEN)", raw);
	}
	return { adapter: "nats", servers: servers(raw) };
}

function readChannels(env: Env, transporter: string | undefined, nodeEnv: NodeEnv): ChannelsConfig {
	const pause = env.TEST_CHANNEL_PAUSE?.trim();
	if (pause && nodeEnv !== "test") fail("TEST_CHANNEL_PAUSE", "is a test hook: it is refused unless NODE_ENV=test", pause);
	const importPause = env.TEST_IMPORT_PAUSE?.trim();
	if (importPause && nodeEnv !== "test") fail("TEST_IMPORT_PAUSE", "is a test hook: it is refused unless NODE_ENV=test", importPause);
	return {
		...readChannelsTransport(env, transporter),
		maxRetries: readInt(env, "CHANNEL_MAX_RETRIES", 5, 1, 100),
		retryDelayMs: readInt(env, "CHANNEL_RETRY_DELAY", 500, 0, 60_000),
		ackWaitMs: readInt(env, "CHANNEL_ACK_WAIT", 30_000, 1000, 3_600_000),
		testPauseMs: pause ? readInt(env, "TEST_CHANNEL_PAUSE", 0, 1, 600_000) : undefined,
		importTestPauseMs: importPause ? readInt(env, "TEST_IMPORT_PAUSE", 0, 1, 600_000) : undefined
	};
}

const CRASH_STEPS: readonly string[] = ["claim", ...ONBOARDING_STEPS];

function readOnboarding(env: Env, nodeEnv: NodeEnv): OnboardingConfig {
	const crash = env.TEST_ONBOARDING_CRASH_AT?.trim();
	let testCrashAt: OnboardingCrashPoint | undefined;
	if (crash) {
		if (nodeEnv !== "test") fail("TEST_ONBOARDING_CRASH_AT", "is a test hook: it is refused unless NODE_ENV=test", crash);
		const [step, when = "before", ...rest] = crash.split(",").map(part => part.trim());
		if (!CRASH_STEPS.includes(step) || !["before", "after"].includes(when) || rest.length > 0) {
			fail("TEST_ONBOARDING_CRASH_AT", `must be <step>[,before|after] with a step of ${CRASH_STEPS.join(", ")}`, crash);
		}
		testCrashAt = { step: step as OnboardingCrashPoint["step"], when: when as OnboardingCrashPoint["when"] };
	}
	return {
		leaseMs: readInt(env, "ONBOARDING_LEASE", 30_000, 1000, 3_600_000),
		sweepIntervalMs: readInt(env, "ONBOARDING_SWEEP_INTERVAL", 5000, 100, 3_600_000),
		testCrashAt
	};
}

/**
 * JOB_SCHEDULES: `name=pattern` pairs separated by `;` (a pattern has spaces and commas), e.g.
 * `interviewReminders=0 7 * * *;leaveRollover=off`. Unknown names and bad patterns are refused.
 */
function readJobSchedules(env: Env): Partial<Record<JobName, string>> {
	const raw = env.JOB_SCHEDULES?.trim();
	const schedules: Partial<Record<JobName, string>> = {};
	if (!raw) return schedules;
	for (const entry of raw
		.split(";")
		.map(part => part.trim())
		.filter(Boolean)) {
		const eq = entry.indexOf("=");
		const name = entry.slice(0, eq).trim() as JobName;
		const pattern = entry.slice(eq + 1).trim();
		if (eq < 1 || !pattern) fail("JOB_SCHEDULES", "must be name=pattern pairs separated by ';'", raw);
		if (!JOB_NAMES.includes(name)) fail("JOB_SCHEDULES", `names no job '${name}' (jobs: ${JOB_NAMES.join(", ")})`, raw);
		if (pattern !== "off") {
			try {
				checkPattern(pattern);
			} catch (err) {
				fail("JOB_SCHEDULES", `has a bad pattern for ${name}: ${(err as Error).message}`, raw);
			}
		}
		schedules[name] = pattern;
	}
	return schedules;
}

function readJobs(env: Env, nodeEnv: NodeEnv): JobsConfig {
	const pause = env.TEST_JOB_PAUSE?.trim();
	if (pause && nodeEnv !== "test") fail("TEST_JOB_PAUSE", "is a test hook: it is refused unless NODE_ENV=test", pause);
	return {
		schedules: readJobSchedules(env),
		leaseMs: readInt(env, "JOB_LEASE", 30_000, 1000, 3_600_000),
		testPauseMs: pause ? readInt(env, "TEST_JOB_PAUSE", 0, 1, 600_000) : undefined
	};
}

function readCacher(env: Env): string | undefined {
	const raw = env.CACHER?.trim();
	if (!raw || raw.toLowerCase() === "memory") return undefined;
	readUrl("CACHER", raw, ["redis:", "rediss:"]);
	return raw;
}

/** Mongo's URIs may list several host:port pairs (a replica set), which URL cannot parse. */
const MONGO_URI = /^mongodb(?:\+srv)?:\/\/(?:[^@/\s]+@)?([^/?\s]+)(?:\/([^/?\s]*))?(?:\?\S*)?$/;

function readMongoUri(env: Env): string | undefined {
	const raw = env.MONGO_URI?.trim();
	if (!raw) return undefined;
	const match = MONGO_URI.exec(raw);
	if (!match) fail("MONGO_URI", "must look like mongodb://host:27017/roster or mongodb+srv://cluster/roster", raw);
	const hosts = match[1].split(",");
	if (hosts.some(h => !/^[\w.-]+(:\d{1,5})?$/.test(h))) fail("MONGO_URI", "has a malformed host list", raw);
	if (!match[2]) fail("MONGO_URI", "must name a database (mongodb://host/roster)", raw);
	return raw;
}

function readDatabaseUrl(env: Env): string | undefined {
	const raw = env.DATABASE_URL?.trim();
	if (!raw) return undefined;
	const url = readUrl("DATABASE_URL", raw, ["postgres:", "postgresql:"]);
	const schema = url.searchParams.get("schema");
	if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) fail("DATABASE_URL", "has a schema that is not a plain lower-case name", raw);
	if (url.pathname.length <= 1) fail("DATABASE_URL", "must name a database (postgres://host:5432/roster)", raw);
	return raw;
}

function readCors(env: Env, isProduction: boolean): string[] | "*" {
	const raw = env.CORS_ORIGINS?.trim();
	if (raw === undefined) return isProduction ? [] : "*";
	if (raw === "*") return "*";
	if (raw === "") return [];
	const origins = raw.split(",").map(o => o.trim());
	for (const origin of origins) readUrl("CORS_ORIGINS", origin, ["http:", "https:"]);
	return origins;
}

/**
 * A port of its own: on the API's port the scrape would be public, and on the health port it
 * would answer on a path an orchestrator probes. Two listeners on one port stop the node at start.
 */
function readMetricsPort(env: Env, apiPort: number, healthPort: number | undefined): number | undefined {
	if (!env.METRICS_PORT?.trim()) return undefined;
	const port = readInt(env, "METRICS_PORT", 0, 1, 65535);
	if (port === apiPort) fail("METRICS_PORT", "must differ from PORT: the metrics are not for the public", env.METRICS_PORT);
	if (port === healthPort) fail("METRICS_PORT", "must differ from HEALTH_PORT", env.METRICS_PORT);
	return port;
}

/**
 * The realtime port: 3300 unless set, and any free port when PORT=0 (one process started by a
 * test or a tool that asked for free ports): a fixed one would collide between such processes.
 */
function readRealtime(env: Env, apiPort: number, healthPort: number | undefined, metricsPort: number | undefined): RealtimeConfig {
	const port = readInt(env, "REALTIME_PORT", apiPort === 0 ? 0 : 3300, 0, 65535);
	if (port !== 0) {
		if (port === apiPort) fail("REALTIME_PORT", "must differ from PORT", env.REALTIME_PORT);
		if (port === healthPort) fail("REALTIME_PORT", "must differ from HEALTH_PORT", env.REALTIME_PORT);
		if (port === metricsPort) fail("REALTIME_PORT", "must differ from METRICS_PORT", env.REALTIME_PORT);
	}
	return {
		port,
		maxConnectionsPerUser: readInt(env, "REALTIME_MAX_CONNECTIONS_PER_USER", 10, 1, 100_000),
		heartbeatMs: readInt(env, "REALTIME_HEARTBEAT", 30, 1, 3600) * 1000,
		maxBufferedBytes: readInt(env, "REALTIME_MAX_BUFFER", 1024 * 1024, 1024, 1024 * 1024 * 1024),
		sessionRecheckMs: readInt(env, "REALTIME_SESSION_RECHECK", 60, 1, 24 * 3600) * 1000
	};
}

function readReadyServices(env: Env): string[] {
	const raw = env.READY_SERVICES?.trim();
	if (!raw || raw === "all") return [...ApiServices];
	const names = raw
		.split(",")
		.map(n => n.trim())
		.filter(Boolean);
	const unknown = names.find(n => !(ApiServices as readonly string[]).includes(n));
	if (unknown !== undefined) fail("READY_SERVICES", `names no service of the API (${ApiServices.join(", ")}, or all)`, raw);
	return names;
}

function readShortLinks(env: Env, nodeEnv: NodeEnv, publicUrl: string): ShortLinksConfig {
	const raw = env.SHORT_LINK_URL?.trim();
	const baseUrl = raw ? readUrl("SHORT_LINK_URL", raw, ["http:", "https:"]).href.replace(/\/$/, "") : publicUrl;
	const length = env.TEST_SHORT_LINK_CODE_LENGTH?.trim();
	if (length && nodeEnv !== "test") fail("TEST_SHORT_LINK_CODE_LENGTH", "is a test hook: it is refused unless NODE_ENV=test", length);
	return { baseUrl, testCodeLength: length ? readInt(env, "TEST_SHORT_LINK_CODE_LENGTH", 8, 1, 32) : undefined };
}

let processSecret: string | undefined;

/** One random secret per process, so every broker in it signs and verifies alike. */
function generatedSecret(): string {
	processSecret ??= randomBytes(48).toString("base64url");
	return processSecret;
}

/** The sinks' folders: MAIL_DIR (SMS_DIR), else DATA_DIR/mail (DATA_DIR/sms), else one per namespace in the temp dir. */
function readMail(env: Env, port: number): MailConfig {
	const dataDir = env.DATA_DIR?.trim();
	const namespace = env.NAMESPACE?.trim() || "roster";
	const folder = (given: string | undefined, kind: string) =>
		path.resolve(given?.trim() || (dataDir ? path.join(dataDir, kind) : path.join(os.tmpdir(), `roster-${kind}-${namespace}`)));
	const raw = env.PUBLIC_URL?.trim();
	const publicUrl = raw ? readUrl("PUBLIC_URL", raw, ["http:", "https:"]).href.replace(/\/$/, "") : `http://localhost:${port}`;
	const smtpRaw = env.SMTP_URL?.trim();
	const smtpUrl = smtpRaw ? readUrl("SMTP_URL", smtpRaw, ["smtp:", "smtps:"]).href : undefined;
	const from = env.MAIL_FROM?.trim() || "Roster <no-reply@roster.invalid>";
	if (!/^[^<>@\s]+@[^<>@\s]+$|^[^<>]*<[^<>@\s]+@[^<>@\s]+>$/.test(from)) fail("MAIL_FROM", "must be an address, or a name and <address>", from);
	return {
		dir: folder(env.MAIL_DIR, "mail"),
		publicUrl,
		smtpUrl,
		from,
		smtpTimeoutMs: readInt(env, "SMTP_TIMEOUT", 10_000, 100, 300_000),
		smsDir: folder(env.SMS_DIR, "sms")
	};
}

function readJwt(env: Env, isProduction: boolean): Config["jwt"] {
	const raw = env.JWT_SECRET;
	let secret: string;
	let generated = false;
	if (raw === undefined || raw === "") {
		if (isProduction) fail("JWT_SECRET", "is required when NODE_ENV=production", undefined);
		secret = generatedSecret();
		generated = true;
	} else {
		if (raw.length < 32) fail("JWT_SECRET", "must be at least 32 characters", "<hidden>");
		secret = raw;
	}
	return {
		secret,
		generated,
		issuer: env.JWT_ISSUER?.trim() || "roster",
		audience: env.JWT_AUDIENCE?.trim() || "roster-api",
		accessTtlSeconds: readInt(env, "ACCESS_TOKEN_TTL", 900, 10, 24 * 3600),
		refreshTtlSeconds: readInt(env, "REFRESH_TOKEN_TTL", 30 * 24 * 3600, 60, 365 * 24 * 3600)
	};
}

/** Lanes of one argon2 hash (argon2's default): each runs on a thread of its own. */
export const ARGON2_PARALLELISM = 4;

/**
 * By default as many hashes at once as the cores can run without queueing their lanes, and
 * never all of libuv's pool (UV_THREADPOOL_SIZE, 4 unless set), which file and DNS work need too.
 */
function readPasswordHashing(env: Env): PasswordHashingConfig {
	const pool = Math.min(Math.max(Number.parseInt(env.UV_THREADPOOL_SIZE ?? "", 10) || 4, 1), 1024);
	const fits = Math.max(1, Math.min(Math.floor(os.availableParallelism() / ARGON2_PARALLELISM), pool - 1));
	const concurrency = readInt(env, "PASSWORD_HASH_CONCURRENCY", fits, 1, 1024);
	return { concurrency, maxQueue: readInt(env, "PASSWORD_HASH_QUEUE", 8 * concurrency, 0, 100_000) };
}

export function loadConfig(env: Env = process.env): Config {
	const nodeEnv = readNodeEnv(env);
	const isProduction = nodeEnv === "production";

	const logLevel = (env.LOG_LEVEL?.trim() || "info") as LogLevel;
	if (!LOG_LEVELS.includes(logLevel)) fail("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`, env.LOG_LEVEL);

	const cacherRedisUrl = readCacher(env);
	const redisRaw = env.REDIS_URL?.trim();
	const redisUrl = redisRaw ? readUrl("REDIS_URL", redisRaw, ["redis:", "rediss:"]).href : cacherRedisUrl;

	const databaseUrl = readDatabaseUrl(env);
	const mongoUri = readMongoUri(env);
	if (databaseUrl && mongoUri) fail("DATABASE_URL", "and MONGO_URI are both set: choose one store", undefined);

	const bodyLimit = env.BODY_LIMIT?.trim() || "100kb";
	if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) fail("BODY_LIMIT", "must look like 100kb or 1mb", bodyLimit);

	const transporter = readTransporter(env);
	const port = readInt(env, "PORT", 3000, 0, 65535);
	const healthPort = env.HEALTH_PORT?.trim() ? readInt(env, "HEALTH_PORT", 0, 1, 65535) : undefined;
	const mail = readMail(env, port);
	const metricsPort = readMetricsPort(env, port, healthPort);

	return {
		env: nodeEnv,
		namespace: env.NAMESPACE?.trim() || "roster",
		nodeId: env.NODE_ID?.trim() || undefined,
		port,
		logLevel,
		logFormat: readLogFormat(env, isProduction),
		tracing: readTracing(env),
		transporter,
		nats: readNats(env, transporter),
		cacherRedisUrl,
		redisUrl,
		databaseUrl,
		mongoUri,
		databasePoolSize: readInt(env, "DATABASE_POOL_SIZE", 10, 1, 1000),
		dataDir: env.DATA_DIR?.trim() ? path.resolve(env.DATA_DIR.trim()) : undefined,
		jwt: readJwt(env, isProduction),
		rateLimit: {
			windowSeconds: readInt(env, "RATE_LIMIT_WINDOW", 60, 1, 24 * 3600),
			anonymousPoints: readInt(env, "RATE_LIMIT_ANONYMOUS", 60, 1, 1_000_000),
			userPoints: readInt(env, "RATE_LIMIT_USER", 600, 1, 1_000_000),
			loginFailsPerAccount: readInt(env, "LOGIN_MAX_FAILS_PER_ACCOUNT", 5, 1, 1000),
			loginFailsPerIp: readInt(env, "LOGIN_MAX_FAILS_PER_IP", 50, 1, 100_000),
			loginWindowSeconds: readInt(env, "LOGIN_FAIL_WINDOW", 15 * 60, 1, 7 * 24 * 3600)
		},
		passwordHashing: readPasswordHashing(env),
		corsOrigins: readCors(env, isProduction),
		bodyLimit,
		trustProxy: readBool(env, "TRUST_PROXY", false),
		readyServices: readReadyServices(env),
		healthPort,
		metricsPort,
		reads: {
			attemptTimeoutMs: readInt(env, "READ_ATTEMPT_TIMEOUT", 1000, 50, 60_000),
			retries: readInt(env, "READ_RETRIES", 2, 0, 5),
			hedged: readBool(env, "HEDGED_READS", true)
		},
		mail,
		channels: readChannels(env, transporter, nodeEnv),
		realtime: readRealtime(env, port, healthPort, metricsPort),
		onboarding: readOnboarding(env, nodeEnv),
		jobs: readJobs(env, nodeEnv),
		shortLinks: readShortLinks(env, nodeEnv, mail.publicUrl),
		// Seven years (with two leap days) by default: what record-keeping rules for personnel changes commonly ask.
		audit: { retentionDays: readInt(env, "AUDIT_RETENTION_DAYS", 2557, 0, 36_500) }
	};
}

let current: Config | undefined;

/** The configuration of this process, read on first use. */
export function config(): Config {
	current ??= loadConfig();
	return current;
}
