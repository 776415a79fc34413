/**
 * Helpers every data service uses for its tenant-owned documents: ids out as `id`, lookups
 * scoped to the caller's tenant (another tenant's record is as absent as a missing one).
 */
import type { Store } from "../mixins/db.mixin";
import { BusinessRuleError, NotFoundError, UnprocessableError } from "./errors";
import { isRealDate } from "./params";

export interface TenantDoc {
	_id: string;
	tenantId: string;
	createdAt: string;
	updatedAt: string;
}

export const now = (): string => new Date().toISOString();

/** `_id` becomes `id`; the tenant and any `hidden` fields stay inside. */
export function toJSON<T extends { _id: string }>(doc: T, hidden: readonly string[] = []): Record<string, unknown> & { id: string } {
	const { _id, ...rest } = doc as T & Record<string, unknown>;
	const out: Record<string, unknown> & { id: string } = { id: _id };
	for (const [key, value] of Object.entries(rest)) {
		// The outbox (events waiting to be published) is bookkeeping, never part of the answer.
		if (key !== "tenantId" && !key.startsWith("_outbox") && !hidden.includes(key)) out[key] = value;
	}
	return out;
}

export async function findInTenant<T extends TenantDoc>(store: Store, tenantId: string, id: string, entity: string): Promise<T> {
	const doc: T | null = await store.findOne({ _id: id, tenantId });
	if (!doc) throw new NotFoundError(entity, id);
	return doc;
}

/** Documents of the tenant with these ids, in one query (no N+1). */
export async function findManyInTenant<T extends TenantDoc>(store: Store, tenantId: string, ids: string[]): Promise<T[]> {
	if (ids.length === 0) return [];
	return store.find({ query: { _id: { $in: [...new Set(ids)] }, tenantId } });
}

/** Checks that a referenced document exists in the tenant; 422 naming the field when not. */
export async function requireReference(store: Store, tenantId: string, id: string, field: string, entity: string): Promise<void> {
	const found = await store.count({ query: { _id: id, tenantId } });
	if (found === 0) throw new BusinessRuleError(field, `The '${field}' field refers to no ${entity} of this company.`, "reference");
}

export function checkDate(value: string | undefined | null, field: string): void {
	if (value != null && !isRealDate(value)) throw new UnprocessableError(field, `The '${field}' field is not a real date.`, "date");
}

/** Case-insensitive "contains", safe against regular-expression syntax in the search text. */
export function containsPattern(search: string): RegExp {
	return new RegExp(search.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
}
