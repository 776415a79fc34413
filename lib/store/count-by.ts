/**
 * What every adapter's countBy shares: the check of the grouped fields, and the grouping
 * itself for a backend that counts in this process (NeDB, whose data lives here anyway).
 */
import type { CountByRow, SumByRow } from "./types";

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** At least one field, each a plain (dotted) name; "count" would collide with the count itself. */
export function checkGroupFields(fields: readonly string[]): void {
	if (fields.length === 0) throw new Error("countBy needs at least one field");
	for (const field of fields) {
		if (!FIELD.test(field) || field === "count") throw new Error(`countBy cannot group by '${field}'`);
	}
}

/** A path to a number: names, with array positions after the first part ("monthDays.0"). */
const SUM_FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|[0-9]+))*$/;

/** The grouped fields as countBy checks them, and at least one summed field, each a path to a number. */
export function checkSumFields(fields: readonly string[], sums: readonly string[]): void {
	checkGroupFields(fields);
	if (sums.length === 0) throw new Error("sumBy needs at least one field to sum");
	for (const sum of sums) {
		if (!SUM_FIELD.test(sum)) throw new Error(`sumBy cannot sum '${sum}'`);
	}
}

/**
 * A group's own copy of a grouped value: NeDB groups its stored documents themselves, which
 * nothing handed out may share.
 */
const own = (value: unknown) => (value !== null && typeof value === "object" ? structuredClone(value) : value);

function valueAt(doc: Record<string, unknown>, field: string): unknown {
	let value: unknown = doc;
	for (const part of field.split(".")) value = (value as Record<string, unknown> | null | undefined)?.[part];
	return value ?? null;
}

/** The groups of `docs` by the fields' values, a missing value counted as null. */
export function groupCounts(docs: ReadonlyArray<Record<string, unknown>>, fields: readonly string[]): CountByRow[] {
	const groups = new Map<string, CountByRow>();
	for (const doc of docs) {
		const values = fields.map(field => valueAt(doc, field));
		const key = JSON.stringify(values);
		const group = groups.get(key);
		if (group) group.count += 1;
		else groups.set(key, { ...Object.fromEntries(fields.map((field, i) => [field, own(values[i])])), count: 1 });
	}
	return [...groups.values()];
}

/** The groups of `docs` with the totals of the summed fields (NeDB: the documents are here anyway). */
export function groupSums(docs: ReadonlyArray<Record<string, unknown>>, fields: readonly string[], sums: readonly string[]): SumByRow[] {
	const groups = new Map<string, SumByRow>();
	for (const doc of docs) {
		const values = fields.map(field => valueAt(doc, field));
		const key = JSON.stringify(values);
		let group = groups.get(key);
		if (!group) {
			group = {
				...Object.fromEntries(fields.map((field, i) => [field, own(values[i])])),
				count: 0,
				sums: Object.fromEntries(sums.map(sum => [sum, 0]))
			} as SumByRow;
			groups.set(key, group);
		}
		group.count += 1;
		for (const sum of sums) {
			const value = valueAt(doc, sum);
			if (typeof value === "number" && Number.isFinite(value)) group.sums[sum] += value;
		}
	}
	return [...groups.values()];
}
