/**
 * List parameters and the moleculer-db list shape { rows, total, page, pageSize, totalPages },
 * shared by every data service's list actions. Sorting is limited to the fields a service names.
 */
import type { Store, StoredDoc } from "./store";
import { UnprocessableError } from "./errors";

export const MAX_PAGE_SIZE = 100;
/** Far past any real list, and small enough that the offset stays an exact integer a database takes. */
export const MAX_PAGE = 1_000_000;

export const listParams = {
	page: { type: "number", integer: true, min: 1, max: MAX_PAGE, optional: true, convert: true },
	pageSize: { type: "number", integer: true, min: 1, max: MAX_PAGE_SIZE, optional: true, convert: true },
	sort: { type: "string", optional: true, max: 200 }
} as const;

export interface ListParams {
	page?: number;
	pageSize?: number;
	sort?: string;
}

export interface ListResult<T> {
	rows: T[];
	total: number;
	page: number;
	pageSize: number;
	totalPages: number;
}

/** "-createdAt,name" → ["-createdAt", "name"], each checked against the allowed fields. */
export function parseSort(sort: string | undefined, allowed: readonly string[], fallback: string): string[] {
	const fields = (sort ?? fallback)
		.split(",")
		.map(s => s.trim())
		.filter(Boolean);
	for (const field of fields) {
		const name = field.startsWith("-") ? field.slice(1) : field;
		if (!allowed.includes(name)) {
			throw new UnprocessableError("sort", `'${name}' is not a sortable field; use one of ${allowed.join(", ")}`, "sortField");
		}
	}
	return fields;
}

export async function paginate<T>(store: Store, query: object, params: ListParams, sort: string[], toJSON: (doc: StoredDoc) => T): Promise<ListResult<T>> {
	const page = params.page ?? 1;
	const pageSize = params.pageSize ?? 20;
	const { docs, total } = await store.page({ query, sort, limit: pageSize, offset: (page - 1) * pageSize });
	return { rows: docs.map(toJSON), total, page, pageSize, totalPages: Math.ceil(total / pageSize) };
}
