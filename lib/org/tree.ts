/** The department tree's rules, on plain data so they are easy to test. */

export interface TreeNode {
	id: string;
	parentId: string | null;
}

/**
 * True when making `parentId` the parent of `id` would close a loop: the new parent is the
 * department itself or one of its descendants.
 */
export function wouldCycle(nodes: readonly TreeNode[], id: string, parentId: string | null): boolean {
	const parentOf = new Map(nodes.map(n => [n.id, n.parentId]));
	const seen = new Set<string>();
	for (let at = parentId; at !== null && at !== undefined; at = parentOf.get(at) ?? null) {
		if (at === id) return true;
		// Stored data that already loops must not hang the walk.
		if (seen.has(at)) return true;
		seen.add(at);
	}
	return false;
}

export type Nested<T> = T & { children: Nested<T>[] };

/** Nests nodes under their parents, roots first; a node whose parent is missing becomes a root. */
export function nest<T extends TreeNode>(nodes: readonly T[]): Nested<T>[] {
	const byId = new Map<string, Nested<T>>(nodes.map(n => [n.id, { ...n, children: [] }]));
	const roots: Nested<T>[] = [];
	for (const node of byId.values()) {
		const parent = node.parentId ? byId.get(node.parentId) : undefined;
		if (parent) parent.children.push(node);
		else roots.push(node);
	}
	return roots;
}
