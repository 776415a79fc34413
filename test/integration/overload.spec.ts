/**
 * Overload over HTTP, one process: a burst of logins (argon2, the costliest thing the API does)
 * slows logins only. Other tenants' requests and the health probes go on answering while the
 * logins wait for their hash, and a login past the hashing queue is refused at once with 503
 * and Retry-After. The hashing queue is per process, so this suite sizes it for each case.
 */
import argon2 from "argon2";
import request, { type Response } from "supertest";
import { configurePasswordHashing, passwordHashingQueue } from "../../lib/auth/passwords";
import { config } from "../../lib/config";
import { PASSWORD, type Signup, bearer, signup, uniqueEmail } from "../support/http";
import { type RunningSystem, startLocalSystem } from "../support/local-system";

// Forty argon2 verifications a few at a time take seconds, more on a busy machine.
jest.setTimeout(120_000);

const BURST = 40;
const WRONG_PASSWORD = "Not-The-Password-1";

// Limits out of the way: this suite is about load, rate-limit.spec.ts is about the limits.
const roomy = {
	roster: {
		...config(),
		rateLimit: { ...config().rateLimit, anonymousPoints: 1_000_000, userPoints: 1_000_000, loginFailsPerAccount: 1_000_000, loginFailsPerIp: 1_000_000 }
	}
};

const login = (url: string, email: string, password = PASSWORD) => request(url).post("/api/v1/auth/login").send({ email, password });

interface Burst {
	/** Resolves when the first login is answered 200. */
	firstVerified: Promise<void>;
	/** Every answer, in the order the logins were sent. */
	all: Promise<Response[]>;
}

/** Sends `count` logins at once; login i uses credentials(i). `answered(i)` runs as each answers. */
function burst(url: string, count: number, credentials: (i: number) => [email: string, password: string], answered: (i: number) => void = () => {}): Burst {
	let verified!: () => void;
	const firstVerified = new Promise<void>(resolve => (verified = resolve));
	const all = Promise.all(
		Array.from({ length: count }, (_, i) =>
			login(url, ...credentials(i)).then(res => {
				answered(i);
				if (res.status === 200) verified();
				return res;
			})
		)
	);
	return { firstVerified, all };
}

/** A task that runs until the test opens the gate. */
function gate() {
	let open!: () => void;
	const opened = new Promise<void>(resolve => (open = resolve));
	return { wait: () => opened, open };
}

async function waitUntil(what: () => string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting until ${what()}`);
		await new Promise(resolve => setTimeout(resolve, 5));
	}
}

describe("overload, one process", () => {
	let system: RunningSystem;
	let url: string;
	let crowd: Signup;
	let other: Signup;
	const defaults = config().passwordHashing;

	beforeAll(async () => {
		system = await startLocalSystem(roomy);
		url = system.url;
		[crowd, other] = await Promise.all([signup(url, "Crowded Co"), signup(url, "Quiet Co")]);
	});
	afterAll(() => system?.stop());
	afterEach(() => {
		configurePasswordHashing(defaults);
		jest.restoreAllMocks();
	});

	it(`answers another tenant's GET /me and GET /health/live while ${BURST} parallel logins are still pending`, async () => {
		// The node's own hashing queue, as configured for this machine.
		const answeredAt: number[] = [];
		const logins = burst(
			url,
			BURST,
			() => [crowd.email, PASSWORD],
			i => (answeredAt[i] = performance.now())
		);
		// One login verified: the others were sent with it, and wait for their hash or were refused.
		await logins.firstVerified;

		const probes: Array<{ res: Response; at: number }> = [];
		for (let i = 0; i < 5; i++) {
			for (const probe of [request(url).get("/api/v1/me").set(bearer(other.accessToken)), request(url).get("/health/live")]) {
				const res = await probe;
				probes.push({ res, at: performance.now() });
			}
		}
		const answers = await logins.all;

		expect(probes.map(p => p.res.status)).toEqual(Array(10).fill(200));
		expect(probes[0].res.body).toMatchObject({ id: other.user.id, tenant: { id: other.tenant.id } });
		expect(answers.filter(r => ![200, 503].includes(r.status)).map(r => [r.status, r.body])).toEqual([]);
		// Every probe answered before half the logins that got a hash had theirs. (With the old
		// broker-wide bulkhead of 20 around every HTTP request, each probe waited for 20 logins.)
		const verified = answeredAt.filter((_, i) => answers[i].status === 200).sort((a, b) => a - b);
		const lastProbe = Math.max(...probes.map(p => p.at));
		expect(verified.filter(at => at > lastProbe).length).toBeGreaterThanOrEqual(Math.floor(verified.length / 2));
	});

	it("keeps answering other requests with more logins waiting at the gateway than any bulkhead would let in", async () => {
		// The hashers are held busy, so the queued logins wait at the gateway for as long as this
		// test says: 22 of them, more than the old broker-wide bulkhead's 20 in-flight requests.
		// Their verifications are then instant: the gateway's capacity is under test, not argon2's.
		const limits = { concurrency: 2, maxQueue: 22 };
		configurePasswordHashing(limits);
		const queue = passwordHashingQueue();
		jest.spyOn(argon2, "verify").mockResolvedValue(true);
		const hold = gate();
		const held = Array.from({ length: limits.concurrency }, () => queue.run(hold.wait));
		const logins = burst(url, 30, () => [crowd.email, PASSWORD]);
		await waitUntil(
			() => `${limits.maxQueue} logins wait for a hash (${queue.queued} do)`,
			() => queue.queued === limits.maxQueue
		);

		const me = await request(url).get("/api/v1/me").set(bearer(other.accessToken));
		const live = await request(url).get("/health/live");
		const ready = await request(url).get("/health/ready");
		const stillQueued = queue.queued;
		hold.open();
		await Promise.all(held);
		const statuses = (await logins.all).map(r => r.status);

		expect([me.status, live.status, ready.status]).toEqual([200, 200, 200]);
		expect(me.body).toMatchObject({ id: other.user.id });
		expect(stillQueued).toBe(limits.maxQueue);
		expect(statuses.filter(s => s === 200)).toHaveLength(limits.maxQueue);
		expect(statuses.filter(s => s === 503)).toHaveLength(30 - limits.maxQueue);
	});

	it("refuses the logins past the hashing queue with 503 and Retry-After, and answers the others as usual", async () => {
		const limits = { concurrency: 1, maxQueue: 4 };
		configurePasswordHashing(limits);
		// Right and wrong passwords, and unknown accounts: refused alike, whatever the account.
		const kinds = [
			(): [string, string] => [crowd.email, PASSWORD],
			(): [string, string] => [crowd.email, WRONG_PASSWORD],
			(): [string, string] => [uniqueEmail("nobody"), PASSWORD]
		];
		const errorLog = jest.spyOn(system.broker.getLocalService("api")!.logger, "error");
		const answers = await burst(url, BURST, i => kinds[i % kinds.length]()).all;

		const statuses = answers.map(r => r.status);
		expect(statuses.filter(s => ![200, 401, 503].includes(s))).toEqual([]);
		// The first ones in always fit: one hashing, four waiting.
		expect(statuses.filter(s => s !== 503).length).toBeGreaterThanOrEqual(limits.concurrency + limits.maxQueue);
		const refused = answers.filter(r => r.status === 503);
		expect(refused.length).toBeGreaterThan(0);
		for (const res of refused) {
			expect(res.body).toEqual({
				name: "ServiceBusyError",
				message: expect.any(String),
				code: 503,
				type: "SERVICE_BUSY",
				data: { retryAfter: expect.any(Number) }
			});
			expect(res.headers["retry-after"]).toMatch(/^\d+$/);
			const wait = Number(res.headers["retry-after"]);
			expect(wait).toBeGreaterThanOrEqual(1);
			// Five hashes at most were ahead of it.
			expect(wait).toBeLessThanOrEqual(60);
		}
		// Shedding load is the node working as meant: no error log, let alone one per refusal.
		expect(errorLog).not.toHaveBeenCalled();
		for (const res of answers.filter(r => r.status === 200)) expect(res.body).toMatchObject({ accessToken: expect.any(String) });
		for (const res of answers.filter(r => r.status === 401)) expect(res.body).toMatchObject({ type: "INVALID_CREDENTIALS" });

		// The refusals tripped no circuit breaker: the next logins are answered as usual at once.
		expect([passwordHashingQueue().running, passwordHashingQueue().queued]).toEqual([0, 0]);
		expect((await login(url, crowd.email)).status).toBe(200);
		expect((await login(url, crowd.email, WRONG_PASSWORD)).status).toBe(401);
		expect((await request(url).get("/health/ready")).status).toBe(200);
	});
});
