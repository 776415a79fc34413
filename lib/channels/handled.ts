/**
 * Idempotent consumers. A channel delivers at least once: a consumer that dies before it
 * acknowledges, a relay that publishes twice, a replay from the dead-letter queue, each
 * deliver an event again. So every consumer group records, in its own service's store, the
 * event ids it has handled: one document per (group, event id), whose _id is unique on every
 * backend; a delivery whose id is recorded is acknowledged without running again.
 *
 * The record is written after the effect, not before: a consumer that dies between the two
 * leaves no record, and the next delivery runs the effect again. That is the right side to
 * err on (written first, a crash would lose the effect), but it means each effect must be
 * idempotent in itself, converging on the same state when run twice; each handler says why
 * its own is.
 */
import type { CollectionSpec, Store } from "../store";
import { isUniqueViolation } from "../store/types";
import { config } from "../config";
import type { EventEnvelope } from "./events";

/** The collection a consuming service adds to its DbMixin: one per service, as every collection. */
export function handledEventsCollection(service: string): CollectionSpec {
	// By time: the daily prune (retention.ts).
	return { name: `${service}_handled_events`, indexes: [{ fields: { at: 1 } }] };
}

export type Handling = "handled" | "duplicate";

/**
 * Runs `effect` for `event` unless `group` handled it already; records it after. (A replay
 * meant for another group never gets here: middlewares/channel-replays.middleware.ts.)
 */
export async function handleOnce(store: Store, group: string, event: EventEnvelope, effect: () => Promise<void>): Promise<Handling> {
	const key = `${group}:${event.eventId}`;
	if (await store.findById(key)) return "duplicate";
	await effect();
	await testPause(key);
	try {
		await store.insert({ _id: key, group, eventId: event.eventId, tenantId: event.tenantId, at: new Date().toISOString() });
	} catch (err) {
		// Another node of the group handled it meanwhile (a redelivery raced the first one).
		if (!isUniqueViolation(err)) throw err;
	}
	return "handled";
}

/**
 * Tests only (TEST_CHANNEL_PAUSE, refused unless NODE_ENV=test): a handler waits between its
 * effect and its record, so a test can kill the process at the worst moment.
 */
async function testPause(key: string): Promise<void> {
	const ms = config().channels.testPauseMs;
	if (!ms) return;
	console.log(`[test hook] ${key}: paused ${ms} ms after the effect, before the record`);
	await new Promise(resolve => setTimeout(resolve, ms));
}
