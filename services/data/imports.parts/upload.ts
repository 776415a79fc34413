/**
 * Reading an uploaded file: the body streams in, is decoded as UTF-8 (a BOM or not), parsed as
 * CSV record by record (csv-parse, lib/imports/csv-reader.ts), lines of nothing but empty cells
 * skipped as empty lines are, checked against the documented
 * bounds as it goes, put in dependency order (lib/imports/row-order.ts) and cut into chunks of
 * rows. Nothing is stored until the whole file has been read and found sound, so a refused upload
 * changes nothing.
 */
import type { Readable } from "node:stream";
import { PayloadTooLargeError, UnprocessableError } from "../../../lib/errors";
import { CsvSyntaxError, readCsv } from "../../../lib/imports/csv-reader";
import { type EmployeeColumn, type ImportRow, readHeader, readRow } from "../../../lib/imports/employee-columns";
import { inDependencyOrder } from "../../../lib/imports/row-order";
import { CHUNK_ROWS, MAX_BYTES, MAX_ROWS } from "./shared";

export interface ReadFile {
	chunks: ImportRow[][];
	total: number;
}

export async function readUpload(body: Readable): Promise<ReadFile> {
	let columns: EmployeeColumn[] | null = null;
	const rows: ImportRow[] = [];
	let total = 0;
	try {
		for await (const record of readCsv(decoded(body))) {
			// A line of empty cells (",,,": a spreadsheet's formatted but empty rows) is no row, as an empty line is not.
			if (record.fields.every(cell => cell.trim() === "")) continue;
			if (!columns) {
				columns = readHeader(record);
				continue;
			}
			if (++total > MAX_ROWS)
				throw new PayloadTooLargeError(`The file has more than ${MAX_ROWS} rows: split it into several imports.`, { limit: MAX_ROWS, unit: "rows" });
			rows.push(readRow(columns, record));
		}
	} catch (err) {
		// The rest of the body is not wanted: read and dropped, so a client still sending gets the
		// answer rather than a broken connection (the gateway's request timeout bounds it).
		body.resume?.();
		if (err instanceof CsvSyntaxError) throw new UnprocessableError("file", err.message, "csv");
		// Node's TextDecoder says so by its code; `instanceof TypeError` misses it from another realm (jest's vm).
		if (
			(err as { code?: string } | null)?.code === "ERR_ENCODING_INVALID_ENCODED_DATA" ||
			(err instanceof TypeError && /decode|encoding/i.test(err.message))
		)
			throw new UnprocessableError("file", "The file is not valid UTF-8 text: save it as CSV UTF-8.", "encoding");
		throw err;
	}
	if (!columns) throw new UnprocessableError("file", "The file is empty: it needs a header row naming the columns.", "empty");
	if (total === 0) throw new UnprocessableError("file", "The file has a header row but no rows to import.", "noRows");
	// A row's manager may be hired further down the file: a chunk can wait for its own rows, not a later chunk's.
	const ordered = inDependencyOrder(rows);
	const chunks = Array.from({ length: Math.ceil(ordered.length / CHUNK_ROWS) }, (_, n) => ordered.slice(n * CHUNK_ROWS, (n + 1) * CHUNK_ROWS));
	return { chunks, total };
}

/** The body as UTF-8 text (strictly: a byte that is not UTF-8 fails), refused past MAX_BYTES. */
async function* decoded(body: Readable): AsyncGenerator<string> {
	const decoder = new TextDecoder("utf-8", { fatal: true });
	let bytes = 0;
	for await (const piece of body) {
		const buffer = typeof piece === "string" ? Buffer.from(piece) : (piece as Buffer);
		bytes += buffer.length;
		if (bytes > MAX_BYTES)
			throw new PayloadTooLargeError(`The file is larger than ${MAX_BYTES} bytes (10 MB): split it into several imports.`, {
				limit: MAX_BYTES,
				unit: "bytes"
			});
		const text = decoder.decode(buffer, { stream: true });
		if (text) yield text;
	}
	const rest = decoder.decode();
	if (rest) yield rest;
}
