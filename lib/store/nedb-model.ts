/**
 * NeDB's document model (@seald-io/nedb 4.1.2, pinned): matching, copying, comparing and
 * modifying documents, as its cursors and datastore do. The store's NeDB files read it here,
 * typed once; nedb.ts replaces `modify` on this very module object, which NeDB itself calls.
 */
type Doc = Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const model = require("@seald-io/nedb/lib/model.js") as {
	match(doc: object, query: object): boolean;
	deepCopy<T>(doc: T, strictKeys?: boolean): T;
	modify(doc: Doc, update: Doc): Doc;
	getDotValue(doc: object, field: string): unknown;
	compareThings(a: unknown, b: unknown, compareStrings?: (a: string, b: string) => number): number;
};
