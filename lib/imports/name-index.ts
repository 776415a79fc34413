/**
 * Finds records by the names a person typed into a CSV cell. A name written exactly as stored
 * wins over one that differs only in case, so "Ops" and "OPS", both allowed, are each found;
 * only a cell that matches several in the same way is ambiguous.
 */
export class NameIndex {
	private readonly exact = new Map<string, Set<string>>();
	private readonly folded = new Map<string, Set<string>>();

	/** Each record under every name it may be called by (a department: its name and its path). */
	constructor(records: Iterable<{ id: string; names: readonly string[] }>) {
		for (const { id, names } of records) {
			for (const name of names) {
				add(this.exact, name.trim(), id);
				add(this.folded, fold(name), id);
			}
		}
	}

	/** The ids the cell names: every exact match, or failing those every match ignoring case. */
	find(cell: string): string[] {
		const hits = this.exact.get(cell.trim()) ?? this.folded.get(fold(cell));
		return hits ? [...hits] : [];
	}
}

const fold = (name: string) => name.trim().toLowerCase();

function add(map: Map<string, Set<string>>, key: string, id: string): void {
	const ids = map.get(key);
	if (ids) ids.add(id);
	else map.set(key, new Set([id]));
}
