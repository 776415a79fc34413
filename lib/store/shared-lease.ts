/**
 * A lease (lease.ts) that many holders may share, while one holder at a time may own it outright.
 * Writes that only refer to something (a hire naming a department) share it and run side by side;
 * a change that must see all of them (the department's delete counting its uses) owns it, and
 * waits for those sharing it to let go while new ones wait for it.
 *
 * A sharer writes a row of its own first, then looks for an owner; an owner claims the lease's row
 * first, then counts the sharers' rows. Each does its write before its read, so at most one of two
 * that come at once can miss the other: both missing would need each read to come before the
 * other's write. A sharer that finds an owner takes its row back and tries again.
 */
import { randomUUID } from "node:crypto";
import { LEASE_WAIT_MS, claimLease, releaseLease, waitUntil } from "./lease";
import type { Store } from "./types";

export interface SharedLeaseOptions {
	/** How long a holder that never lets go keeps its hold. */
	ttlMs?: number;
	/** How long to wait before answering 503. */
	waitMs?: number;
}

const DEFAULTS = { ttlMs: 15_000, waitMs: LEASE_WAIT_MS };

interface SharerDoc {
	_id: string;
	/** The key of the lease shared. */
	sharing: string;
	until: number;
}

const sharerId = (key: string, holder: string) => `${key}#${holder}`;

async function owned(store: Store, key: string): Promise<boolean> {
	const lease: { holder: string | null; until: number } | null = await store.findOne({ _id: key });
	return !!lease?.holder && lease.until > Date.now();
}

/** Shares the lease named `key`, waiting while someone owns it or failing with 503; answers the holder for releaseShared. */
export async function claimShared(store: Store, key: string, options: SharedLeaseOptions = {}): Promise<string> {
	const { ttlMs, waitMs } = { ...DEFAULTS, ...options };
	const holder = randomUUID();
	const id = sharerId(key, holder);
	await waitUntil(async () => {
		// Looked at first too: a sharer's row written only to be taken back would keep the owner counting.
		if (await owned(store, key)) return false;
		const sharer: SharerDoc = { _id: id, sharing: key, until: Date.now() + ttlMs };
		await store.insert(sharer);
		if (!(await owned(store, key))) return true;
		await store.removeMany({ _id: id });
		return false;
	}, Date.now() + waitMs);
	return holder;
}

export async function releaseShared(store: Store, key: string, holder: string): Promise<void> {
	await store.removeMany({ _id: sharerId(key, holder) });
}

/** Runs the task sharing the lease named `key`; waits while someone owns it, or fails with 503. */
export async function withSharedLease<T>(store: Store, key: string, task: () => Promise<T>, options: SharedLeaseOptions = {}): Promise<T> {
	const holder = await claimShared(store, key, options);
	try {
		return await task();
	} finally {
		await releaseShared(store, key, holder);
	}
}

/** Runs the task owning the lease named `key`: no one shares it meanwhile. Waits for it, or fails with 503. */
export async function withOwnedLease<T>(store: Store, key: string, task: () => Promise<T>, options: SharedLeaseOptions = {}): Promise<T> {
	const { ttlMs, waitMs } = { ...DEFAULTS, ...options };
	const deadline = Date.now() + waitMs;
	const holder = await claimLease(store, key, { ttlMs, waitMs });
	try {
		// A sharer that died is counted until its row runs out, as a dead owner holds the lease until its own does.
		await store.removeMany({ sharing: key, until: { $lte: Date.now() } });
		await waitUntil(async () => (await store.count({ query: { sharing: key, until: { $gt: Date.now() } } })) === 0, deadline);
		return await task();
	} finally {
		await releaseLease(store, key, holder);
	}
}
