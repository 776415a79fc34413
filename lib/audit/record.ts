/**
 * The audit trail's input: an `audit.recorded` event that a data service puts into the SAME
 * write as the change it describes, through the written document's outbox
 * (lib/channels/outbox.ts). The write and its record commit together or not at all: a refused
 * or failed write records nothing, and a crash after the write cannot lose the record (the
 * outbox relay publishes it later). The audit data service stores it (services/data/audit.service.ts).
 *
 *   await store.updateById(id, updateWithEvent({ $set }, auditUpdate(ctx, "department", before, $set)));
 *   this.publishEvents(id, collection);
 *
 * A removal cannot carry an event in a document that is gone: removal.ts writes its record
 * (`auditRemoval`) into the service's audit outbox just before removing; docs/operations.md
 * "Audit trail" says what window that leaves.
 *
 * Changes list each field with its value before and after (`from` is null for a creation,
 * `to` null for a removal); bookkeeping fields (ids, tenant, timestamps, the outbox) are left
 * out, and secrets are redacted by field name (redact.ts).
 */
import { type PendingEvent, pendingEvent } from "../channels/outbox";
import type { RequestMeta } from "../meta";
import { SYSTEM_USER_ID } from "../meta";
import { type JobName, JobServices } from "../names/jobs";
import { AuditEvents, type AuditActor, type AuditChange, type AuditOperation, type AuditRecordedFields } from "../names/audit";
import { ROLES, type Role } from "../roles";
import { redactValue } from "./redact";

/** What the builders read from a Moleculer context: the caller, the request, the action. */
export interface AuditContext {
	meta: RequestMeta;
	requestID?: string | null;
	action?: { name?: string } | null;
	/** Background work (a job, a saga's undo step) acting as "system": its name, in the record's actor. */
	job?: string;
	/** The user a system action was done for (the staff member whose onboarding a saga undoes). */
	onBehalfOf?: string | null;
}

/** Fields every document has that say nothing about the change. */
const BOOKKEEPING = new Set(["_id", "tenantId", "createdAt", "updatedAt"]);
const isBookkeeping = (field: string) => BOOKKEEPING.has(field) || field.startsWith("_outbox");

function actorOf(ctx: AuditContext): AuditActor {
	const user = ctx.meta.user;
	if (!user || user.id === SYSTEM_USER_ID || ctx.job) {
		return { userId: SYSTEM_USER_ID, role: "system", roles: [], ...(ctx.job && { job: ctx.job }), ...(ctx.onBehalfOf && { onBehalfOf: ctx.onBehalfOf }) };
	}
	const highest = ROLES.find(role => user.roles.includes(role)) ?? "none";
	return { userId: user.id, role: highest, roles: [...user.roles] };
}

const isScalar = (value: unknown) => value === null || typeof value === "string" || typeof value === "boolean";
/** Equal as JSON: strings, booleans and null compared as themselves (a creation's every field is one), the rest as their JSON. */
function same(a: unknown, b: unknown): boolean {
	const [x, y] = [a ?? null, b ?? null];
	return isScalar(x) && isScalar(y) ? x === y : JSON.stringify(x) === JSON.stringify(y);
}

/** Each field of `after` whose value differs from `before`'s, with both values, secrets redacted. */
export function diffChanges(before: Record<string, unknown> | null, after: Record<string, unknown> | null): Record<string, AuditChange> {
	const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
	const changes: Record<string, AuditChange> = {};
	for (const field of fields) {
		if (isBookkeeping(field)) continue;
		// An update names only the fields it sets: the others did not change.
		if (before && after && !(field in after)) continue;
		const from = before?.[field] ?? null;
		const to = after?.[field] ?? null;
		if (same(from, to)) continue;
		changes[field] = { from: redactValue(field, from), to: redactValue(field, to) };
	}
	return changes;
}

function auditEvent(
	ctx: AuditContext,
	tenantId: string,
	operation: AuditOperation,
	type: string,
	id: string,
	changes: Record<string, AuditChange>
): PendingEvent {
	const fields: AuditRecordedFields = {
		actor: actorOf(ctx),
		action: ctx.action?.name ?? ctx.job ?? "system",
		operation,
		target: { type, id },
		changes,
		requestId: ctx.requestID ?? null,
		clientIp: ctx.meta.clientIp ?? null
	};
	return pendingEvent(AuditEvents.recorded, tenantId, fields);
}

/**
 * The audit context of a person acting before they hold a token (signing in, following a link,
 * resetting a password): the record names them, with the request's id and IP.
 */
export function actingAs(ctx: AuditContext, user: { _id: string; tenantId: string; role: Role }): AuditContext {
	return {
		...ctx,
		action: ctx.action,
		meta: { ...ctx.meta, user: { id: user._id, tenantId: user.tenantId, roles: [user.role], employeeId: null, sessionId: "" } }
	};
}

/** The audit context of a scheduled job or a channel consumer (no request): actor "system", with the job's name. */
export function systemAudit(job: string): AuditContext {
	return { meta: {}, requestID: null, action: { name: job }, job };
}

/** The audit context of a scheduled job's writes: "system", named `<service>.<job>` as the job runs them. */
export function jobAudit(job: JobName): AuditContext {
	return systemAudit(`${JobServices[job]}.${job}`);
}

/**
 * The audit context of background work done for a caller, such as a saga's undo step: actor
 * "system" with the work's name, on behalf of the caller, under the caller's request id.
 */
export function onBehalfOf(ctx: AuditContext, job: string): AuditContext {
	return { ...ctx, job, onBehalfOf: ctx.meta.user?.id ?? null };
}

/** Any stored document of a tenant (typed loosely: each context has its own document types). */
type Doc = { _id: string; tenantId: string };
const fieldsOf = (doc: Doc) => doc as unknown as Record<string, unknown>;

/** The record of a creation: every field of the new document, from null. */
export function auditCreation<T extends Doc>(ctx: AuditContext, type: string, doc: T): PendingEvent {
	return auditEvent(ctx, doc.tenantId, "created", type, doc._id, diffChanges(null, fieldsOf(doc)));
}

/** The record of an update: the fields `set` changes on `before`, each from its old value. */
export function auditUpdate<T extends Doc>(ctx: AuditContext, type: string, before: T, set: object): PendingEvent {
	return auditEvent(ctx, before.tenantId, "updated", type, before._id, diffChanges(fieldsOf(before), set as Record<string, unknown>));
}

/** The record of a removal: every field of the removed document, to null. */
export function auditRemoval<T extends Doc>(ctx: AuditContext, type: string, before: T): PendingEvent {
	return auditEvent(ctx, before.tenantId, "removed", type, before._id, diffChanges(fieldsOf(before), null));
}
