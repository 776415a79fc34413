/**
 * Reads that NeDB's cursors made dear, done over its documents directly, as a task on NeDB's
 * queue as a cursor is (@seald-io/nedb 4.1.2, pinned). The store contract suite runs on NeDB.
 *
 * A page and its total, in one pass. Through its cursors (page.ts's findAndCount) NeDB
 * matched every candidate twice, once for the page and once for the count, and its sort read
 * both documents' sort fields anew at each of the n log n comparisons, splitting each field's
 * name every time: that read was a third of the embedded directory's CPU. Here each candidate
 * is matched once, each match's sort keys are read once, the matches are sorted as NeDB sorts
 * them (its compareThings and compareStrings, ties in NeDB's order: a stable sort of the same
 * candidates) and only the page's documents are copied out.
 *
 * Groups (countBy, sumBy) over the stored documents themselves: a cursor copied every match
 * first (10,000 deep copies for a headcount of 10,000 employees), only to read two fields.
 */
import { model } from "./nedb-model";
import type { FindParams, Page } from "./types";

type Doc = Record<string, unknown>;

/** What a cursor of NeDB reads. */
export interface NedbCursorInternals {
	executor: { pushAsync<T>(task: () => Promise<T>): Promise<T> };
	_getCandidatesAsync(query: object): Promise<Doc[]>;
	compareStrings?: (a: string, b: string) => number;
}

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

function sorted(docs: Doc[], criteria: Criterion[], compareStrings: NedbCursorInternals["compareStrings"]): Doc[] {
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

/** The stored documents that match: never to be changed, nor kept past the task they are read in. */
async function matching(db: NedbCursorInternals, query: object): Promise<Doc[]> {
	const matches: Doc[] = [];
	for (const candidate of await db._getCandidatesAsync(query)) if (model.match(candidate, query)) matches.push(candidate);
	return matches;
}

/** `read` over the stored documents that match, on NeDB's queue; what it answers must hold no part of them. */
export function readMatching<T>(db: NedbCursorInternals, query: object, read: (docs: readonly Doc[]) => T): Promise<T> {
	return db.executor.pushAsync(async () => read(await matching(db, query)));
}

export function pageInOnePass(db: NedbCursorInternals, params: FindParams): Promise<Page> {
	const query = params.query ?? {};
	return db.executor.pushAsync(async () => {
		const matches = await matching(db, query);
		// As moleculer-db hands them to a cursor: a limit or an offset of 0 (or none) means none.
		const offset = params.offset && params.offset > 0 ? params.offset : 0;
		const limit = params.limit && params.limit > 0 ? params.limit : matches.length;
		const page = sorted(matches, criteriaOf(params.sort), db.compareStrings).slice(offset, offset + limit);
		return { docs: page.map(doc => model.deepCopy(doc)), total: matches.length };
	});
}
