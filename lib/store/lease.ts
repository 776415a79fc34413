/**
 * A lock every node sees: a row of a shared collection that one holder owns until it lets go or
 * its lease runs out. It serves checks that must see each other's writes, such as admitting one
 * leave request per employee at a time, on any backend (a conditional update and a unique _id
 * are all it needs). On NeDB, with one node, it is an ordinary lock.
 *
 * The lease outlives any single call (a write's timeout is 5 s, ActionTimeouts.write), so it
 * expires only for a holder that died; the clocks of the nodes matter only then.
 */
import { randomUUID } from "node:crypto";
import { ActionTimeouts } from "../action-timeouts";
import { ServiceBusyError } from "../errors";
import { type Store, isUniqueViolation } from "./types";

export interface LeaseOptions {
	/** How long a holder that never lets go keeps the lock. */
	ttlMs?: number;
	/** How long to wait for the lock before answering 503. */
	waitMs?: number;
}

/**
 * How long a waiter waits by default: less than its caller's write may take, so a lock that a dead
 * or frozen holder keeps answers 503 (retry shortly) within the caller's time. Waiting longer, the
 * caller answered 504 first ("may still have taken effect") while the write, still waiting here,
 * went through once the lock freed: a termination or a delete the client was told timed out.
 */
export const LEASE_WAIT_MS = ActionTimeouts.write - 1000;

const DEFAULTS = { ttlMs: 15_000, waitMs: LEASE_WAIT_MS };

interface LeaseDoc {
	_id: string;
	holder: string | null;
	until: number;
}

async function tryClaim(store: Store, key: string, holder: string, ttlMs: number): Promise<boolean> {
	const now = Date.now();
	const claimed = await store.updateMany({ _id: key, until: { $lt: now } }, { $set: { holder, until: now + ttlMs } });
	if (claimed === 1) return true;
	try {
		const doc: LeaseDoc = { _id: key, holder, until: now + ttlMs };
		await store.insert(doc);
		return true;
	} catch (err) {
		if (isUniqueViolation(err)) return false;
		throw err;
	}
}

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Asks `ready` until it answers true, or fails with 503 at `deadline`. */
export async function waitUntil(ready: () => Promise<boolean>, deadline: number): Promise<void> {
	let delay = 2;
	while (!(await ready())) {
		if (Date.now() >= deadline) throw new ServiceBusyError(1);
		// Jittered, growing pauses: holders keep a lease for milliseconds, waiters should not stampede.
		await pause(delay + Math.random() * delay);
		delay = Math.min(delay * 2, 50);
	}
}

/**
 * Claims the lock named `key` in `store` for a new holder, waiting for it or failing with 503,
 * and answers the holder to give to releaseLease. For a lock held across calls (see withLease).
 */
export async function claimLease(store: Store, key: string, options: LeaseOptions = {}): Promise<string> {
	const { ttlMs, waitMs } = { ...DEFAULTS, ...options };
	const holder = randomUUID();
	await waitUntil(() => tryClaim(store, key, holder, ttlMs), Date.now() + waitMs);
	return holder;
}

/** Lets go of the lock if `holder` still has it: after an expiry the row may belong to someone else. */
export async function releaseLease(store: Store, key: string, holder: string): Promise<void> {
	await store.updateMany({ _id: key, holder }, { $set: { holder: null, until: 0 } });
}

/** Runs the task while holding the lock named `key` in `store`; waits for it, or fails with 503. */
export async function withLease<T>(store: Store, key: string, task: () => Promise<T>, options: LeaseOptions = {}): Promise<T> {
	const holder = await claimLease(store, key, options);
	try {
		return await task();
	} finally {
		await releaseLease(store, key, holder);
	}
}
