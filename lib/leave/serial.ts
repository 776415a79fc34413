/**
 * Runs tasks that share a key one after another, tasks of different keys side by side. The
 * leave service admits one request per employee at a time, so a double-submitted form cannot
 * pass the overlap and balance checks twice on the same node, and waiters on one node do not
 * poll the shared lease (lib/store/lease.ts) that orders admissions across nodes.
 */
export class SerialQueues {
	private readonly tails = new Map<string, Promise<void>>();

	run<T>(key: string, task: () => Promise<T>): Promise<T> {
		const previous = this.tails.get(key) ?? Promise.resolve();
		const result = previous.then(task);
		const tail = result.then(
			() => undefined,
			() => undefined
		);
		this.tails.set(key, tail);
		// Forget the key once its last task is done, so the map does not grow with every employee.
		void tail.then(() => {
			if (this.tails.get(key) === tail) this.tails.delete(key);
		});
		return result;
	}

	/** Keys with a task running or waiting. */
	get size(): number {
		return this.tails.size;
	}
}
