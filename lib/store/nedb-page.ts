/**
 * A page and its total from NeDB in one pass. Through its cursors (page.ts's findAndCount) NeDB
 * matched every candidate twice, once for the page and once for the count, and its sort read
 * both documents' sort fields anew at each of the n log n comparisons, splitting each field's
 * name every time: that read was a third of the embedded directory's CPU. Here each candidate
 * is matched once, each match's sort keys are read once, the matches are sorted as NeDB sorts
 * them (its compareThings and compareStrings, ties in NeDB's order: a stable sort of the same
 * candidates) and only the page's documents are copied out. It runs as a task on NeDB's queue,
 * as a cursor does (@seald-io/nedb 4.1.2, pinned). The store contract suite runs on NeDB.
 */
import type { FindParams, Page } from "./types";

type Doc = Record<string, unknown>;

/** What a cursor of NeDB reads. */
export interface NedbPageInternals {
	executor: { pushAsync<T>(task: () => Promise<T>): Promise<T> };
	_getCandidatesAsync(query: object): Promise<Doc[]>;
	compareStrings?: (a: string, b: string) => number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const model = require("@seald-io/nedb/lib/model.js") as {
	match(doc: object, query: object): boolean;
	deepCopy<T>(doc: T): T;
	getDotValue(doc: object, field: string): unknown;
	compareThings(a: unknown, b: unknown, compareStrings?: (a: string, b: string) => number): number;
};

interface Criterion {
	field: string;
	direction: 1 | -1;
}

interface Keyed {
	doc: Doc;
	keys: unknown[];
}

/** moleculer-db's sort list ("lastName", "-hireDate") as NeDB's criteria, in order. */
const criteriaOf = (sort: string[] | undefined): Criterion[] =>
	(sort ?? []).map(field => (field.startsWith("-") ? { field: field.slice(1), direction: -1 } : { field, direction: 1 }));

function sorted(docs: Doc[], criteria: Criterion[], compareStrings: NedbPageInternals["compareStrings"]): Doc[] {
	if (criteria.length === 0) return docs;
	const keyed: Keyed[] = docs.map(doc => ({ doc, keys: criteria.map(c => model.getDotValue(doc, c.field)) }));
	keyed.sort((a, b) => {
		for (let i = 0; i < criteria.length; i++) {
			const order = criteria[i].direction * model.compareThings(a.keys[i], b.keys[i], compareStrings);
			if (order !== 0) return order;
		}
		return 0;
	});
	return keyed.map(entry => entry.doc);
}

export function pageInOnePass(db: NedbPageInternals, params: FindParams): Promise<Page> {
	const query = params.query ?? {};
	return db.executor.pushAsync(async () => {
		const matches: Doc[] = [];
		for (const candidate of await db._getCandidatesAsync(query)) if (model.match(candidate, query)) matches.push(candidate);
		// As moleculer-db hands them to a cursor: a limit or an offset of 0 (or none) means none.
		const offset = params.offset && params.offset > 0 ? params.offset : 0;
		const limit = params.limit && params.limit > 0 ? params.limit : matches.length;
		const page = sorted(matches, criteriaOf(params.sort), db.compareStrings).slice(offset, offset + limit);
		return { docs: page.map(doc => model.deepCopy(doc)), total: matches.length };
	});
}
