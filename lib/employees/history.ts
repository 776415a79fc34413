/**
 * What an employee's history records about a change: each changed field with its old and new
 * value, except sensitive fields, whose values never reach the history (only that they changed).
 */
import { SENSITIVE_FIELDS } from "./model";

/** The employees service's collection of history entries. */
export const HISTORY = "employee_history";

export const HISTORY_TYPES = ["hired", "updated", "transferred", "terminated", "rehired"] as const;
export type HistoryType = (typeof HISTORY_TYPES)[number];

export type FieldChange = { from: unknown; to: unknown } | { redacted: true };
export type Changes = Record<string, FieldChange>;

export interface HistoryEntry {
	id: string;
	employeeId: string;
	type: HistoryType;
	changes: Changes;
	effectiveDate: string;
	/** The user who made the change. */
	by: string;
	at: string;
}

/** A history entry as stored. */
export interface HistoryDoc extends Omit<HistoryEntry, "id"> {
	_id: string;
	tenantId: string;
}

const isSensitive = (field: string): boolean => (SENSITIVE_FIELDS as readonly string[]).includes(field);

/**
 * The fields of `next` whose value differs from `current` (a missing value counts as null).
 * Fields `next` does not mention are unchanged, so a partial update diffs only what it sets.
 */
export function diffFields(current: object, next: object): Changes {
	const before = current as Readonly<Record<string, unknown>>;
	const changes: Changes = {};
	for (const [field, value] of Object.entries(next)) {
		if (value === undefined) continue;
		const from = before[field] ?? null;
		const to = value ?? null;
		if (from === to) continue;
		changes[field] = isSensitive(field) ? { redacted: true } : { from, to };
	}
	return changes;
}

/** The part of a full diff that may be written to the record: the new values, sensitive included. */
export function changedValues<T extends object>(current: T, next: Partial<T>): Partial<T> {
	const out: Partial<T> = {};
	for (const [field, value] of Object.entries(next) as [keyof T, T[keyof T]][]) {
		if (value !== undefined && (current[field] ?? null) !== (value ?? null)) out[field] = value;
	}
	return out;
}
