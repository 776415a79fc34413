import type { IncomingMessage } from "node:http";
import Redis from "ioredis";
import type { RateLimitConfig } from "../../lib/config";
import { createGatewayLimiters, FALLBACK_MESSAGE, type GatewayLimiters, RECOVERED_MESSAGE, type RateLimitVerdict } from "../../lib/rate-limit";
import { clientIp } from "../../services/gateway/http-errors";
import { describeWith, REDIS_URL } from "../support/external";
import { describeWithRedisServer, freePort, type RedisServer, startRedisServer } from "../support/redis-server";

jest.setTimeout(15_000);

const config: RateLimitConfig = {
	windowSeconds: 60,
	anonymousPoints: 3,
	userPoints: 5,
	loginFailsPerAccount: 3,
	loginFailsPerIp: 5,
	loginWindowSeconds: 900
};

function recordingLogger() {
	return { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

type RecordingLogger = ReturnType<typeof recordingLogger>;

function logged(fn: jest.Mock, message: string): number {
	return fn.mock.calls.filter(args => args[0] === message).length;
}

async function consumeTimes(limiters: GatewayLimiters, kind: "anonymous" | "user", key: string, times: number) {
	const verdicts: RateLimitVerdict[] = [];
	for (let i = 0; i < times; i++) verdicts.push(await limiters.consume(kind, key));
	return verdicts;
}

/** Logins that go ahead and fail, one after another, as a client guessing passwords makes them. */
async function failLogins(limiters: GatewayLimiters, email: string, ip: string, times: number) {
	for (let i = 0; i < times; i++) {
		expect(await limiters.loginAttempt(email, ip)).toBe(0);
		await limiters.loginFailed(email, ip);
	}
}

/** A login whose outcome the test does not care about: the points it reserved are given back. */
async function loginWait(limiters: GatewayLimiters, email: string, ip: string): Promise<number> {
	const wait = await limiters.loginAttempt(email, ip);
	if (wait === 0) await limiters.loginAborted(email, ip);
	return wait;
}

/** Attempts all started before any ends, spread over the nodes; answers each one's wait. */
function parallelAttempts(nodes: GatewayLimiters[], email: (i: number) => string, ip: string, count: number): Promise<number[]> {
	return Promise.all(Array.from({ length: count }, (_, i) => nodes[i % nodes.length].loginAttempt(email(i), ip)));
}

/** Polls until the check passes; fails with `what` when it has not by the deadline. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 8000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

let runs = 0;
function uniquePrefix(): string {
	return `roster:rl:test:${process.pid}:${Date.now()}:${++runs}`;
}

/**
 * Until its Redis connection is up the insurance answers, so a test that counts in Redis first
 * waits for a request of this instance to land there.
 */
async function untilCountingInRedis(limiters: GatewayLimiters, direct: Redis, prefix: string): Promise<void> {
	let probe = 0;
	await until("the limiter to count in Redis", async () => {
		const key = `warm-up-${++probe}`;
		await limiters.consume("user", key);
		return (await direct.exists(`${prefix}:user:${key}`)) === 1;
	});
}

async function deleteKeys(direct: Redis, prefix: string): Promise<void> {
	const keys = await direct.keys(`${prefix}:*`);
	if (keys.length > 0) await direct.del(...keys);
}

describe("rate limits in memory", () => {
	let limiters: GatewayLimiters;
	let logger: RecordingLogger;

	beforeEach(() => {
		logger = recordingLogger();
		limiters = createGatewayLimiters({ config, logger });
	});

	afterEach(() => limiters.close());

	it("counts an anonymous client down, then denies it until the window resets", async () => {
		const verdicts = await consumeTimes(limiters, "anonymous", "10.0.0.1", 5);

		expect(verdicts.map(v => [v.allowed, v.remaining])).toEqual([
			[true, 2],
			[true, 1],
			[true, 0],
			[false, 0],
			[false, 0]
		]);
		for (const verdict of verdicts) {
			expect(verdict.limit).toBe(3);
			expect(verdict.resetSeconds).toBeGreaterThanOrEqual(59);
			expect(verdict.resetSeconds).toBeLessThanOrEqual(60);
		}
	});

	it("keeps each client's count and the user and anonymous limits apart", async () => {
		await consumeTimes(limiters, "anonymous", "10.0.0.1", 4);

		expect(await limiters.consume("anonymous", "10.0.0.2")).toMatchObject({ allowed: true, remaining: 2 });
		expect(await limiters.consume("user", "10.0.0.1")).toMatchObject({ allowed: true, limit: 5, remaining: 4 });
	});

	it("blocks a login for one account and IP after the allowed failures, for a whole window", async () => {
		await failLogins(limiters, "ann@example.com", "10.0.0.1", 2);
		expect(await loginWait(limiters, "ann@example.com", "10.0.0.1")).toBe(0);

		// The same account however the email is typed.
		expect(await limiters.loginAttempt("  Ann@Example.COM ", "10.0.0.1")).toBe(0);
		await limiters.loginFailed("  Ann@Example.COM ", "10.0.0.1");

		const wait = await limiters.loginAttempt("ann@example.com", "10.0.0.1");
		expect(wait).toBeGreaterThanOrEqual(899);
		expect(wait).toBeLessThanOrEqual(900);
		expect(await limiters.loginAttempt("ANN@example.com", "10.0.0.1")).toBe(wait);
		expect(await loginWait(limiters, "ann@example.com", "10.0.0.2")).toBe(0);
		expect(await loginWait(limiters, "bob@example.com", "10.0.0.1")).toBe(0);
	});

	it("lets no more parallel attempts go ahead than the failures allowed, however many are in flight", async () => {
		const waits = await parallelAttempts([limiters], () => "ann@example.com", "10.0.0.1", 20);

		expect(waits.filter(wait => wait === 0)).toHaveLength(config.loginFailsPerAccount);
		for (const wait of waits.filter(w => w > 0)) expect(wait).toBeLessThanOrEqual(900);
		// The failures of those that went ahead block the account for a whole window.
		for (let i = 0; i < config.loginFailsPerAccount; i++) await limiters.loginFailed("ann@example.com", "10.0.0.1");
		expect(await limiters.loginAttempt("ann@example.com", "10.0.0.1")).toBeGreaterThanOrEqual(899);
	});

	it("lets no more parallel attempts from one IP go ahead than its failures allowed, over many accounts", async () => {
		const waits = await parallelAttempts([limiters], i => `user${i}@example.com`, "10.0.0.9", 20);

		expect(waits.filter(wait => wait === 0)).toHaveLength(config.loginFailsPerIp);
		expect(await loginWait(limiters, "new@example.com", "10.0.0.10")).toBe(0);
	});

	it("counts a refused attempt nowhere: retrying a blocked account does not use up the IP's failures", async () => {
		await failLogins(limiters, "ann@example.com", "10.0.0.1", 3);
		for (let i = 0; i < 10; i++) expect(await limiters.loginAttempt("ann@example.com", "10.0.0.1")).toBeGreaterThan(0);

		// The IP allows 5 failures: 3 for ann, so 2 are left for any other account.
		await failLogins(limiters, "bob@example.com", "10.0.0.1", 2);
		expect(await limiters.loginAttempt("carl@example.com", "10.0.0.1")).toBeGreaterThan(0);
	});

	it("charges nothing for a successful login, nor for one that ended before the password was checked", async () => {
		for (let i = 0; i < 10; i++) {
			expect(await limiters.loginAttempt("ann@example.com", "10.0.0.1")).toBe(0);
			await limiters.loginSucceeded("ann@example.com", "10.0.0.1");
			expect(await limiters.loginAttempt(`user${i}@example.com`, "10.0.0.1")).toBe(0);
			await limiters.loginAborted(`user${i}@example.com`, "10.0.0.1");
		}

		await failLogins(limiters, "ann@example.com", "10.0.0.1", 2);
		expect(await loginWait(limiters, "ann@example.com", "10.0.0.1")).toBe(0);
	});

	it("starts the account count afresh after a successful login", async () => {
		await failLogins(limiters, "ann@example.com", "10.0.0.1", 2);
		expect(await limiters.loginAttempt("Ann@example.com", "10.0.0.1")).toBe(0);
		await limiters.loginSucceeded("Ann@example.com", "10.0.0.1");
		await failLogins(limiters, "ann@example.com", "10.0.0.1", 2);

		expect(await limiters.loginAttempt("ann@example.com", "10.0.0.1")).toBe(0);
		await limiters.loginFailed("ann@example.com", "10.0.0.1");
		expect(await limiters.loginAttempt("ann@example.com", "10.0.0.1")).toBeGreaterThan(0);
	});

	it("lifts a block set while attempts were in flight when one of them succeeds", async () => {
		await parallelAttempts([limiters], () => "ann@example.com", "10.0.0.1", 3);
		await limiters.loginFailed("ann@example.com", "10.0.0.1");
		expect(await limiters.loginAttempt("ann@example.com", "10.0.0.1")).toBeGreaterThan(0);

		await limiters.loginSucceeded("ann@example.com", "10.0.0.1");
		expect(await loginWait(limiters, "ann@example.com", "10.0.0.1")).toBe(0);
	});

	it("blocks an IP that fails across many accounts, even for an account it never tried", async () => {
		for (let i = 0; i < 5; i++) await failLogins(limiters, `user${i}@example.com`, "10.0.0.9", 1);

		expect(await limiters.loginAttempt("new@example.com", "10.0.0.9")).toBeGreaterThanOrEqual(899);
		expect(await loginWait(limiters, "new@example.com", "10.0.0.10")).toBe(0);
	});
});

describe("the client's IP", () => {
	function req(forwardedFor: string | string[] | undefined): IncomingMessage {
		return { headers: { "x-forwarded-for": forwardedFor }, socket: { remoteAddress: "10.0.0.100" } } as unknown as IncomingMessage;
	}

	it("is the entry our proxy appended, never one the client wrote in front of it", () => {
		expect(clientIp(req("198.51.100.7"), true)).toBe("198.51.100.7");
		expect(clientIp(req("10.9.9.1, 198.51.100.7"), true)).toBe("198.51.100.7");
		expect(clientIp(req("10.9.9.1,10.9.9.2 ,  198.51.100.7 "), true)).toBe("198.51.100.7");
		expect(clientIp(req(["10.9.9.1", "198.51.100.7"]), true)).toBe("198.51.100.7");
	});

	it("is the socket's address without a usable header, or when no proxy is trusted", () => {
		expect(clientIp(req(undefined), true)).toBe("10.0.0.100");
		expect(clientIp(req("10.9.9.1, "), true)).toBe("10.0.0.100");
		expect(clientIp(req("198.51.100.7"), false)).toBe("10.0.0.100");
	});
});

describeWith(["redis"], "rate limits in a shared Redis", () => {
	// The IP's limit is out of the way, so parallel logins for one account meet the account's.
	const shared: RateLimitConfig = { ...config, loginFailsPerIp: 100 };
	const prefix = uniquePrefix();
	let direct: Redis;
	let nodeA: GatewayLimiters;
	let nodeB: GatewayLimiters;
	const logger = recordingLogger();

	beforeAll(async () => {
		direct = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
		nodeA = createGatewayLimiters({ config: shared, redisUrl: REDIS_URL, keyPrefix: prefix, logger });
		nodeB = createGatewayLimiters({ config: shared, redisUrl: REDIS_URL, keyPrefix: prefix, logger });
		await untilCountingInRedis(nodeA, direct, prefix);
		await untilCountingInRedis(nodeB, direct, prefix);
	});

	afterAll(async () => {
		await Promise.all([nodeA?.close(), nodeB?.close()]);
		if (direct) {
			await deleteKeys(direct, prefix);
			await direct.quit();
		}
	});

	it("enforces one limit for two gateway nodes", async () => {
		const fromA = await consumeTimes(nodeA, "user", "user-1", 3);
		const fromB = await consumeTimes(nodeB, "user", "user-1", 3);

		expect(fromA.map(v => [v.allowed, v.remaining])).toEqual([
			[true, 4],
			[true, 3],
			[true, 2]
		]);
		expect(fromB.map(v => [v.allowed, v.remaining])).toEqual([
			[true, 1],
			[true, 0],
			[false, 0]
		]);
		expect(fromB[2].resetSeconds).toBeGreaterThan(0);
		expect(fromB[2].resetSeconds).toBeLessThanOrEqual(60);
		expect(await direct.get(`${prefix}:user:user-1`)).toBe("6");
	});

	it("blocks a login on one node after failures counted on the other, and a success on either resets it", async () => {
		await failLogins(nodeA, "ann@example.com", "10.0.0.1", 2);
		expect(await nodeB.loginAttempt("ann@example.com", "10.0.0.1")).toBe(0);
		await nodeB.loginFailed("ann@example.com", "10.0.0.1");

		expect(await nodeA.loginAttempt("ann@example.com", "10.0.0.1")).toBeGreaterThan(890);

		// Only a login that went ahead can succeed: one reserved before the block was set.
		await nodeB.loginSucceeded("ann@example.com", "10.0.0.1");
		expect(await loginWait(nodeA, "ann@example.com", "10.0.0.1")).toBe(0);
	});

	it("lets no more parallel attempts go ahead over both nodes than the failures allowed", async () => {
		const waits = await parallelAttempts([nodeA, nodeB], () => "bob@example.com", "10.0.0.2", 20);

		expect(waits.filter(wait => wait === 0)).toHaveLength(shared.loginFailsPerAccount);
		for (const wait of waits.filter(w => w > 0)) expect(wait).toBeLessThanOrEqual(900);
		for (let i = 0; i < shared.loginFailsPerAccount; i++) await nodeA.loginFailed("bob@example.com", "10.0.0.2");
		// Every refused attempt gave its points back: only the failures are left counted.
		expect(await direct.get(`${prefix}:login:account:10.0.0.2|bob@example.com`)).toBe("3");
		expect(await direct.get(`${prefix}:login:ip:10.0.0.2`)).toBe("3");
		expect(await nodeB.loginAttempt("bob@example.com", "10.0.0.2")).toBeGreaterThan(890);
	});

	it("does not report a fallback while Redis answers", () => {
		expect(logger.warn).not.toHaveBeenCalled();
		expect(logger.error).not.toHaveBeenCalled();
	});
});

describeWithRedisServer("rate limits when Redis goes down", () => {
	const prefix = uniquePrefix();
	const logger = recordingLogger();
	let port: number;
	let server: RedisServer | undefined;
	let direct: Redis;
	let limiters: GatewayLimiters;

	beforeAll(async () => {
		port = await freePort();
		server = await startRedisServer(port);
		// The test's own view of this Redis; it must not reconnect once the server is killed.
		direct = new Redis(server.url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
		direct.on("error", () => undefined);
		limiters = createGatewayLimiters({ config, redisUrl: server.url, keyPrefix: prefix, logger });
		await untilCountingInRedis(limiters, direct, prefix);
		direct.disconnect();
	});

	afterAll(async () => {
		await limiters?.close();
		await server?.kill();
	});

	it("keeps limiting in-process and logs the fallback once", async () => {
		await server?.kill();

		const verdicts = await consumeTimes(limiters, "anonymous", "10.0.0.1", 5);

		expect(verdicts.map(v => [v.allowed, v.remaining])).toEqual([
			[true, 2],
			[true, 1],
			[true, 0],
			[false, 0],
			[false, 0]
		]);
		await failLogins(limiters, "ann@example.com", "10.0.0.1", 3);
		expect(await limiters.loginAttempt("ann@example.com", "10.0.0.1")).toBeGreaterThan(0);
		expect(logged(logger.warn, FALLBACK_MESSAGE)).toBe(1);
		expect(logger.warn).toHaveBeenCalledTimes(1);
		expect(logger.error).not.toHaveBeenCalled();
	});

	it("logs once when Redis is back, and warns again on the next outage", async () => {
		server = await startRedisServer(port);

		await until("the recovery to be logged", async () => {
			await limiters.consume("user", "after-restart");
			return logged(logger.info, RECOVERED_MESSAGE) > 0;
		});
		await consumeTimes(limiters, "user", "after-restart", 3);
		expect(logged(logger.info, RECOVERED_MESSAGE)).toBe(1);

		await server.kill();
		await consumeTimes(limiters, "user", "after-second-outage", 2);
		expect(logged(logger.warn, FALLBACK_MESSAGE)).toBe(2);
	});
});

describeWithRedisServer("rate limits when Redis stalls", () => {
	const prefix = uniquePrefix();
	const logger = recordingLogger();
	let server: RedisServer;
	let direct: Redis;
	let limiters: GatewayLimiters;

	beforeAll(async () => {
		server = await startRedisServer(await freePort());
		direct = new Redis(server.url, { maxRetriesPerRequest: 1 });
		limiters = createGatewayLimiters({ config, redisUrl: server.url, keyPrefix: prefix, logger });
		await untilCountingInRedis(limiters, direct, prefix);
	});

	afterAll(async () => {
		server?.resume();
		await limiters?.close();
		await direct?.quit();
		await server?.kill();
	});

	// The connection stays open, so only the command timeout tells the gateway to fall back,
	// and only an answer from Redis tells it that Redis is back.
	it("answers in-process within the command timeout, and logs the switch each way once", async () => {
		server.stall();
		const started = Date.now();
		const verdicts = await consumeTimes(limiters, "anonymous", "10.0.0.1", 2);
		const elapsed = Date.now() - started;

		expect(verdicts.map(v => v.allowed)).toEqual([true, true]);
		expect(elapsed).toBeLessThan(2 * 1000);
		expect(logged(logger.warn, FALLBACK_MESSAGE)).toBe(1);

		server.resume();
		await until("the recovery to be logged", async () => {
			await limiters.consume("user", "after-stall");
			return logged(logger.info, RECOVERED_MESSAGE) > 0;
		});
		expect(logged(logger.info, RECOVERED_MESSAGE)).toBe(1);
		expect(logged(logger.warn, FALLBACK_MESSAGE)).toBe(1);
	});

	// Every request is counted: one command timeout per request would slow the whole API by it.
	it("once a call has fallen back, answers the next ones in-process at once, and finds Redis again when it answers", async () => {
		server.stall();
		try {
			await limiters.consume("user", "stalled-first");
			const started = Date.now();
			const verdicts = await consumeTimes(limiters, "user", "stalled-next", 5);
			const elapsed = Date.now() - started;

			expect(verdicts.map(v => v.allowed)).toEqual([true, true, true, true, true]);
			expect(elapsed).toBeLessThan(250);
		} finally {
			server.resume();
		}
		const recoveredBefore = logged(logger.info, RECOVERED_MESSAGE);
		await until("the recovery to be logged", async () => {
			await limiters.consume("user", "after-second-stall");
			return logged(logger.info, RECOVERED_MESSAGE) > recoveredBefore;
		});
	});
});
