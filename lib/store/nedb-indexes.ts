/**
 * NeDB re-indexes an updated document in EVERY index of its collection: a removal and an
 * insertion in each tree, even where the update left the key alone, and a removal from a key
 * that many documents share (a tenant's employees without a manager) scans them all. Most
 * updates change few indexed fields (the outbox relay's claim and clear change only the sparse
 * outbox index's), so that work is mostly wasted: on an import it was 60 % of the CPU.
 *
 * `reindexOnlyChangedKeys` has a datastore give NeDB's own update (with its rollback, the only
 * place a unique index can refuse) just the indexes whose key changed, and swap the new
 * document for the old one in place in the others. Written against @seald-io/nedb 4.1.2's internals (pinned in package.json)
 * (`indexes`, `_updateIndexes`, an index's `_fields`, `tree.search` answering its live list);
 * the store contract suite runs on NeDB and would see a mismatch.
 */
import { model } from "./nedb-model";

interface NedbTree {
	search(key: unknown): unknown[];
}
interface NedbIndex {
	_fields: string[];
	sparse: boolean;
	tree: NedbTree;
	update(oldDoc: unknown, newDoc?: unknown): void;
}
interface Pair {
	oldDoc: Record<string, unknown>;
	newDoc: Record<string, unknown>;
}
export interface NedbDatastore {
	indexes: Record<string, NedbIndex>;
	_updateIndexes(oldDoc: Pair[] | Pair["oldDoc"], newDoc?: Pair["newDoc"]): void;
}

const isPlain = (value: unknown) => value === null || value === undefined || typeof value !== "object";

const paths = new WeakMap<NedbIndex, string[][]>();
/** The index's fields as paths, split once per index rather than at every update of every document. */
function pathsOf(index: NedbIndex): string[][] {
	let split = paths.get(index);
	if (!split) paths.set(index, (split = index._fields.map(field => field.split("."))));
	return split;
}

/** The values of the index's key in the document, when they are plain values only (else undefined: not swappable). */
function plainValues(index: NedbIndex, doc: Record<string, unknown>): unknown[] | undefined {
	const split = pathsOf(index);
	const values: unknown[] = new Array(split.length);
	for (let i = 0; i < split.length; i++) {
		let value: unknown = doc;
		for (const part of split[i]) value = isPlain(value) ? undefined : (value as Record<string, unknown>)[part];
		if (!isPlain(value)) return undefined;
		values[i] = value;
	}
	return values;
}

function unchanged(index: NedbIndex, { oldDoc, newDoc }: Pair): boolean {
	const before = plainValues(index, oldDoc);
	if (!before) return false;
	const after = plainValues(index, newDoc);
	return !!after && before.every((v, i) => v === after[i]);
}

/** Puts newDoc where oldDoc was under their common key; false when oldDoc is not found there. */
function swap(index: NedbIndex, { oldDoc, newDoc }: Pair): boolean {
	const values = plainValues(index, oldDoc)!;
	// A sparse index holds no document without its field(s).
	if (index.sparse && values.every(v => v === undefined)) return true;
	const key = index._fields.length === 1 ? values[0] : Object.fromEntries(index._fields.map((f, i) => [f, values[i]]));
	const list = index.tree.search(key);
	// From the end: the documents updated soonest after their insert (the outbox relay's clear) are the last under a shared key.
	const at = list.lastIndexOf(oldDoc);
	if (at < 0) return false;
	list[at] = newDoc;
	return true;
}

export function reindexOnlyChangedKeys(db: NedbDatastore): void {
	const update = db._updateIndexes.bind(db);
	db._updateIndexes = (oldDoc, newDoc) => {
		const pairs: Pair[] = Array.isArray(oldDoc) ? oldDoc : [{ oldDoc, newDoc: newDoc! }];
		const all = db.indexes;
		const kept: NedbIndex[] = [];
		const changed: Record<string, NedbIndex> = {};
		for (const [name, index] of Object.entries(all)) {
			if (pairs.every(pair => unchanged(index, pair))) kept.push(index);
			else changed[name] = index;
		}
		db.indexes = changed;
		try {
			update(pairs);
		} finally {
			db.indexes = all;
		}
		for (const index of kept) {
			for (const pair of pairs) if (!swap(index, pair)) index.update(pair.oldDoc, pair.newDoc);
		}
	};
}

type Compare = (a: unknown, b: unknown) => number;
interface NedbIndexTrees extends NedbIndex {
	treeOptions: { compareKeys: Compare };
	getAll(): unknown[];
	reset(docs?: unknown[]): void;
}
const { compareThings } = model;
const FAST = Symbol("fastKeys");

/** Two strings, as nearly every key (part) is: the order compareThings gives them, without its checks of every other type first. */
const compareStrings = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/**
 * A compound index's keys are objects with the same fields, which NeDB compares generically:
 * both objects' field names listed and sorted at each of the dozen comparisons of every
 * insertion. Comparing the values field by field in the same (sorted) order gives the same
 * order at a fraction of the cost. A single field's keys, nearly all strings (ids, times), are
 * compared as strings first, as compareThings would after ruling out every other type. Applied
 * to each index of the datastore not yet given it, rebuilding its tree (at start, when an index
 * is made).
 */
export function compareKeysFast(db: NedbDatastore): void {
	for (const index of Object.values(db.indexes) as Array<NedbIndexTrees & { [FAST]?: true }>) {
		if (index[FAST]) continue;
		const fields = [...index._fields].sort();
		const generic = index.treeOptions.compareKeys;
		index.treeOptions.compareKeys =
			fields.length === 1
				? (a, b) => (typeof a === "string" && typeof b === "string" ? compareStrings(a, b) : generic(a, b))
				: (a, b) => {
						if (isPlain(a) || isPlain(b) || Array.isArray(a) || Array.isArray(b)) return generic(a, b);
						for (const field of fields) {
							const x = (a as Record<string, unknown>)[field];
							const y = (b as Record<string, unknown>)[field];
							const order = typeof x === "string" && typeof y === "string" ? compareStrings(x, y) : compareThings(x, y);
							if (order !== 0) return order;
						}
						return 0;
					};
		index.reset(index.getAll());
		index[FAST] = true;
	}
}

const isPlainValue = (value: unknown): value is string | number | boolean => ["string", "number", "boolean"].includes(typeof value);

/**
 * NeDB answers a `$in` only from an index of that one field: `{ tenantId, employeeNumber: { $in } }`
 * scans the whole collection (and every value of the `$in` for each document) although the
 * compound index (tenantId, employeeNumber) holds every answer. Such a query, one field matched
 * exactly and one `$in` of plain values, both of one compound index, becomes one exact lookup
 * per value, which that index answers; null for any other query.
 */
export function compoundInLookups(indexNames: readonly string[], query: object | undefined): Array<Record<string, unknown>> | null {
	const entries = Object.entries(query ?? {});
	if (entries.length !== 2) return null;
	const exact = entries.find(([key, value]) => !key.startsWith("$") && isPlainValue(value));
	const among = entries.find(([key, value]) => !key.startsWith("$") && value !== null && typeof value === "object" && Object.keys(value).join() === "$in") as
		[string, { $in: unknown }] | undefined;
	if (!exact || !among || !Array.isArray(among[1].$in) || !among[1].$in.every(isPlainValue)) return null;
	if (!indexNames.includes(`${exact[0]},${among[0]}`) && !indexNames.includes(`${among[0]},${exact[0]}`)) return null;
	return [...new Set(among[1].$in)].map(value => ({ [exact[0]]: exact[1], [among[0]]: value }));
}

interface AvlNode {
	key?: unknown;
	left: AvlNode | null;
	right: AvlNode | null;
	data: unknown[];
	unique: boolean;
	compareKeys: Compare;
	createLeftChild(options: { key: unknown; value: unknown }): AvlNode;
	createRightChild(options: { key: unknown; value: unknown }): AvlNode;
	rebalanceAlongPath(path: AvlNode[]): AvlNode;
}

/**
 * NeDB's AVL tree compares the key asked with each node's twice on the way down (once for
 * equality, once for the side), in an insertion and in a search (every lookup by id or by a
 * unique key, and each re-filing of an updated document), a fifth of an import's CPU being
 * index inserts. The same walks with one comparison per node: an index's comparison is a
 * consistent order, so compare(a, b) is 0 exactly when compare(b, a) is, and its sign tells
 * the side. Applied once to the tree class of @seald-io/binary-search-tree (pinned with NeDB);
 * the store contract suite runs on NeDB.
 */
function compareOncePerNode(): void {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const AVLTree = require("@seald-io/binary-search-tree").AVLTree as new () => { tree: AvlNode };
	const proto = Object.getPrototypeOf(new AVLTree().tree) as {
		insert(this: AvlNode, key: unknown, value: unknown): AvlNode;
		delete(this: AvlNode, key: unknown, value?: unknown): AvlNode;
		search(this: AvlNode, key: unknown): unknown[];
		[FAST]?: true;
	};
	if (proto[FAST]) return;
	proto.insert = function (this: AvlNode, key: unknown, value: unknown): AvlNode {
		if (!Object.prototype.hasOwnProperty.call(this, "key")) {
			this.key = key;
			this.data.push(value);
			(this as AvlNode & { height: number }).height = 1;
			return this;
		}
		const insertPath: AvlNode[] = [];
		// The walk down starts at the node asked, as the library's own insert does.
		// eslint-disable-next-line @typescript-eslint/no-this-alias
		let node: AvlNode = this;
		for (;;) {
			const order = node.compareKeys(key, node.key);
			if (order === 0) {
				if (node.unique) {
					const err = new Error(`Can't insert key ${JSON.stringify(key)}, it violates the unique constraint`) as Error & {
						key: unknown;
						errorType: string;
					};
					err.key = key;
					err.errorType = "uniqueViolated";
					throw err;
				}
				node.data.push(value);
				return this;
			}
			insertPath.push(node);
			if (order < 0) {
				if (!node.left) {
					insertPath.push(node.createLeftChild({ key, value }));
					break;
				}
				node = node.left;
			} else {
				if (!node.right) {
					insertPath.push(node.createRightChild({ key, value }));
					break;
				}
				node = node.right;
			}
		}
		return this.rebalanceAlongPath(insertPath);
	};

	proto.search = function (this: AvlNode, key: unknown): unknown[] {
		if (!Object.prototype.hasOwnProperty.call(this, "key")) return [];
		// eslint-disable-next-line @typescript-eslint/no-this-alias
		let node: AvlNode | null = this;
		while (node) {
			const order = node.compareKeys(key, node.key);
			if (order === 0) return node.data;
			node = order < 0 ? node.left : node.right;
		}
		return [];
	};

	// A value's removal from a key it shares (a non-unique index): the library builds a new list of
	// the others each time, so removing a batch from its common key (the outbox relay's clear of a
	// lease, 250 hires) copied the list once per document. In place instead; a key's last value,
	// and a unique index's, go as the library removes them.
	const remove = proto.delete;
	proto.delete = function (this: AvlNode, key: unknown, value?: unknown): AvlNode {
		if (value !== undefined && !this.unique) {
			const data = proto.search.call(this, key);
			if (data.length > 1) {
				const at = data.lastIndexOf(value);
				if (at >= 0) data.splice(at, 1);
				return this;
			}
		}
		return remove.call(this, key, value);
	};
	proto[FAST] = true;
}
compareOncePerNode();
