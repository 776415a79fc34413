/**
 * Which interviews a reminder run is for (services/data/recruitment.parts/reminders.ts): those
 * that start after the run's slot and before the end of the next UTC day. Run hourly, that is
 * "the day before" for an interview booked in time, and within the hour for one booked later.
 */
const DAY_MS = 24 * 3600_000;

/** ISO instants: interviews with from < scheduledAt < to. */
export function reminderWindow(slot: Date): { from: string; to: string } {
	const startOfDay = Date.UTC(slot.getUTCFullYear(), slot.getUTCMonth(), slot.getUTCDate());
	return { from: slot.toISOString(), to: new Date(startOfDay + 2 * DAY_MS).toISOString() };
}
