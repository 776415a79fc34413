/**
 * The order an import runs its rows in. A row names its manager by employee number or work email,
 * and the row that hires that manager may come anywhere in the file: a chunk's rows wait for it
 * (waves, services/data/imports.parts/rows.ts), but a chunk cannot wait for a later chunk. So the
 * rows are put in dependency order before they are cut into chunks: after the rows that hire or
 * change their manager, and after the earlier rows with their own number or email (a later one
 * updates what an earlier one hired). Otherwise they keep their order in the file. Where managers
 * form a loop, one of its edges is passed over: the rows still come once each, and the check of
 * reporting lines refuses the row that would close the loop.
 */
import type { ImportRow } from "./employee-columns";

/** The keys a row is matched by: its employee number and its work email. */
export const keysOf = ({ cells }: ImportRow): string[] =>
	[cells.employeeNumber && `#${cells.employeeNumber}`, cells.workEmail && `@${cells.workEmail.toLowerCase()}`].filter((k): k is string => !!k);

/** The key of the row's manager, as keysOf would write it for the manager's own row. */
export const managerKey = ({ cells }: ImportRow): string | undefined =>
	cells.manager ? (cells.manager.includes("@") ? `@${cells.manager.toLowerCase()}` : `#${cells.manager}`) : undefined;

/** The rows, each after those it depends on; a topological sort that visits the rows in file order. */
export function inDependencyOrder(rows: readonly ImportRow[]): ImportRow[] {
	const lastWith = new Map<string, number>();
	// Each row's dependencies: the row before it with each of its keys, and the last row with its manager's key.
	const before: number[][] = rows.map((row, i) => {
		const deps: number[] = [];
		for (const key of keysOf(row)) {
			const previous = lastWith.get(key);
			if (previous !== undefined) deps.push(previous);
			lastWith.set(key, i);
		}
		return deps;
	});
	rows.forEach((row, i) => {
		const manager = managerKey(row);
		const last = manager === undefined ? undefined : lastWith.get(manager);
		if (last !== undefined && last !== i) before[i].push(last);
	});

	// Depth first, without recursion (a chain of 50,000 managers would overflow the stack).
	const state = new Uint8Array(rows.length); // 0 unseen, 1 on the path, 2 placed
	const ordered: ImportRow[] = [];
	for (let start = 0; start < rows.length; start++) {
		if (state[start] !== 0) continue;
		const path: Array<{ index: number; next: number }> = [{ index: start, next: 0 }];
		state[start] = 1;
		while (path.length > 0) {
			const top = path[path.length - 1];
			const dep = before[top.index][top.next++];
			if (dep === undefined) {
				state[top.index] = 2;
				ordered.push(rows[top.index]);
				path.pop();
			} else if (state[dep] === 0) {
				// A dependency on the path already is a loop: that edge is passed over.
				state[dep] = 1;
				path.push({ index: dep, next: 0 });
			}
		}
	}
	return ordered;
}
