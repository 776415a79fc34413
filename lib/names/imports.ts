/** Actions and events of the imports context (bulk employee import). */
export const ImportActions = {
	/** Published POST /imports/employees (a raw text/csv body, streamed; the gateway's upload route). → { id, status } (202). */
	uploadEmployees: "imports.uploadEmployees",
	/** Published GET /imports/:id → ImportJSON. */
	get: "imports.get"
} as const;

export const ImportEvents = {
	/** { importId, chunk }: process chunk `chunk` of the import (the next one is published when it is done). */
	chunk: "imports.chunk",
	/** ImportFinishedEvent: every row was processed. */
	finished: "imports.finished"
} as const;

export type ImportStatus = "queued" | "running" | "done" | "failed";

export interface ImportCounts {
	total: number;
	imported: number;
	updated: number;
	skipped: number;
	failed: number;
}

/** One row that was not imported: the file's line, the column at fault (or "row"), why. */
export interface ImportRowError {
	row: number;
	field: string;
	reason: string;
}

export interface ImportJSON {
	id: string;
	status: ImportStatus;
	counts: ImportCounts;
	/** How many rows have been processed so far. */
	processed: number;
	/** The first errors (all of them in GET /imports/:id/errors.csv). */
	errors: ImportRowError[];
	errorsTruncated: boolean;
	createdBy: string;
	createdAt: string;
	finishedAt: string | null;
	/**
	 * Why a `failed` import stopped (null otherwise): a chunk that failed every retry, its rows,
	 * and the last error. Replaying its dead letter (POST /admin/dead-letters/:id/replay) resumes it.
	 */
	failure: string | null;
}

export interface ImportFinishedEvent {
	importId: string;
	/** The importing user, who is told. */
	userId: string;
	counts: ImportCounts;
}
