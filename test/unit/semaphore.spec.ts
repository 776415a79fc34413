/** lib/semaphore: the bounded queue that password hashing runs in. */
import { performance } from "node:perf_hooks";
import { BoundedSemaphore, type Refusal } from "../../lib/semaphore";

/** A task that finishes when the test says so. */
function gate<T = void>() {
	let open!: (value: T) => void;
	let fail!: (err: Error) => void;
	const promise = new Promise<T>((resolve, reject) => {
		open = resolve;
		fail = reject;
	});
	return { task: () => promise, open, fail };
}

const flush = () => new Promise(resolve => setImmediate(resolve));

class Full extends Error {}
const full = () => new Full("full");

class NotRun extends Error {
	constructor(readonly why: Refusal) {
		super(why);
	}
}
const notRun = (why: Refusal) => new NotRun(why);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe("BoundedSemaphore", () => {
	it("runs at most `concurrency` tasks at once and starts the waiting ones first come, first served", async () => {
		const sem = new BoundedSemaphore(2, 10);
		const gates = Array.from({ length: 5 }, () => gate<number>());
		const started: number[] = [];
		const results = gates.map((g, i) => sem.run(() => (started.push(i), g.task()), full));

		await flush();
		expect(started).toEqual([0, 1]);
		expect([sem.running, sem.queued]).toEqual([2, 3]);

		gates[1].open(1);
		await flush();
		expect(started).toEqual([0, 1, 2]);
		gates[0].open(0);
		gates[2].open(2);
		await flush();
		expect(started).toEqual([0, 1, 2, 3, 4]);
		gates[3].open(3);
		gates[4].open(4);

		expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
		expect([sem.running, sem.queued]).toEqual([0, 0]);
	});

	it("refuses at once past the queue, even for a burst that arrives in one tick", async () => {
		const sem = new BoundedSemaphore(1, 2);
		const g = gate();
		const calls = Array.from({ length: 6 }, () => sem.run(g.task, full));
		const settled = Promise.allSettled(calls);

		// The three refused ones are refused before anything runs to completion.
		const refused = await Promise.allSettled(calls.slice(3));
		expect(refused.map(r => r.status)).toEqual(["rejected", "rejected", "rejected"]);
		expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(Full);
		expect([sem.running, sem.queued]).toEqual([1, 2]);

		g.open();
		expect((await settled).map(r => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected", "rejected", "rejected"]);
	});

	it("gives the slot back when a task fails, and hands it to the next one in line", async () => {
		const sem = new BoundedSemaphore(1, 1);
		const first = gate();
		const failing = sem.run(first.task, full);
		const next = sem.run(async () => "next", full);

		first.fail(new Error("boom"));

		await expect(failing).rejects.toThrow("boom");
		await expect(next).resolves.toBe("next");
		expect([sem.running, sem.queued]).toEqual([0, 0]);
	});

	it("does not let a newcomer take a slot that was handed to a waiting task", async () => {
		const sem = new BoundedSemaphore(1, 1);
		const first = gate();
		const order: string[] = [];
		const a = sem.run(first.task, full);
		const b = sem.run(async () => void order.push("queued"), full);

		first.open();
		await a;
		// The slot is b's now, though b has not resumed yet: a newcomer waits behind it.
		const c = sem.run(async () => void order.push("newcomer"), full);
		await Promise.all([b, c]);

		expect(order).toEqual(["queued", "newcomer"]);
	});

	it("with no queue, refuses whatever finds every slot taken", async () => {
		const sem = new BoundedSemaphore(1, 0);
		const g = gate();
		const running = sem.run(g.task, full);

		await expect(sem.run(async () => 1, full)).rejects.toBeInstanceOf(Full);
		g.open();
		await running;
		await expect(sem.run(async () => 1, full)).resolves.toBe(1);
	});

	it("drops a waiting task whose deadline passed, and hands the slot to the next one still wanted", async () => {
		const sem = new BoundedSemaphore(1, 5);
		const first = gate();
		let ranExpired = false;
		const running = sem.run(first.task, notRun);
		const expired = sem.run(async () => void (ranExpired = true), notRun, performance.now() + 20);
		const wanted = sem.run(async () => "wanted", notRun, performance.now() + 60_000);

		await sleep(40);
		first.open();

		await expect(expired).rejects.toEqual(new NotRun("expired"));
		await expect(wanted).resolves.toBe("wanted");
		await running;
		expect(ranExpired).toBe(false);
		expect([sem.running, sem.queued]).toEqual([0, 0]);
	});

	it("makes room in a full queue by dropping the tasks whose deadline passed", async () => {
		const sem = new BoundedSemaphore(1, 2);
		const first = gate();
		const running = sem.run(first.task, notRun);
		const stale = [sem.run(async () => 1, notRun, performance.now() + 20), sem.run(async () => 2, notRun, performance.now() + 20)];
		const staleSettled = Promise.allSettled(stale);

		await expect(sem.run(async () => 3, notRun)).rejects.toEqual(new NotRun("full"));
		await sleep(40);
		const fresh = sem.run(async () => "fresh", notRun);

		expect((await staleSettled).map(r => r.status)).toEqual(["rejected", "rejected"]);
		expect(sem.queued).toBe(1);
		first.open();
		await running;
		await expect(fresh).resolves.toBe("fresh");
	});

	it("rejects sizes that make no sense", () => {
		expect(() => new BoundedSemaphore(0, 1)).toThrow(RangeError);
		expect(() => new BoundedSemaphore(1.5, 1)).toThrow(RangeError);
		expect(() => new BoundedSemaphore(1, -1)).toThrow(RangeError);
	});
});
