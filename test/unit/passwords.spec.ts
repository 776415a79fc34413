/**
 * lib/auth/passwords: argon2 in a bounded queue per process, and how big that queue is
 * (PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE, or sized from the machine); and the strength
 * a new password must have (lib/auth/password-strength.ts, by zxcvbn).
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { performance } from "node:perf_hooks";
import argon2 from "argon2";
import type { Context } from "moleculer";
import { configurePasswordHashing, hashPassword, passwordHashingQueue, passwordWeakness, verifyPassword } from "../../lib/auth/passwords";
import { PASSWORD as SHARED_TEST_PASSWORD, uniqueEmail } from "../support/http";
import { ConfigError, config, loadConfig } from "../../lib/config";
import { ServiceBusyError } from "../../lib/errors";
import { callDeadline } from "../../lib/meta";

jest.setTimeout(30_000);

const PASSWORD = "Sturdy-Password-42";

/** Takes every hashing slot until the returned function is called. */
function holdEverySlot(): () => Promise<void> {
	const queue = passwordHashingQueue();
	let open!: () => void;
	const opened = new Promise<void>(resolve => (open = resolve));
	const held = Array.from({ length: queue.concurrency }, () => queue.run(() => opened));
	return async () => {
		open();
		await Promise.all(held);
	};
}

/** The cost parameters of an argon2 hash string: `$argon2id$v=19$m=65536,t=3,p=4$...`. */
const costOf = (hash: string) => hash.split("$").slice(1, 4).join("$");

describe("password hashing", () => {
	const defaults = config().passwordHashing;
	afterEach(() => {
		configurePasswordHashing(defaults);
		jest.restoreAllMocks();
	});

	it("verifies the right password and refuses a wrong one or an unknown account", async () => {
		const hash = await hashPassword(PASSWORD);

		expect(hash.startsWith("$argon2id$")).toBe(true);
		await expect(verifyPassword(hash, PASSWORD)).resolves.toBe(true);
		await expect(verifyPassword(hash, "Wrong-Password-42")).resolves.toBe(false);
		await expect(verifyPassword(undefined, PASSWORD)).resolves.toBe(false);
		await expect(verifyPassword("not-a-hash", PASSWORD)).resolves.toBe(false);
	});

	it("costs an unknown account one verification, against a hash of the same cost as a real one", async () => {
		const hash = await hashPassword(PASSWORD);
		await verifyPassword(undefined, PASSWORD); // the decoy exists from here on
		const verify = jest.spyOn(argon2, "verify");

		await verifyPassword(hash, "Wrong-Password-42");
		await verifyPassword(undefined, "Wrong-Password-42");

		expect(verify).toHaveBeenCalledTimes(2);
		const [known, unknown] = verify.mock.calls.map(([stored]) => stored as string);
		expect(costOf(unknown)).toBe(costOf(known));
	});

	it("refuses with a 503 ServiceBusyError and a Retry-After past the queue, known account or not", async () => {
		configurePasswordHashing({ concurrency: 1, maxQueue: 0 });
		const hash = await hashPassword(PASSWORD);
		const release = holdEverySlot();

		const refusals = await Promise.allSettled([verifyPassword(hash, PASSWORD), verifyPassword(undefined, PASSWORD), hashPassword(PASSWORD)]);
		await release();

		for (const refusal of refusals) {
			expect(refusal.status).toBe("rejected");
			const err = (refusal as PromiseRejectedResult).reason;
			expect(err).toBeInstanceOf(ServiceBusyError);
			expect(err).toMatchObject({ code: 503, type: "SERVICE_BUSY", retryable: true, data: { retryAfter: expect.any(Number) } });
			expect(err.data.retryAfter).toBeGreaterThanOrEqual(1);
		}
		// A refused unknown account leaves nothing stuck: the next one is checked as usual.
		await expect(verifyPassword(undefined, PASSWORD)).resolves.toBe(false);
	});

	it("drops a check still queued when its caller's deadline passes, without running argon2 for nobody", async () => {
		// Many slots: the wait expected for one more is short, so both checks are let in to wait.
		configurePasswordHashing({ concurrency: 8, maxQueue: 5 });
		const hash = await hashPassword(PASSWORD);
		const verify = jest.spyOn(argon2, "verify");
		const release = holdEverySlot();

		const outcome = (p: Promise<boolean>) =>
			p.then(
				ok => ok,
				(err: Error) => err
			);
		const givenUp = outcome(verifyPassword(hash, PASSWORD, performance.now() + 1000));
		const stillWanted = outcome(verifyPassword(hash, PASSWORD, performance.now() + 60_000));
		expect(passwordHashingQueue().queued).toBe(2);
		await new Promise(resolve => setTimeout(resolve, 1100));
		await release();

		expect(await givenUp).toBeInstanceOf(ServiceBusyError);
		expect(await stillWanted).toBe(true);
		expect(verify).toHaveBeenCalledTimes(1);
	});

	it("refuses at once a check that could not start before its caller stops waiting", async () => {
		configurePasswordHashing({ concurrency: 1, maxQueue: 100 });
		const hash = await hashPassword(PASSWORD);
		const release = holdEverySlot();

		// A slot is at least one argon2 verification away, which takes longer than 5 ms.
		const tooLate = verifyPassword(hash, PASSWORD, performance.now() + 5).then(
			ok => ok,
			(err: Error) => err
		);
		const queued = passwordHashingQueue().queued;
		await release();

		expect(await tooLate).toBeInstanceOf(ServiceBusyError);
		expect(queued).toBe(0);
		// With a slot free, even a short deadline is let in.
		await expect(verifyPassword(hash, PASSWORD, performance.now() + 5)).resolves.toBe(true);
	});

	it("runs no more at once than configured, and lets the queued ones through in turn", async () => {
		configurePasswordHashing({ concurrency: 2, maxQueue: 10 });
		let running = 0;
		let most = 0;
		jest.spyOn(argon2, "verify").mockImplementation(async () => {
			most = Math.max(most, ++running);
			await new Promise(resolve => setTimeout(resolve, 10));
			running--;
			return true;
		});

		const results = await Promise.all(Array.from({ length: 12 }, () => verifyPassword("$argon2id$stub", PASSWORD)));

		expect(results).toEqual(Array(12).fill(true));
		expect(most).toBe(2);
	});
});

describe("callDeadline", () => {
	it("is when the call's timeout ends, counted from when the call reached this node", () => {
		const ctx = { options: { timeout: 1000 }, startHrTime: process.hrtime() } as unknown as Context;
		const deadline = callDeadline(ctx)!;

		expect(deadline).toBeGreaterThan(performance.now() + 900);
		expect(deadline).toBeLessThanOrEqual(performance.now() + 1000);
		expect(callDeadline({ options: { timeout: 0 }, startHrTime: process.hrtime() } as unknown as Context)).toBeUndefined();
		expect(callDeadline({ options: {} } as unknown as Context)).toBeUndefined();
	});
});

describe("password hashing limits from the environment", () => {
	it("by default fits the cores (four argon2 lanes a hash), leaves a libuv thread free, and queues 8 per slot", () => {
		const { concurrency, maxQueue } = loadConfig({}).passwordHashing;

		expect(concurrency).toBe(Math.max(1, Math.min(Math.floor(os.availableParallelism() / 4), 3)));
		expect(maxQueue).toBe(8 * concurrency);
		expect(loadConfig({ UV_THREADPOOL_SIZE: "1" }).passwordHashing.concurrency).toBe(1);
		expect(loadConfig({ UV_THREADPOOL_SIZE: "2" }).passwordHashing.concurrency).toBe(1);
	});

	it("takes PASSWORD_HASH_CONCURRENCY and PASSWORD_HASH_QUEUE as given (0 = refuse whenever every slot is busy)", () => {
		expect(loadConfig({ PASSWORD_HASH_CONCURRENCY: "3" }).passwordHashing).toEqual({ concurrency: 3, maxQueue: 24 });
		expect(loadConfig({ PASSWORD_HASH_CONCURRENCY: "2", PASSWORD_HASH_QUEUE: "0" }).passwordHashing).toEqual({ concurrency: 2, maxQueue: 0 });
	});

	it.each([
		["PASSWORD_HASH_CONCURRENCY", "0"],
		["PASSWORD_HASH_CONCURRENCY", "two"],
		["PASSWORD_HASH_QUEUE", "-1"],
		["PASSWORD_HASH_QUEUE", "1e3"]
	])("refuses %s=%s with an error naming the variable", (name, value) => {
		expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
		expect(() => loadConfig({ [name]: value })).toThrow(name);
	});
});

describe("passwordWeakness", () => {
	const email = "olivia.owner@acme.test";
	const name = "Olivia Owner";
	const tooEasy = (warning: string) => `is too easy to guess: ${warning}`;

	it("keeps the length bounds: 10 to 128 characters", () => {
		expect(passwordWeakness("Kx8#pQ2v!", email)).toBe("must be at least 10 characters");
		expect(passwordWeakness(`Kx8#pQ2v!${randomBytes(96).toString("base64url")}`.slice(0, 129), email)).toBe("must be at most 128 characters");
		expect(passwordWeakness(randomBytes(96).toString("base64url").slice(0, 128), email)).toBeNull();
	});

	it("refuses common passwords and patterns, saying why", () => {
		expect(passwordWeakness("Password123!", email)).toBe(tooEasy("this is similar to a commonly used password"));
		expect(passwordWeakness("P@ssw0rd2024", email)).toBe(tooEasy("this is similar to a commonly used password"));
		expect(passwordWeakness("1qaz2wsx3edc", email)).toBe(tooEasy("this is a commonly used password"));
		expect(passwordWeakness("qwertyuiop", email)).toBe(tooEasy("this is a frequently used password"));
		expect(passwordWeakness("zxcvbnm,./", email)).toBe(tooEasy("straight rows of keys are easy to guess"));
		expect(passwordWeakness("9876543210", email)).toBe(tooEasy('sequences like "abc" or "6543" are easy to guess'));
		expect(passwordWeakness("aaaaaaaaaaaaaaaaaaaa", email)).toBe(tooEasy('repeated characters like "aaa" are easy to guess'));
		expect(passwordWeakness("2024-01-15-x", email)).toBe(tooEasy("dates are easy to guess"));
	});

	it("sees through separators: a repeated word stays a repeat, however it is joined", () => {
		for (const password of ["password-password", "password.password!", "password_password1", "letmein-letmein", "hello world hello world"]) {
			expect({ password, weakness: passwordWeakness(password, email) }).toEqual({ password, weakness: expect.stringMatching(/^is too easy to guess: /) });
		}
		expect(passwordWeakness("password-password", email)).toBe(tooEasy('repeated patterns like "abcabcabc" are easy to guess'));
		// Separators between uncommon words, or in a random string, cost them nothing.
		for (const password of ["Correct-Horse-Battery-9", "Glacier-Otter-Mango-57", "Kx8-pQ2vLm", "Tulip.Granite.Velvet"]) {
			expect({ password, weakness: passwordWeakness(password, email) }).toEqual({ password, weakness: null });
		}
	});

	it("counts the email and the name as known to the attacker", () => {
		expect(passwordWeakness("Olivia.Owner-2030", email)).toBe("must not contain the email address");
		expect(passwordWeakness("OliviaOwner-Kx8#pQ", "oo@acme.test", name)).toBe("must not contain your name");
		// A part of them is one word of a dictionary of the user's own.
		expect(passwordWeakness("Okonkwo1987!", "m@acme.test")).toBeNull();
		expect(passwordWeakness("Okonkwo1987!", "m@acme.test", "Marguerite Okonkwo")).toBe(tooEasy("it holds your name or email address"));
		expect(passwordWeakness("marguerite77", "marguerite.o@acme.test")).toBe(tooEasy("it holds your name or email address"));
	});

	it("accepts the password the test suites sign every user up with, and random ones", () => {
		for (const prefix of ["owner", "hr", "admin", "manager", "employee", "erin", "cara"]) {
			const address = uniqueEmail(prefix);
			expect({ address, weakness: passwordWeakness(SHARED_TEST_PASSWORD, address, `A ${prefix}`) }).toEqual({ address, weakness: null });
		}
		for (let i = 0; i < 20; i++) expect(passwordWeakness(randomBytes(18).toString("base64url"), email, name)).toBeNull();
	});

	it("stays cheap: a few milliseconds a check once the estimator is built", () => {
		passwordWeakness("Warm-Up-Password-1", email);
		const samples = Array.from({ length: 30 }, (_, i) => [
			randomBytes(18).toString("base64url"),
			`Sturdy-Password-${i}`,
			`Password${i}!`,
			`Xy7!${i}`.repeat(30).slice(0, 128),
			randomBytes(96).toString("base64url").slice(0, 128)
		]).flat();
		const started = performance.now();
		for (const password of samples) passwordWeakness(password, email, name);
		const meanMs = (performance.now() - started) / samples.length;
		// About 2 ms here (docs/benchmarks.md); the bound leaves room for a loaded machine, and
		// still fails zxcvbn's default l33t search, which took up to 250 ms on a long password.
		expect(meanMs).toBeLessThan(25);
	});
});
