/**
 * Rate limits across real gateway processes: two gateways sharing a Redis enforce one limit,
 * and a gateway whose Redis dies keeps serving, and limiting, on its own.
 *
 * The gateways trust X-Forwarded-For (TRUST_PROXY=1), as behind a load balancer, so each test
 * is a client with an address of its own: the readiness probes, which come from 127.0.0.1 and
 * count like any request, then spend none of the budget a test counts down. Each request sends
 * that address as the header's only entry, as the load balancer appends it to an empty one.
 */
import Redis from "ioredis";
import request, { type Response } from "supertest";
import { type ClusterNode, clusterNamespace, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { REDIS_URL, describeWith } from "../support/external";
import { PASSWORD, type Signup, bearer, uniqueEmail } from "../support/http";
import { mailTo, tokenOf } from "../support/mail";
import { freePort } from "../support/ports";
import { type RedisServer, describeWithRedisServer, startRedisServer } from "../support/redis-server";

jest.setTimeout(60_000);

const WINDOW = 60;
const FALLBACK_WARNING = "Redis rate-limit store unreachable";

// TEST-NET-3 addresses (RFC 5737): nobody real, and a fresh one for every client a test plays.
let clients = 0;
const newClientIp = () => `203.0.113.${++clients}`;

function budget(res: Response): { limit: number; remaining: number; reset: number } {
	for (const name of ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]) {
		expect({ [name]: res.headers[name] }).toEqual({ [name]: expect.stringMatching(/^\d+$/) });
	}
	return {
		limit: Number(res.headers["ratelimit-limit"]),
		remaining: Number(res.headers["ratelimit-remaining"]),
		reset: Number(res.headers["ratelimit-reset"])
	};
}

function expectTooManyRequests(res: Response, maxWait: number): void {
	expect(res.status).toBe(429);
	expect(res.body).toMatchObject({ name: "TooManyRequestsError", code: 429, type: "RATE_LIMITED" });
	expect(res.headers["retry-after"]).toMatch(/^\d+$/);
	expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
	expect(Number(res.headers["retry-after"])).toBeLessThanOrEqual(maxWait);
}

async function signupAs(url: string, ip: string): Promise<Signup> {
	const email = uniqueEmail("owner");
	const asked = await request(url)
		.post("/api/v1/auth/signup")
		.set("X-Forwarded-For", ip)
		.send({ company: "Acme", name: "Olivia Owner", email, password: PASSWORD });
	if (asked.status !== 202) throw new Error(`signup failed: ${asked.status} ${JSON.stringify(asked.body)}`);
	const res = await request(url)
		.post("/api/v1/auth/activate")
		.set("X-Forwarded-For", ip)
		.send({ token: tokenOf(await mailTo(email, "signup")), password: PASSWORD });
	if (res.status !== 201) throw new Error(`activation failed: ${res.status} ${JSON.stringify(res.body)}`);
	return { ...res.body, email };
}

function loginAs(url: string, ip: string, email: string, password: string) {
	return request(url).post("/api/v1/auth/login").set("X-Forwarded-For", ip).send({ email, password });
}

/** Stops every node; one that will not stop must not keep the others running. */
async function stopAll(nodes: ClusterNode[]): Promise<void> {
	await Promise.allSettled(nodes.map(node => node.stop()));
}

/** A startup failure says what every node printed: the reason is usually in there. */
function withOutput(err: unknown, nodes: ClusterNode[]): Error {
	const logs = nodes.map(node => `--- ${node.name} ---\n${node.output()}`).join("\n");
	return new Error(`${(err as Error).message}\n${logs}`);
}

describeWith(["nats", "redis"], "rate limits across gateway processes", () => {
	describe("two gateways sharing one Redis", () => {
		const ANONYMOUS = 6;
		const USER = 4;
		const MAX_FAILS = 3;
		const namespace = clusterNamespace();
		const nodes: ClusterNode[] = [];
		let gateways: string[] = [];

		beforeAll(async () => {
			const env = {
				REDIS_URL,
				CACHER: "",
				TRUST_PROXY: "1",
				RATE_LIMIT_WINDOW: String(WINDOW),
				RATE_LIMIT_ANONYMOUS: String(ANONYMOUS),
				RATE_LIMIT_USER: String(USER),
				LOGIN_MAX_FAILS_PER_ACCOUNT: String(MAX_FAILS),
				LOGIN_FAIL_WINDOW: String(WINDOW)
			};
			const ports = await Promise.all([freePort(), freePort()]);
			nodes.push(startNode("identity", "data/identity", { namespace, env }));
			ports.forEach((port, i) =>
				nodes.push(startNode(`gateway-${i + 1}`, "gateway/api", { namespace, env: { ...env, PORT: String(port), READY_SERVICES: "identity" } }))
			);
			gateways = ports.map(port => `http://127.0.0.1:${port}`);
			try {
				await Promise.all(gateways.map(url => waitForGateway(url)));
			} catch (err) {
				throw withOutput(err, nodes);
			}
		});

		// The counters live under this run's namespace and expire with their window.
		afterAll(() => stopAll(nodes));

		it("counts an anonymous client once across both gateways: the 7th request overall is 429", async () => {
			const ip = newClientIp();
			const allowed: Response[] = [];
			for (let i = 0; i < ANONYMOUS; i++) allowed.push(await loginAs(gateways[i % 2], ip, uniqueEmail(), "Not-The-Password-1"));

			expect(allowed.map(r => r.status)).toEqual(Array(ANONYMOUS).fill(401));
			expect(allowed.map(r => budget(r).limit)).toEqual(Array(ANONYMOUS).fill(ANONYMOUS));
			// One count: each gateway carries on from the other's last answer.
			expect(allowed.map(r => budget(r).remaining)).toEqual([5, 4, 3, 2, 1, 0]);
			for (const res of allowed) {
				expect(budget(res).reset).toBeGreaterThanOrEqual(1);
				expect(budget(res).reset).toBeLessThanOrEqual(WINDOW);
			}

			// The 7th goes to the first gateway, an 8th to the second: both refuse.
			const seventh = await loginAs(gateways[0], ip, uniqueEmail(), "Not-The-Password-1");
			const eighth = await loginAs(gateways[1], ip, uniqueEmail(), "Not-The-Password-1");
			expectTooManyRequests(seventh, WINDOW);
			expectTooManyRequests(eighth, WINDOW);
			expect(budget(seventh)).toMatchObject({ limit: ANONYMOUS, remaining: 0 });

			// Another client behind the same load balancer has its own budget.
			const other = await loginAs(gateways[1], newClientIp(), uniqueEmail(), "Not-The-Password-1");
			expect(other.status).toBe(401);
			expect(budget(other).remaining).toBe(ANONYMOUS - 1);
		});

		it("counts a user once across both gateways", async () => {
			const owner = await signupAs(gateways[0], newClientIp());
			const answers: Response[] = [];
			for (let i = 0; i <= USER; i++)
				answers.push(
					await request(gateways[i % 2])
						.get("/api/v1/me")
						.set(bearer(owner.accessToken))
				);

			expect(answers.map(r => r.status)).toEqual([200, 200, 200, 200, 429]);
			expect(answers.map(r => budget(r).remaining)).toEqual([3, 2, 1, 0, 0]);
			expectTooManyRequests(answers[USER], WINDOW);
		});

		it("blocks a login on one gateway after failures counted on both", async () => {
			const owner = await signupAs(gateways[0], newClientIp());
			const ip = newClientIp();
			for (let i = 0; i < MAX_FAILS; i++) {
				expect((await loginAs(gateways[i % 2], ip, owner.email, "Not-The-Password-1")).status).toBe(401);
			}

			for (const url of gateways) expectTooManyRequests(await loginAs(url, ip, owner.email, PASSWORD), WINDOW);
		});
	});

	describeWithRedisServer("a gateway whose Redis goes away", () => {
		const ANONYMOUS = 5;
		const namespace = clusterNamespace();
		const nodes: ClusterNode[] = [];
		let redis: RedisServer | undefined;
		let node: ClusterNode;
		let url: string;

		beforeAll(async () => {
			redis = await startRedisServer(await freePort());
			const port = await freePort();
			// Gateway and identity in one process, no transporter: only Redis can fail here.
			node = startNode("solo", "gateway/api,data/identity", {
				namespace,
				env: {
					TRANSPORTER: "",
					CACHER: "",
					REDIS_URL: redis.url,
					TRUST_PROXY: "1",
					PORT: String(port),
					READY_SERVICES: "identity",
					RATE_LIMIT_WINDOW: String(WINDOW),
					RATE_LIMIT_ANONYMOUS: String(ANONYMOUS),
					LOG_LEVEL: "warn"
				}
			});
			nodes.push(node);
			url = `http://127.0.0.1:${port}`;
			try {
				await waitForGateway(url);
			} catch (err) {
				throw withOutput(err, nodes);
			}
		});

		afterAll(async () => {
			await stopAll(nodes);
			await redis?.kill();
		});

		it("counts in Redis while Redis is up", async () => {
			const ip = newClientIp();
			const owner = await signupAs(url, ip);
			const login = await loginAs(url, ip, owner.email, PASSWORD);

			expect(login.status).toBe(200);
			// Signup, its activation and the login: three anonymous requests.
			expect(budget(login)).toMatchObject({ limit: ANONYMOUS, remaining: ANONYMOUS - 3 });
			// Proof that Redis, not the in-process insurance, holds the count the test later loses.
			const direct = new Redis(redis!.url, { maxRetriesPerRequest: 1, lazyConnect: true });
			try {
				await direct.connect();
				expect(await direct.get(`${namespace}:rl:anonymous:${ip}`)).toBe("3");
			} finally {
				direct.disconnect();
			}
			expect(node.output()).not.toContain(FALLBACK_WARNING);
		});

		it("keeps answering and limiting in-process once Redis is killed, and says so in its log", async () => {
			await redis!.kill();

			const ip = newClientIp();
			const owner = await signupAs(url, ip);
			const login = await loginAs(url, ip, owner.email, PASSWORD);
			expect(login.status).toBe(200);
			expect(budget(login)).toMatchObject({ limit: ANONYMOUS, remaining: ANONYMOUS - 3 });
			const me = await request(url).get("/api/v1/me").set(bearer(login.body.accessToken));
			expect(me.status).toBe(200);
			expect(me.body).toMatchObject({ id: owner.user.id });

			// Limits still hold, per node: the rest of the budget, then 429.
			const rest: Response[] = [];
			for (let i = 0; i < ANONYMOUS - 3; i++) rest.push(await loginAs(url, ip, uniqueEmail(), "Not-The-Password-1"));
			expect(rest.map(r => r.status)).toEqual([401, 401]);
			expect(rest.map(r => budget(r).remaining)).toEqual([1, 0]);
			expectTooManyRequests(await loginAs(url, ip, owner.email, PASSWORD), WINDOW);

			await waitFor("the fallback warning in the gateway's log", async () => node.output().includes(FALLBACK_WARNING), 5000);
			expect(node.process.exitCode).toBeNull();
		});
	});
});
