/** The imports service's collections, documents and limits, shared by its parts. */
import { createHash } from "node:crypto";
import type { OutboxFields } from "../../../lib/channels/outbox";
import type { ImportRow } from "../../../lib/imports/employee-columns";
import type { AuthUser, RosterContext } from "../../../lib/meta";
import type { ImportCounts, ImportRowError, ImportStatus } from "../../../lib/names/imports";
import type { DbService } from "../../../mixins/db.mixin";
import type { OutboxMethods } from "../../../mixins/outbox.mixin";

export const IMPORTS = "imports";
/** The file's rows, CHUNK_ROWS per document, kept until the import is done: a crash resumes from them. */
export const CHUNKS = "import_chunks";
/** Each chunk's row errors, one document per chunk (written again, identically, when a chunk is redone). */
export const ERRORS = "import_errors";

export { IMPORT_MAX_BYTES as MAX_BYTES, IMPORT_MAX_ROWS as MAX_ROWS } from "../../../lib/imports/limits";
/** Rows per chunk: one channel delivery each, a few seconds of work at most. */
export const CHUNK_ROWS = 250;
/** Errors shown in GET /imports/:id; all of them are in errors.csv. */
export const ERRORS_SHOWN = 100;

export interface ImportDoc extends OutboxFields {
	_id: string;
	tenantId: string;
	status: ImportStatus;
	total: number;
	chunks: number;
	/** The chunk being processed now; chunks before it are done and counted. */
	nextChunk: number;
	processed: number;
	counts: Omit<ImportCounts, "total">;
	/** The importing user: rows are hired as them, so history names who did it. */
	actor: AuthUser;
	/** The upload's request id and client IP: each row's audit record names them, as if the rows came in that request. */
	requestId?: string | null;
	clientIp?: string | null;
	createdAt: string;
	finishedAt: string | null;
	/** The last error of the chunk being processed, kept until it succeeds: a failed import's reason. */
	lastError?: string | null;
	/** Why the import failed (status `failed`), null once a replay resumes it. */
	failure?: string | null;
}

export interface ChunkDoc {
	_id: string;
	tenantId: string;
	importId: string;
	n: number;
	rows: ImportRow[];
	/** Rows an earlier run of this chunk was about to update (imports.parts/rows.ts ChunkJournal). */
	updating?: number[];
}

export interface ErrorsDoc {
	_id: string;
	tenantId: string;
	importId: string;
	n: number;
	errors: ImportRowError[];
}

export const chunkId = (importId: string, n: number) => `${importId}:${n}`;

/**
 * The id a row's hire gets: the same for the same row of the same import, so a chunk redone after
 * a crash finds the employees it hired the first time (employees.hireWithId answers them) and
 * counts them as imported again, not as updates, and hires nobody twice.
 */
export function rowEmployeeId(importId: string, row: number): string {
	const h = createHash("sha1").update(`${importId}:${row}`).digest("hex");
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface ImportsMethods {
	processChunk(importId: string, n: number): Promise<void>;
	chunkDead(importId: string, n: number): Promise<void>;
	pushProgress(doc: ImportDoc): void;
	findImport(ctx: RosterContext, importId: string): Promise<ImportDoc>;
	errorsOf(doc: ImportDoc): Promise<ImportRowError[]>;
}

export type ImportsThis = DbService & OutboxMethods & ImportsMethods;
