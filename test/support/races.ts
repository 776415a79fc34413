/**
 * Races made to happen, not hoped for: `second` is sent from inside the first call that `first`
 * makes to `store[method]` (a spied store of a service in this process, so for itInProcess tests),
 * which is held there a while. "after": the call is made first and its answer held; "before":
 * held before the call is made. Answers both, `first`'s and `second`'s.
 */
import type { Store } from "../../lib/store/types";

type Method = "count" | "insert" | "updateById" | "findOne";

export async function sentDuring<A, B>(
	store: Store,
	method: Method,
	first: () => PromiseLike<A>,
	second: () => PromiseLike<B>,
	{ when = "before", holdMs = 150 }: { when?: "before" | "after"; holdMs?: number } = {}
): Promise<[A, B]> {
	const real = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
	const hold = () => new Promise(resolve => setTimeout(resolve, holdMs));
	let sent: Promise<B> | undefined;
	const spied = jest.spyOn(store, method).mockImplementationOnce((async (...args: unknown[]) => {
		if (when === "before") {
			sent = Promise.resolve(second());
			await hold();
			return real(...args);
		}
		const answer = await real(...args);
		sent = Promise.resolve(second());
		await hold();
		return answer;
	}) as never);
	try {
		return [await first(), await sent!];
	} finally {
		spied.mockRestore();
	}
}

/**
 * A delete and a write referring to what it deletes, the write sent while the delete counts the
 * uses (the spied store's first count, answered and then held): the delete must answer 204, and
 * the write's answer is returned.
 */
export async function writtenWhileDeleting<W>(store: Store, remove: () => PromiseLike<{ status: number }>, write: () => PromiseLike<W>): Promise<W> {
	const [removed, written] = await sentDuring(store, "count", remove, write, { when: "after" });
	expect(removed.status).toBe(204);
	return written;
}

/** sentDuring, and which of the two was answered first ("first" or "second"): whether one waited for the other. */
export async function answeredInOrder<A, B>(
	store: Store,
	method: Method,
	first: () => PromiseLike<A>,
	second: () => PromiseLike<B>,
	options?: { when?: "before" | "after"; holdMs?: number }
): Promise<{ answers: [A, B]; order: string[] }> {
	const order: string[] = [];
	const noted =
		<T>(name: string, send: () => PromiseLike<T>) =>
		() =>
			Promise.resolve(send()).then(answer => (order.push(name), answer));
	const answers = await sentDuring(store, method, noted("first", first), noted("second", second), options);
	return { answers, order };
}
