/**
 * The audit context: one record per mutation (who, what, when, from where), written by the
 * audit data service from the `audit.recorded` channel. Each writer puts the event into the
 * same statement as its change (lib/audit/record.ts), so a committed change cannot lose it.
 */
import type { EventEnvelope } from "../channels/events";

export const AuditActions = {
	/** Published GET /audit (owner, admin): the tenant's records, newest first, the usual list shape. */
	list: "audit.list"
} as const;

export const AuditEvents = {
	/** One mutation, carried by the written document's outbox (lib/audit/record.ts). */
	recorded: "audit.recorded"
} as const;

/** A field's value before and after the change; secrets read "changed" (lib/audit/redact.ts). */
export interface AuditChange {
	from: unknown;
	to: unknown;
}

export interface AuditActor {
	/** The user's id, or "system" for background work (a channel consumer, a scheduled job). */
	userId: string;
	/** The highest role the actor held when acting ("system" for background work). */
	role: string;
	roles: string[];
	/** For "system": the scheduled job, consumer or saga step that acted ("identity.expireInvitations"). */
	job?: string;
	/** For "system" work done for a person (a saga's undo step): that user's id. */
	onBehalfOf?: string;
}

export interface AuditTarget {
	/** The kind of record changed: "employee", "department", "user", "leaveType", … */
	type: string;
	id: string;
}

export interface AuditRecordedFields {
	actor: AuditActor;
	/** The action that made the change, as Moleculer names it ("org.updateDepartment"). */
	action: string;
	/** "created" | "updated" | "removed". */
	operation: AuditOperation;
	target: AuditTarget;
	changes: Record<string, AuditChange>;
	/** The gateway's X-Request-Id: the one the client sent, or the one it got back. */
	requestId: string | null;
	clientIp: string | null;
}

export type AuditOperation = "created" | "updated" | "removed";

export type AuditRecordedEvent = EventEnvelope & AuditRecordedFields;

/** What GET /audit answers for each record. */
export interface AuditRecord extends AuditRecordedFields {
	id: string;
	at: string;
}
