/**
 * What every adapter's countBy shares: the check of the grouped fields, and the grouping
 * itself for a backend that counts in this process (NeDB, whose data lives here anyway).
 */
import type { CountByRow } from "./types";

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** At least one field, each a plain (dotted) name; "count" would collide with the count itself. */
export function checkGroupFields(fields: readonly string[]): void {
	if (fields.length === 0) throw new Error("countBy needs at least one field");
	for (const field of fields) {
		if (!FIELD.test(field) || field === "count") throw new Error(`countBy cannot group by '${field}'`);
	}
}

function valueAt(doc: Record<string, unknown>, field: string): unknown {
	let value: unknown = doc;
	for (const part of field.split(".")) value = (value as Record<string, unknown> | null | undefined)?.[part];
	return value ?? null;
}

/** The groups of `docs` by the fields' values, a missing value counted as null. */
export function groupCounts(docs: Array<Record<string, unknown>>, fields: readonly string[]): CountByRow[] {
	const groups = new Map<string, CountByRow>();
	for (const doc of docs) {
		const values = fields.map(field => valueAt(doc, field));
		const key = JSON.stringify(values);
		const group = groups.get(key);
		if (group) group.count += 1;
		else groups.set(key, { ...Object.fromEntries(fields.map((field, i) => [field, values[i]])), count: 1 });
	}
	return [...groups.values()];
}
