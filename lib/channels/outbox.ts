/**
 * The outbox: an event is published if and only if the write that made it committed.
 *
 * The Store has no transaction that spans two documents on any backend (NeDB has none,
 * MongoDB's need a replica set, and the PostgreSQL adapter runs each call as one statement on
 * a pooled connection). A write to ONE document is atomic on all three. So the outbox is not a
 * collection beside the aggregate: the event rides in the aggregate's own document, in the
 * same insert or update as the change it describes (`_outbox`, with `_outboxSeq` counting the
 * document's events and `_outboxSince` saying since when one waits). A write that fails or
 * never happens leaves no event; one that commits cannot lose its event, whatever happens to
 * the process next. outbox-relay.ts then publishes the waiting events and removes them.
 *
 * Guarantee, on every backend: an event is published only after its change committed, and is
 * published at least once as long as the document exists (a crash between the publish and the
 * removal publishes it again: consumers are idempotent, lib/channels/handled.ts). On NeDB
 * "committed" means what NeDB means: in memory, or in its file under DATA_DIR.
 */
import { randomUUID } from "node:crypto";
import type { IndexSpec } from "../store";
import type { DomainEvent } from "./events";

/** An event waiting in its aggregate's document, with the channel it goes to. */
export interface PendingEvent {
	channel: string;
	event: DomainEvent;
}

/** The fields an aggregate document carries while it has events to publish. */
export interface OutboxFields {
	_outbox?: PendingEvent[];
	/** How many events the document has ever carried: the relay numbers events from it (their `seq`). */
	_outboxSeq?: number;
	/** Epoch ms since which an event waits, or until which a relay has claimed them. */
	_outboxSince?: number;
}

/**
 * Each collection with an outbox needs it: the relay's sweep looks for waiting events by it.
 * Sparse: the documents with nothing waiting (nearly all) are not in it at all.
 */
export const OUTBOX_INDEX: IndexSpec = { fields: { _outboxSince: 1 }, sparse: true };

export function pendingEvent<T extends object>(channel: string, tenantId: string, fields: T): PendingEvent {
	return { channel, event: { eventId: randomUUID(), tenantId, at: new Date().toISOString(), ...fields } };
}

/** A document to insert, carrying its first event (or one more, when `doc` carries some already). */
export function insertWithEvent<T extends object>(doc: T, pending: PendingEvent): T & OutboxFields {
	const carried = (doc as OutboxFields)._outbox ?? [];
	return { ...doc, _outbox: [...carried, pending], _outboxSeq: carried.length + 1, _outboxSince: Date.now() };
}

/**
 * A document to insert, carrying several events at once (each published on its own channel, in
 * order); `since` is a relay's lease when the writer inserts them already claimed (OutboxRelay.lease).
 */
export function insertWithEvents<T extends object>(doc: T, pending: PendingEvent[], since = Date.now()): T & OutboxFields {
	return { ...doc, _outbox: pending, _outboxSeq: pending.length, _outboxSince: since };
}

export interface MongoUpdate {
	$set?: Record<string, unknown>;
	$unset?: Record<string, unknown>;
	$inc?: Record<string, number>;
	$push?: Record<string, unknown>;
}

/** The events an update appends to the outbox already (one, or several with $each). */
function pushedEvents(update: MongoUpdate): PendingEvent[] {
	const pushed = update.$push?._outbox as PendingEvent | { $each: PendingEvent[] } | undefined;
	if (!pushed) return [];
	return "$each" in pushed ? pushed.$each : [pushed];
}

/**
 * A Mongo-style update that also appends `pending` to the document's outbox, in the same
 * statement. Composes: an update that carries events already carries one more ($each).
 */
export function updateWithEvent(update: MongoUpdate, pending: PendingEvent): MongoUpdate {
	const events = [...pushedEvents(update), pending];
	return {
		...update,
		$set: { ...update.$set, _outboxSince: Date.now() },
		$inc: { ...update.$inc, _outboxSeq: events.length },
		$push: { ...update.$push, _outbox: events.length === 1 ? pending : { $each: events } }
	};
}
