/**
 * lib/auth/passwords: argon2 in a bounded queue per process, and how big that queue is
 * (PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE, or sized from the machine).
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import argon2 from "argon2";
import type { Context } from "moleculer";
import { configurePasswordHashing, hashPassword, passwordHashingQueue, verifyPassword } from "../../lib/auth/passwords";
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

		const outcome = (p: Promise<boolean>) => p.then(ok => ok, (err: Error) => err);
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
		const tooLate = verifyPassword(hash, PASSWORD, performance.now() + 5).then(ok => ok, (err: Error) => err);
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
