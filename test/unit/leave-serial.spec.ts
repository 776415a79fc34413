import { SerialQueues } from "../../lib/leave/serial";

function deferred() {
	let resolve!: () => void;
	let reject!: (err: Error) => void;
	const promise = new Promise<void>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

describe("SerialQueues", () => {
	it("runs tasks of one key one after another, in order", async () => {
		const queues = new SerialQueues();
		const log: string[] = [];
		const first = deferred();
		const a = queues.run("k", async () => {
			log.push("a start");
			await first.promise;
			log.push("a end");
		});
		const b = queues.run("k", async () => {
			log.push("b");
		});
		await Promise.resolve();
		expect(log).toEqual(["a start"]);
		first.resolve();
		await Promise.all([a, b]);
		expect(log).toEqual(["a start", "a end", "b"]);
	});

	it("runs different keys side by side", async () => {
		const queues = new SerialQueues();
		const blocker = deferred();
		const slow = queues.run("x", () => blocker.promise);
		await expect(queues.run("y", async () => 42)).resolves.toBe(42);
		blocker.resolve();
		await slow;
	});

	it("goes on after a failed task, passing the failure to its own caller only", async () => {
		const queues = new SerialQueues();
		const failed = queues.run("k", async () => {
			throw new Error("boom");
		});
		const next = queues.run("k", async () => "ok");
		await expect(failed).rejects.toThrow("boom");
		await expect(next).resolves.toBe("ok");
	});

	it("forgets a key once its tasks are done", async () => {
		const queues = new SerialQueues();
		await queues.run("k", async () => 1);
		await new Promise(resolve => setImmediate(resolve));
		expect(queues.size).toBe(0);
	});
});
