/**
 * The gateway's rate limits as a client meets them over HTTP, in one process with in-memory
 * counters. Each block starts its own system with low limits: every request here comes from
 * 127.0.0.1, so one block's requests would otherwise eat another block's budget.
 */
import { Errors } from "moleculer";
import request, { type Response } from "supertest";
import { configurePasswordHashing, passwordHashingQueue } from "../../lib/auth/passwords";
import { type RateLimitConfig, config } from "../../lib/config";
import { PASSWORD, type Signup, bearer, signup, uniqueEmail } from "../support/http";
import type { RunningSystem } from "../support/local-system";
import { itInProcess } from "../support/cluster-topology";
import { suiteTimeout } from "../support/timeouts";

// The gateway reads TRUST_PROXY once, when its module loads, so the variable is set before that
// module is required. Every system here then trusts X-Forwarded-For, as in production; a request
// that sends none is counted by its socket's address, as without a proxy.
process.env.TRUST_PROXY = "1";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startLocalSystem } = require("../support/local-system") as typeof import("../support/local-system");

// Argon2 makes every signup and login cost real time.
// Each describe starts a system of its own: on the cluster project five nodes and a fresh schema.
suiteTimeout(60_000);

const WINDOW = 60;
// Unlike WINDOW, so a Retry-After on a blocked login shows which window it came from.
const LOGIN_WINDOW = 120;
const WRONG_PASSWORD = "Not-The-Password-1";

function withLimits(limits: Partial<RateLimitConfig>): Record<string, unknown> {
	const cfg = config();
	const rateLimit: RateLimitConfig = {
		...cfg.rateLimit,
		windowSeconds: WINDOW,
		anonymousPoints: 1000,
		userPoints: 1000,
		loginFailsPerAccount: 1000,
		loginFailsPerIp: 1000,
		loginWindowSeconds: LOGIN_WINDOW,
		...limits
	};
	return { roster: { ...cfg, rateLimit } };
}

/** A header that must be there and hold a whole number; a missing one fails here, not as NaN. */
function intHeader(res: Response, name: string): number {
	const raw = res.headers[name.toLowerCase()];
	expect({ [name]: raw }).toEqual({ [name]: expect.stringMatching(/^\d+$/) });
	return Number(raw);
}

interface Budget {
	limit: number;
	remaining: number;
	reset: number;
}

function budget(res: Response): Budget {
	return { limit: intHeader(res, "RateLimit-Limit"), remaining: intHeader(res, "RateLimit-Remaining"), reset: intHeader(res, "RateLimit-Reset") };
}

/** A reset is a whole number of seconds inside the window, and never grows within it. */
function expectResetsWithin(budgets: Budget[], window: number): void {
	for (const b of budgets) {
		expect(b.reset).toBeGreaterThanOrEqual(1);
		expect(b.reset).toBeLessThanOrEqual(window);
	}
	// The window opened with the first request, a moment ago.
	expect(budgets[0].reset).toBeGreaterThanOrEqual(window - 5);
	const resets = budgets.map(b => b.reset);
	expect(resets).toEqual([...resets].sort((a, b) => b - a));
}

/** What every 429 looks like: the error shape, and a Retry-After a client can act on. */
function expectTooManyRequests(res: Response, maxWait: number): number {
	expect(res.status).toBe(429);
	expect(res.body).toMatchObject({ name: "TooManyRequestsError", message: expect.any(String), code: 429, type: "RATE_LIMITED" });
	expect(res.body).not.toHaveProperty("stack");
	expect(res.headers["x-content-type-options"]).toBe("nosniff");
	const wait = intHeader(res, "Retry-After");
	expect(wait).toBeGreaterThanOrEqual(1);
	expect(wait).toBeLessThanOrEqual(maxWait);
	return wait;
}

const wrongLogin = (url: string, email: string) => request(url).post("/api/v1/auth/login").send({ email, password: WRONG_PASSWORD });
const rightLogin = (url: string, email: string) => request(url).post("/api/v1/auth/login").send({ email, password: PASSWORD });

describe("rate limits over HTTP, one process", () => {
	describe("anonymous clients, counted by IP", () => {
		const LIMIT = 4;
		let system: RunningSystem;
		let url: string;

		beforeAll(async () => {
			system = await startLocalSystem(withLimits({ anonymousPoints: LIMIT }));
			url = system.url;
		});
		afterAll(() => system?.stop());

		it("counts the login route down with RateLimit headers, then answers 429 with Retry-After", async () => {
			const allowed: Response[] = [];
			for (let i = 0; i < LIMIT; i++) allowed.push(await wrongLogin(url, uniqueEmail()));
			const budgets = allowed.map(budget);

			expect(allowed.map(r => r.status)).toEqual([401, 401, 401, 401]);
			expect(budgets.map(b => b.limit)).toEqual([LIMIT, LIMIT, LIMIT, LIMIT]);
			expect(budgets.map(b => b.remaining)).toEqual([3, 2, 1, 0]);
			expectResetsWithin(budgets, WINDOW);

			const denied = await wrongLogin(url, uniqueEmail());
			const wait = expectTooManyRequests(denied, WINDOW);
			// The denial carries the same budget headers, and they agree with Retry-After.
			expect(budget(denied)).toEqual({ limit: LIMIT, remaining: 0, reset: wait });
			expect(wait).toBeLessThanOrEqual(budgets[LIMIT - 1].reset);
		});

		it("denies the other anonymous routes too once the IP's budget is spent", async () => {
			const owner = await request(url).post("/api/v1/auth/signup").send({ company: "Late", name: "L", email: uniqueEmail(), password: PASSWORD });
			expectTooManyRequests(owner, WINDOW);
			expectTooManyRequests(await request(url).post("/api/v1/auth/refresh").send({ refreshToken: "x" }), WINDOW);
		});

		it("counts a request without a valid token against the IP: guessing tokens is no way around the limit", async () => {
			const noToken = await request(url).get("/api/v1/me");
			const forged = await request(url).get("/api/v1/me").set(bearer("not-a-real-token"));

			expectTooManyRequests(noToken, WINDOW);
			expectTooManyRequests(forged, WINDOW);
			expect(budget(forged)).toMatchObject({ limit: LIMIT, remaining: 0 });
		});

		it("never limits the health probes", async () => {
			const live = await request(url).get("/health/live");

			expect(live.status).toBe(200);
			expect(live.headers).not.toHaveProperty("ratelimit-limit");
		});
	});

	describe("anonymous clients behind our proxy, counted by the address it appended", () => {
		const LIMIT = 3;
		let system: RunningSystem;
		let url: string;

		beforeAll(async () => {
			system = await startLocalSystem(withLimits({ anonymousPoints: LIMIT }));
			url = system.url;
		});
		afterAll(() => system?.stop());

		it("limits a client that writes a new address in front each time as the address the proxy saw", async () => {
			// What nginx passes on for a client at 198.51.100.7 that sent its own X-Forwarded-For.
			const spoofed = (i: number) => `10.9.9.${i}, 198.51.100.7`;
			const answers: Response[] = [];
			for (let i = 0; i <= LIMIT; i++) answers.push(await wrongLogin(url, uniqueEmail()).set("X-Forwarded-For", spoofed(i)));

			expect(answers.map(r => r.status)).toEqual([401, 401, 401, 429]);
			expect(answers.slice(0, LIMIT).map(r => budget(r).remaining)).toEqual([2, 1, 0]);
			expectTooManyRequests(answers[LIMIT], WINDOW);

			// Another client behind the proxy has a budget of its own, whatever it writes in front.
			const other = await wrongLogin(url, uniqueEmail()).set("X-Forwarded-For", "198.51.100.7, 198.51.100.8");
			expect(other.status).toBe(401);
			expect(budget(other)).toMatchObject({ limit: LIMIT, remaining: LIMIT - 1 });
		});
	});

	describe("authenticated users, counted by user", () => {
		const LIMIT = 3;
		let system: RunningSystem;
		let url: string;
		let ann: Signup;
		let bob: Signup;

		beforeAll(async () => {
			system = await startLocalSystem(withLimits({ userPoints: LIMIT, anonymousPoints: 100 }));
			url = system.url;
			// Two companies, both signing up from this one IP.
			[ann, bob] = await Promise.all([signup(url, "Ann Co"), signup(url, "Bob Co")]);
		});
		afterAll(() => system?.stop());

		it("counts GET /me down per user, then answers 429; another user from the same IP keeps a full budget", async () => {
			const allowed: Response[] = [];
			for (let i = 0; i < LIMIT; i++) allowed.push(await request(url).get("/api/v1/me").set(bearer(ann.accessToken)));
			const budgets = allowed.map(budget);

			expect(allowed.map(r => r.status)).toEqual([200, 200, 200]);
			expect(allowed[0].body).toMatchObject({ id: ann.user.id });
			expect(budgets.map(b => b.limit)).toEqual([LIMIT, LIMIT, LIMIT]);
			expect(budgets.map(b => b.remaining)).toEqual([2, 1, 0]);
			expectResetsWithin(budgets, WINDOW);

			const denied = await request(url).get("/api/v1/me").set(bearer(ann.accessToken));
			const wait = expectTooManyRequests(denied, WINDOW);
			expect(budget(denied)).toEqual({ limit: LIMIT, remaining: 0, reset: wait });

			const other = await request(url).get("/api/v1/me").set(bearer(bob.accessToken));
			expect(other.status).toBe(200);
			expect(other.body).toMatchObject({ id: bob.user.id });
			expect(budget(other)).toMatchObject({ limit: LIMIT, remaining: LIMIT - 1 });
		});

		it("keeps a spent user limited after a fresh login: the budget is the user's, not the token's", async () => {
			const relogin = await rightLogin(url, ann.email);
			// The login itself is anonymous, counted against the IP's budget, which is not spent.
			expect(relogin.status).toBe(200);
			expect(budget(relogin)).toMatchObject({ limit: 100 });

			expectTooManyRequests(await request(url).get("/api/v1/me").set(bearer(relogin.body.accessToken)), WINDOW);
		});
	});

	describe("a session check that fails", () => {
		const LIMIT = 10;
		let system: RunningSystem;
		let url: string;
		let ann: Signup;

		beforeAll(async () => {
			system = await startLocalSystem(withLimits({ userPoints: LIMIT, anonymousPoints: 100 }));
			url = system.url;
			ann = await signup(url, "Ann Co");
		});
		afterAll(() => system?.stop());

		itInProcess("costs the user one point, as any request: identity away must not spend budgets twice as fast", async () => {
			const sessions = (system.broker.getLocalService("api") as unknown as { sessions: { user(...args: unknown[]): Promise<unknown> } }).sessions;
			const first = await request(url).get("/api/v1/me").set(bearer(ann.accessToken));
			jest.spyOn(sessions, "user").mockRejectedValueOnce(new Errors.ServiceNotAvailableError({ action: "identity.session" }));
			const unavailable = await request(url).get("/api/v1/me").set(bearer(ann.accessToken));
			const after = await request(url).get("/api/v1/me").set(bearer(ann.accessToken));

			expect([first.status, unavailable.status, after.status]).toEqual([200, 503, 200]);
			expect([first, unavailable, after].map(r => budget(r).remaining)).toEqual([LIMIT - 1, LIMIT - 2, LIMIT - 3]);
		});
	});

	describe("refusals before authentication, counted all the same", () => {
		const LIMIT = 8;
		let system: RunningSystem;
		let url: string;
		let ann: Signup;

		beforeAll(async () => {
			system = await startLocalSystem(withLimits({ userPoints: LIMIT, anonymousPoints: LIMIT }));
			url = system.url;
			ann = await signup(url, "Ann Co");
		});
		afterAll(() => system?.stop());

		it("every counted answer carries the headers, 400, 404, 405 and 415 included, each a point of the user's budget", async () => {
			const as = bearer(ann.accessToken);
			const answers: Response[] = [];
			answers.push(await request(url).post("/api/v1/users").set(as).set("Content-Type", "application/json").send('{"email": '));
			answers.push(await request(url).get("/api/v1/nothing-here").set(as));
			answers.push(await request(url).delete("/api/v1/me").set(as));
			answers.push(await request(url).post("/api/v1/users").set(as).set("Content-Type", "text/plain").send("hello"));
			answers.push(await request(url).patch(`/api/v1/users/${ann.user.id}`).set(as).send({ isAdmin: true }));
			answers.push(await request(url).get("/api/v1/me").set(as));

			expect(answers.map(r => r.status)).toEqual([400, 404, 405, 415, 422, 200]);
			expect(answers.map(r => budget(r).remaining)).toEqual([7, 6, 5, 4, 3, 2]);
			expect(answers.map(r => budget(r).limit)).toEqual(answers.map(() => LIMIT));
		});

		it("counts a refusal without a token against the IP, and refuses it with 429 once the IP's budget is spent", async () => {
			// The signup's own anonymous requests came first: the IP's budget is what they left.
			const first = await request(url).get("/nothing-here");
			const left = budget(first).remaining;
			const answers = [first];
			for (let i = 0; i <= left; i++) answers.push(await request(url).get("/nothing-here"));

			expect(answers.map(r => r.status)).toEqual([...Array(left + 1).fill(404), 429]);
			expect(answers.slice(0, left + 1).map(r => budget(r).remaining)).toEqual([...Array(left + 1).keys()].reverse());
			expectTooManyRequests(answers[left + 1], WINDOW);
		});

		it("never counts the health endpoints, whatever they answer", async () => {
			const answers = await Promise.all([request(url).get("/health/live"), request(url).get("/health/ready"), request(url).get("/health/nothing")]);
			expect(answers.map(r => r.status)).toEqual([200, 200, 404]);
			expect(answers.map(r => r.headers["ratelimit-limit"])).toEqual([undefined, undefined, undefined]);
		});
	});

	describe("logins whose client left before they failed", () => {
		const MAX_FAILS = 2;
		let system: RunningSystem;
		let url: string;

		beforeAll(async () => {
			system = await startLocalSystem(withLimits({ loginFailsPerAccount: MAX_FAILS, loginFailsPerIp: 100 }));
			url = system.url;
		});
		afterAll(() => system?.stop());

		// A client that gives up on a login the cluster is too slow to answer (an outage) never
		// sent a wrong password: its attempts must not lock the account for the login window.
		itInProcess("give their reserved failure back: the right password still signs in afterwards", async () => {
			const ann = await signup(url, "Ann Co");
			const call = system.broker.call.bind(system.broker);
			const slowFailure = jest.spyOn(system.broker, "call").mockImplementation(((action: unknown, ...rest: unknown[]) => {
				const name = typeof action === "string" ? action : (action as { action?: { name?: string } }).action?.name;
				if (name !== "identity.login") return (call as (...args: unknown[]) => unknown)(action, ...rest);
				return new Promise((_resolve, reject) => setTimeout(() => reject(new Errors.RequestTimeoutError({ action: name, nodeID: "data-1" })), 300));
			}) as typeof system.broker.call);
			try {
				for (let i = 0; i < MAX_FAILS; i++) {
					await expect(rightLogin(url, ann.email).timeout(100)).rejects.toThrow(/Timeout/);
					// It fails on the server after its client has left.
					await new Promise(resolve => setTimeout(resolve, 400));
				}
			} finally {
				slowFailure.mockRestore();
			}
			expect((await rightLogin(url, ann.email)).status).toBe(200);
		});
	});

	describe("failed logins, counted per account and IP", () => {
		const MAX_FAILS = 3;
		let system: RunningSystem;
		let url: string;

		beforeAll(async () => {
			system = await startLocalSystem(withLimits({ loginFailsPerAccount: MAX_FAILS, loginFailsPerIp: 100 }));
			url = system.url;
		});
		afterAll(() => system?.stop());

		it("blocks an account for the whole login window after the allowed failures, even with the right password", async () => {
			const [victim, neighbour] = await Promise.all([signup(url, "Victim"), signup(url, "Neighbour")]);

			for (let i = 0; i < MAX_FAILS; i++) {
				const res = await wrongLogin(url, victim.email);
				expect(res.status).toBe(401);
				expect(res.body.type).toBe("INVALID_CREDENTIALS");
			}

			const blocked = await rightLogin(url, victim.email);
			const wait = expectTooManyRequests(blocked, LOGIN_WINDOW);
			expect(wait).toBeGreaterThan(LOGIN_WINDOW - 5);
			expect(blocked.body).not.toHaveProperty("accessToken");
			// However the client spells the email, it is the same account.
			expectTooManyRequests(await rightLogin(url, victim.email.toUpperCase()), LOGIN_WINDOW);

			// Another account from the same IP is not caught by the block.
			const other = await rightLogin(url, neighbour.email);
			expect(other.status).toBe(200);
			expect(other.body).toMatchObject({ accessToken: expect.any(String) });
		});

		it("lets no more parallel wrong passwords through to the check than the failures allowed", async () => {
			const owner = await signup(url, "Rushed");

			const answers = await Promise.all(Array.from({ length: 20 }, () => wrongLogin(url, owner.email)));

			// Each login reserved its failure before the call, so the rest found none left.
			const statuses = answers.map(r => r.status);
			expect(statuses.filter(status => status === 401)).toHaveLength(MAX_FAILS);
			expect(statuses.filter(status => status === 429)).toHaveLength(20 - MAX_FAILS);
			for (const res of answers.filter(r => r.status === 429)) expectTooManyRequests(res, LOGIN_WINDOW);
			// And those failures block the account for a whole window, the right password included.
			expect(expectTooManyRequests(await rightLogin(url, owner.email), LOGIN_WINDOW)).toBeGreaterThan(LOGIN_WINDOW - 5);
		});

		itInProcess("does not count a login refused by a busy hashing queue (503) as a failed password", async () => {
			const owner = await signup(url, "Busy");
			const defaults = config().passwordHashing;
			// Every hashing slot held and no queue: each login is refused before its password is checked.
			configurePasswordHashing({ concurrency: 1, maxQueue: 0 });
			let release!: () => void;
			const held = passwordHashingQueue().run(() => new Promise<void>(resolve => (release = resolve)));
			try {
				const refused: Response[] = [];
				for (let i = 0; i < MAX_FAILS + 2; i++) refused.push(await wrongLogin(url, owner.email));
				expect(refused.map(r => r.status)).toEqual(Array(MAX_FAILS + 2).fill(503));
				for (const res of refused) {
					expect(res.body).toMatchObject({ code: 503, type: "SERVICE_BUSY" });
					expect(intHeader(res, "Retry-After")).toBeGreaterThanOrEqual(1);
				}
			} finally {
				release();
				await held;
				configurePasswordHashing(defaults);
			}

			// None of those counted: the right password gets in, and the count starts from zero.
			expect((await rightLogin(url, owner.email)).status).toBe(200);
			for (let i = 0; i < MAX_FAILS; i++) expect((await wrongLogin(url, owner.email)).status).toBe(401);
			expectTooManyRequests(await rightLogin(url, owner.email), LOGIN_WINDOW);
		});

		it("throttles guesses of the current password in a password change as failed logins: a stolen access token cannot try on", async () => {
			const owner = await signup(url, "Guessed");
			const change = (currentPassword: string, newPassword = "Brand-New-Phrase-2031") =>
				request(url).post("/api/v1/auth/password").set(bearer(owner.accessToken)).send({ currentPassword, newPassword });
			// A new password too weak is refused before the current one is checked: no failure.
			for (let i = 0; i < MAX_FAILS + 1; i++) expect((await change(PASSWORD, "Password123!")).body.data[0].field).toBe("newPassword");
			for (let i = 0; i < MAX_FAILS; i++) {
				const res = await change(WRONG_PASSWORD);
				expect(res.status).toBe(422);
				expect(res.body.data[0].field).toBe("currentPassword");
			}
			expectTooManyRequests(await change(WRONG_PASSWORD), LOGIN_WINDOW);
			expectTooManyRequests(await change(PASSWORD), LOGIN_WINDOW);
			// The login of the same person is another count: the guesses did not lock them out of it.
			expect((await rightLogin(url, owner.email)).status).toBe(200);
		});

		it("starts the count afresh after a successful login", async () => {
			const owner = await signup(url, "Forgetful");

			// Twice the allowed failures in all, but never more than allowed in a row.
			for (let round = 0; round < 2; round++) {
				for (let i = 0; i < MAX_FAILS - 1; i++) expect((await wrongLogin(url, owner.email)).status).toBe(401);
				const ok = await rightLogin(url, owner.email);
				expect(ok.status).toBe(200);
			}

			// And the count does go on: the allowed failures in a row block the account again.
			for (let i = 0; i < MAX_FAILS; i++) expect((await wrongLogin(url, owner.email)).status).toBe(401);
			expectTooManyRequests(await rightLogin(url, owner.email), LOGIN_WINDOW);
		});
	});

	describe("failed logins, counted per IP over all accounts", () => {
		const MAX_FAILS_PER_IP = 3;
		let system: RunningSystem;
		let url: string;

		beforeAll(async () => {
			system = await startLocalSystem(withLimits({ loginFailsPerAccount: 100, loginFailsPerIp: MAX_FAILS_PER_IP }));
			url = system.url;
		});
		afterAll(() => system?.stop());

		it("blocks every login from an IP that failed across many accounts, an account it never tried included", async () => {
			const bystander = await signup(url, "Bystander");
			for (let i = 0; i < MAX_FAILS_PER_IP; i++) expect((await wrongLogin(url, uniqueEmail("sprayed"))).status).toBe(401);

			const blocked = await rightLogin(url, bystander.email);
			expect(expectTooManyRequests(blocked, LOGIN_WINDOW)).toBeGreaterThan(LOGIN_WINDOW - 5);
		});
	});
});
