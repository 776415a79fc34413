/**
 * Roster's configuration, read once from the environment and validated up front so that
 * a bad value stops the node with one clear line instead of failing later in a handler.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

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

/** Argon2 work per process: lib/auth/passwords.ts runs it in a bounded queue of its own. */
export interface PasswordHashingConfig {
	/** Hashes or verifications at once. */
	concurrency: number;
	/** Waiting beyond those; one more is refused with 503 and Retry-After. */
	maxQueue: number;
}

export interface Config {
	env: "production" | "development" | "test";
	namespace: string;
	nodeId?: string;
	port: number;
	logLevel: LogLevel;
	/** NATS URL(s), or undefined to run in one process without a transporter. */
	transporter?: string;
	/** Redis URL for the cacher, or undefined for the in-memory cacher. */
	cacherRedisUrl?: string;
	/** Redis for gateway rate limits: REDIS_URL, or the cacher's Redis. */
	redisUrl?: string;
	mongoUri?: string;
	/** NeDB files live here when set; otherwise NeDB stays in memory. */
	dataDir?: string;
	jwt: {
		secret: string;
		/** True when no JWT_SECRET was given and a random one was made for this process. */
		generated: boolean;
		issuer: string;
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
}

export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ConfigError";
	}
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace"];

/** URLs in messages keep their user name but never a password. */
function masked(value: string): string {
	return value.replace(/(\/\/[^:/@]*):[^@/]*@/, "$1:***@");
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

function readTransporter(env: Env): string | undefined {
	const raw = env.TRANSPORTER?.trim();
	if (!raw || raw === "none") return undefined;
	// NATS takes a comma-separated list of seed servers.
	for (const server of raw.split(",")) readUrl("TRANSPORTER", server.trim(), ["nats:", "tls:"]);
	return raw;
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

function readCors(env: Env, isProduction: boolean): string[] | "*" {
	const raw = env.CORS_ORIGINS?.trim();
	if (raw === undefined) return isProduction ? [] : "*";
	if (raw === "*") return "*";
	if (raw === "") return [];
	const origins = raw.split(",").map(o => o.trim());
	for (const origin of origins) readUrl("CORS_ORIGINS", origin, ["http:", "https:"]);
	return origins;
}

let processSecret: string | undefined;

/** One random secret per process, so every broker in it signs and verifies alike. */
function generatedSecret(): string {
	processSecret ??= randomBytes(48).toString("base64url");
	return processSecret;
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
	const nodeEnv = env.NODE_ENV === "production" || env.NODE_ENV === "test" ? env.NODE_ENV : "development";
	const isProduction = nodeEnv === "production";

	const logLevel = (env.LOG_LEVEL?.trim() || "info") as LogLevel;
	if (!LOG_LEVELS.includes(logLevel)) fail("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`, env.LOG_LEVEL);

	const cacherRedisUrl = readCacher(env);
	const redisRaw = env.REDIS_URL?.trim();
	const redisUrl = redisRaw ? readUrl("REDIS_URL", redisRaw, ["redis:", "rediss:"]).href : cacherRedisUrl;

	const bodyLimit = env.BODY_LIMIT?.trim() || "100kb";
	if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) fail("BODY_LIMIT", "must look like 100kb or 1mb", bodyLimit);

	return {
		env: nodeEnv,
		namespace: env.NAMESPACE?.trim() || "roster",
		nodeId: env.NODE_ID?.trim() || undefined,
		port: readInt(env, "PORT", 3000, 0, 65535),
		logLevel,
		transporter: readTransporter(env),
		cacherRedisUrl,
		redisUrl,
		mongoUri: readMongoUri(env),
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
		trustProxy: env.TRUST_PROXY === "1" || env.TRUST_PROXY === "true"
	};
}

let current: Config | undefined;

/** The configuration of this process, read on first use. */
export function config(): Config {
	current ??= loadConfig();
	return current;
}
