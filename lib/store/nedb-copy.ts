/**
 * NeDB's deep copy, giving objects V8 keeps in fast mode. NeDB copies a document into a new `{}`
 * one key at a time (`res[k] = …`), and V8 turns an object grown by more than a dozen such keyed
 * stores into a dictionary: every stored employee (22 fields) was one, so was every copy a read
 * returned, and each field read from them took the slow path. On Node 24, which the image runs,
 * that copy alone was 6 % of the one-process node's time under GET /api/v1/employees/:id
 * (docs/benchmarks.md, "Fast stored documents"). A spread copies an object's own fields in one step
 * and keeps the result fast, and copying a fast object that way is cheap.
 */
import { model } from "./nedb-model";

type Doc = Record<string, unknown>;

const nedbDeepCopy = model.deepCopy;

/**
 * NeDB's `deepCopy(value)`: strings, numbers, booleans, null and Dates as they are, arrays and
 * objects copied all the way down, anything else undefined. (`strictKeys`, which only an upsert's
 * query uses, stays NeDB's.)
 */
export function deepCopy<T>(value: T): T {
	if (value === null || typeof value !== "object") return copyScalar(value);
	if (value instanceof Date) return value;
	if (Array.isArray(value)) return value.map(deepCopy) as T;
	const copy: Doc = { ...(value as Doc) };
	for (const key in copy) {
		const field = copy[key];
		if (typeof field === "object" ? field !== null && !(field instanceof Date) : !isScalar(field)) copy[key] = deepCopy(field);
	}
	return copy as T;
}

const isScalar = (value: unknown): boolean => typeof value === "string" || typeof value === "number" || typeof value === "boolean";

const copyScalar = <T>(value: T): T => (value === null || isScalar(value) ? value : (undefined as T));

/**
 * A document as the store keeps it: its own fields in a fast object. Only the top level is
 * copied; a nested object has too few fields to turn into a dictionary.
 */
export const asStored = <T extends object>(doc: T): T => ({ ...doc });

/** NeDB and the store's NeDB files copy documents with `deepCopy` above from here on. */
export function copyDocumentsFast(): void {
	model.deepCopy = ((value: unknown, strictKeys?: boolean) => (strictKeys ? nedbDeepCopy(value, strictKeys) : deepCopy(value))) as typeof model.deepCopy;
}
