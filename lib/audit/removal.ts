/**
 * Removals (and other changes no one document can carry) on the audit trail. A removed document cannot carry its own record in its outbox, so
 * the record rides in a small document of the service's `<service>_audit_outbox` collection
 * (OutboxMixin `notes`: the document is removed once its records are out), written just BEFORE the removal: a crash
 * between the two leaves a record of a removal that did not happen (the client got an error
 * and the document is still there, which the trail's reader can see), never a removal without
 * a record. The record goes out only once the removal has removed something: of two deletes
 * of one document at once, the one that finds it gone takes its record back and answers 404.
 * The removal is then reported as usual (DbMixin.saved: caches cleaned; 204).
 */
import type { CollectionSpec, Store } from "../store";
import { OUTBOX_INDEX, type PendingEvent, insertWithEvents } from "../channels/outbox";
import { NotFoundError } from "../errors";
import { type AuditContext, auditRemoval } from "./record";

export const auditOutboxName = (service: string): string => `${service}_audit_outbox`;

/** The collection a service that audits removals adds to its DbMixin, and to its OutboxMixin's notes. */
export function auditOutboxCollection(service: string): CollectionSpec {
	return { name: auditOutboxName(service), indexes: [OUTBOX_INDEX] };
}

interface Remover {
	name: string;
	store(name: string): Store;
	newId(): string;
	publishEvents(id: string, collection?: string): void;
	saved<T>(ctx: unknown, type: "removed", json: T): Promise<T>;
}

type Removed = { _id: string; tenantId: string };
type Recorder = Pick<Remover, "name" | "store" | "newId" | "publishEvents">;

/**
 * Puts audit records into the service's audit outbox, for a change the caller makes next that
 * no single document can carry (a removal, a change to many documents summarised as one record):
 * never a change without its record, at worst a record of a change that then failed.
 */
export async function recordAhead(service: Recorder, tenantId: string, records: PendingEvent[]): Promise<void> {
	if (records.length === 0) return;
	service.publishEvents(await writeNote(service, tenantId, records), auditOutboxName(service.name));
}

/** The records in a note of the audit outbox, not yet published (the relay's sweep would, after a crash): its id. */
async function writeNote(service: Recorder, tenantId: string, records: PendingEvent[]): Promise<string> {
	const note = insertWithEvents({ _id: service.newId(), tenantId, at: new Date().toISOString() }, records);
	await service.store(auditOutboxName(service.name)).insert(note);
	return note._id;
}

/**
 * Records the removals of `befores` (each of kind `type`) on the trail, in one write, for the
 * caller to do next: removals that are not a route's 204 (an internal undo, a cascade).
 */
export async function recordRemovals(service: Recorder, ctx: AuditContext, type: string, befores: Removed[]): Promise<void> {
	if (befores.length === 0) return;
	await recordAhead(
		service,
		befores[0].tenantId,
		befores.map(before => auditRemoval(ctx, type, before))
	);
}

/** Records the removal of `before` (of kind `type`) on the trail, then removes it from `store`. */
export async function removeAudited(
	service: Remover,
	ctx: AuditContext & { meta: { $statusCode?: number } },
	store: Store,
	type: string,
	before: Removed,
	json: unknown
): Promise<null> {
	const notes = service.store(auditOutboxName(service.name));
	const noteId = await writeNote(service, before.tenantId, [auditRemoval(ctx, type, before)]);
	if ((await store.removeMany({ _id: before._id, tenantId: before.tenantId })) === 0) {
		await notes.removeMany({ _id: noteId });
		throw new NotFoundError(entityName(type), before._id);
	}
	service.publishEvents(noteId, auditOutboxName(service.name));
	await service.saved(ctx, "removed", json);
	ctx.meta.$statusCode = 204;
	return null;
}

/** "jobOpening" → "Job opening", as a 404 names what it did not find. */
const entityName = (type: string) => {
	const words = type.replace(/[A-Z]/g, letter => ` ${letter.toLowerCase()}`);
	return words.charAt(0).toUpperCase() + words.slice(1);
};
