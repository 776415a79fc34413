/**
 * Removals on the audit trail. A removed document cannot carry its own record in its outbox, so
 * the record rides in a small document of the service's `<service>_audit_outbox` collection
 * (which has an outbox, OutboxMixin collections), written just BEFORE the removal: a crash
 * between the two leaves a record of a removal that did not happen (the client got an error
 * and the document is still there, which the trail's reader can see), never a removal without
 * a record. The removal is then done as usual (DbMixin.removed: 204, caches cleaned).
 */
import type { CollectionSpec, Store } from "../store";
import { OUTBOX_INDEX, insertWithEvent } from "../channels/outbox";
import { type AuditContext, auditRemoval } from "./record";

export const auditOutboxName = (service: string): string => `${service}_audit_outbox`;

/** The collection a service that audits removals adds to its DbMixin and its OutboxMixin. */
export function auditOutboxCollection(service: string): CollectionSpec {
	return { name: auditOutboxName(service), indexes: [OUTBOX_INDEX] };
}

interface Remover {
	name: string;
	store(name: string): Store;
	newId(): string;
	publishEvents(id: string, collection?: string): void;
	removed(ctx: { meta: { $statusCode?: number } }, store: Store, id: string, json: unknown): Promise<null>;
}

/** Records the removal of `before` (of kind `type`) on the trail, then removes it from `store`. */
export async function removeAudited(
	service: Remover, ctx: AuditContext & { meta: { $statusCode?: number } }, store: Store, type: string,
	before: { _id: string; tenantId: string }, json: unknown
): Promise<null> {
	const collection = auditOutboxName(service.name);
	const tombstone = insertWithEvent({ _id: service.newId(), tenantId: before.tenantId, at: new Date().toISOString() }, auditRemoval(ctx, type, before));
	await service.store(collection).insert(tombstone);
	service.publishEvents(tombstone._id, collection);
	return service.removed(ctx, store, before._id, json);
}
