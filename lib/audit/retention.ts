/**
 * How long the audit trail keeps a record: AUDIT_RETENTION_DAYS (lib/config.ts), seven years by
 * default, since personnel records and the changes to them are commonly kept that long; 0 keeps
 * records for ever. The audit service prunes older ones daily (a scheduled job,
 * mixins/scheduled-jobs.mixin.ts): the trail stays append-only for every person, and only
 * age ends a record.
 */
import { config } from "../config";
import type { DbService } from "../../mixins/db.mixin";
import type { JobDefinition } from "../../mixins/scheduled-jobs.mixin";

const DAY_MS = 24 * 3600 * 1000;

/** The instant before which records go, for a run at `slot`; null when records are kept for ever. */
export function auditCutoff(slot: Date, retentionDays: number): string | null {
	return retentionDays > 0 ? new Date(slot.getTime() - retentionDays * DAY_MS).toISOString() : null;
}

/** Daily, the records (every tenant's) older than the retention. */
export const pruneAuditRecordsJob: JobDefinition<DbService> = {
	schedule: "35 3 * * *",
	async handler(this: DbService, slot: Date) {
		const before = auditCutoff(slot, config().audit.retentionDays);
		// Idempotent: a second run for the slot finds nothing older left.
		return { before, removed: before ? await this.adapter.removeMany({ at: { $lt: before } }) : 0 };
	}
};
