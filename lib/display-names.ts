/**
 * Display names on rows that point at people or org units (an employee's department, a leave
 * request's decider), so a list page needs no lookup per row. Every list resolves one page's
 * names in one batch call per kind, never one call per row, and never from a cache that a
 * rename would leave stale.
 */

/** id → the name to show, for the ids a batch asked about that exist in the caller's tenant. */
export type DisplayNames = Record<string, string>;

/** The distinct ids a page of rows points at through `pick`, nulls left out. */
export function idsOf<T>(rows: readonly T[], pick: (row: T) => string | null | undefined): string[] {
	const ids = new Set<string>();
	for (const row of rows) {
		const id = pick(row);
		if (id) ids.add(id);
	}
	return [...ids];
}

/** How a person reads on a row: first and last name. */
export function personName(person: { firstName: string; lastName: string }): string {
	return `${person.firstName} ${person.lastName}`;
}

/** The name of `id` in `names`; null when the row points at nothing, or at nothing that is left. */
export function nameOf(names: DisplayNames, id: string | null | undefined): string | null {
	return id ? (names[id] ?? null) : null;
}
