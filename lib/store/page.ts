/**
 * A page and its total for a store that has no better way (NeDB, MongoDB, and PostgreSQL for
 * queries its indexes answer alone): the page first, then a count only when the page does not
 * tell the total itself. A page that is not full, and not past the end, does: a search with few
 * matches, a small team, the last page. Only a full or an empty page pays for counting.
 */
import type { FindParams, Page, Store } from "./types";

export async function findThenCount(store: Pick<Store, "find" | "count">, params: FindParams): Promise<Page> {
	const docs = await store.find(params);
	const offset = params.offset ?? 0;
	// A limit of 0 means none, as in find.
	const full = !!params.limit && docs.length >= params.limit;
	const told = !full && (docs.length > 0 || offset === 0);
	const total = told ? offset + docs.length : await store.count({ query: params.query });
	return { docs, total };
}
