/**
 * The per-user connection cap, held across realtime nodes: every open socket owns a slot named
 * by its connection id, with an expiry its node pushes forward at every heartbeat. A node that
 * crashes stops pushing, so its slots lapse on their own within `ttlMs` and the user can
 * connect again; a socket closed normally gives its slot back at once.
 *
 * Redis holds the slots when the cluster has one (redis-slots.ts); one process keeps them in
 * memory (here).
 */

export interface SlotOwner {
	/** `<tenantId>:<userId>`: whose slots these are. */
	key: string;
	connectionId: string;
}

export interface ConnectionSlots {
	/** Takes a slot for `connectionId` when `key` holds fewer than `cap` live ones; false otherwise. */
	acquire(owner: SlotOwner, cap: number): Promise<boolean>;
	/** Keeps these slots alive for another ttl (the heartbeat calls it with every open socket of the node). */
	refresh(owners: SlotOwner[]): Promise<void>;
	release(owner: SlotOwner): Promise<void>;
	close(): Promise<void>;
}

export class MemorySlots implements ConnectionSlots {
	/** key → connectionId → expiry (ms since the epoch). */
	private readonly slots = new Map<string, Map<string, number>>();

	constructor(private readonly ttlMs: number) {}

	async acquire({ key, connectionId }: SlotOwner, cap: number): Promise<boolean> {
		const now = Date.now();
		const held = this.slots.get(key) ?? new Map<string, number>();
		for (const [id, expiry] of held) if (expiry <= now) held.delete(id);
		if (held.size >= cap) return false;
		held.set(connectionId, now + this.ttlMs);
		this.slots.set(key, held);
		return true;
	}

	async refresh(owners: SlotOwner[]): Promise<void> {
		const expiry = Date.now() + this.ttlMs;
		for (const { key, connectionId } of owners) {
			const held = this.slots.get(key);
			if (held?.has(connectionId)) held.set(connectionId, expiry);
		}
	}

	async release({ key, connectionId }: SlotOwner): Promise<void> {
		const held = this.slots.get(key);
		if (!held) return;
		held.delete(connectionId);
		if (held.size === 0) this.slots.delete(key);
	}

	async close(): Promise<void> {
		this.slots.clear();
	}
}
