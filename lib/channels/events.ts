/**
 * Domain events that travel through channels (@moleculer/channels): what every one carries,
 * and the channels Roster itself uses. A consumer group is the consuming service: each event
 * is handled once per service, by one of its nodes (docs/operations.md).
 */

/** What every domain event carries besides its own fields. */
export interface EventEnvelope {
	/** Unique per event: a consumer records it, so a redelivery or a replay never repeats an effect. */
	eventId: string;
	tenantId: string;
	/** When the write that made the event happened (ISO 8601). */
	at: string;
	/** The event's place in its aggregate's history (1, 2, …), set by the outbox relay: a later change has a higher one. */
	seq?: number;
	/** Set by a replay from the dead-letter queue: only this consumer group acts on it, the others ignore it. */
	replayFor?: string;
}

export type DomainEvent<T = Record<string, unknown>> = EventEnvelope & T;

/** Where a delivery that failed every retry goes (prefixed with the namespace, like every channel). */
export const DEAD_LETTER_CHANNEL = "dead-letters";

/** The envelope of a payload that has one; undefined for a message from elsewhere. */
export function envelopeOf(payload: unknown): EventEnvelope | undefined {
	const event = payload as Partial<EventEnvelope> | null;
	return typeof event?.eventId === "string" && typeof event.tenantId === "string" ? (event as EventEnvelope) : undefined;
}
