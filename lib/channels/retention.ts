/**
 * How long the records of durable events are kept, and the scheduled jobs that prune them
 * (mixins/scheduled-jobs.mixin.ts): without them, every handled event and every dead letter
 * would stay in the store for ever.
 *
 * - A handled-event record (handled.ts) only has to outlive every redelivery of its event: a
 *   stream keeps an event STREAM_MAX_AGE_MS (7 days), and a replay from the dead-letter queue is
 *   of an event its group never recorded. Kept 30 days: well past both.
 * - A dead letter that was replayed is history: kept 30 days after its replay. One still dead
 *   waits for an admin for 90 days (docs/operations.md says so), then it is gone.
 */
import type { JobDefinition } from "../../mixins/scheduled-jobs.mixin";
import type { DbService } from "../../mixins/db.mixin";
import { STREAM_MAX_AGE_MS } from "./adapter";
import { handledEventsCollection } from "./handled";

const DAY_MS = 24 * 3600 * 1000;

export const HANDLED_KEPT_MS = Math.max(30 * DAY_MS, 2 * STREAM_MAX_AGE_MS);
export const REPLAYED_KEPT_MS = 30 * DAY_MS;
export const DEAD_KEPT_MS = 90 * DAY_MS;

const before = (slot: Date, ms: number) => new Date(slot.getTime() - ms).toISOString();

/** Daily, the consuming service's handled-event records older than HANDLED_KEPT_MS. */
export function pruneHandledEventsJob(service: string): JobDefinition<DbService> {
	const collection = handledEventsCollection(service).name;
	return {
		schedule: "15 3 * * *",
		async handler(this: DbService, slot: Date) {
			// Idempotent: a second run for the slot finds nothing older left.
			return { removed: await this.store(collection).removeMany({ at: { $lt: before(slot, HANDLED_KEPT_MS) } }) };
		}
	};
}

/** Daily, dead letters replayed more than REPLAYED_KEPT_MS ago, and dead ones older than DEAD_KEPT_MS. */
export const pruneDeadLettersJob: JobDefinition<DbService> = {
	schedule: "25 3 * * *",
	async handler(this: DbService, slot: Date) {
		const replayed = await this.adapter.removeMany({ state: "replayed", replayedAt: { $lt: before(slot, REPLAYED_KEPT_MS) } });
		const dead = await this.adapter.removeMany({ state: "dead", deadAt: { $lt: before(slot, DEAD_KEPT_MS) } });
		return { replayed, dead };
	}
};
