/**
 * A page and its total for a store that has no better way (MongoDB, and PostgreSQL for
 * queries its indexes answer alone): the page and the count at once, as two queries side by
 * side. Counting costs what there is to count, so a small result (a rare search, a team, a
 * filter) costs little either way; for the whole directory the count is the longer of the two,
 * and running it beside the page, not after it, keeps the answer at the longer one.
 */
import type { FindParams, Page, Store } from "./types";

export async function findAndCount(store: Pick<Store, "find" | "count">, params: FindParams): Promise<Page> {
	const [docs, total] = await Promise.all([store.find(params), store.count({ query: params.query })]);
	return { docs, total };
}
