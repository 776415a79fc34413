/**
 * Reading CSV text as it streams in, with csv-parse (RFC 4180: quoted fields may hold commas,
 * doubled quotes and line breaks; lines end in CRLF or LF; a UTF-8 byte order mark before the
 * first field is dropped). Records come out one by one with the line of the file each starts on,
 * counted here: a line break inside a quoted field moves the next record's line on, an empty
 * line is no record but is a line. Bad CSV is a CsvSyntaxError naming the line, in words a
 * spreadsheet user can act on. test/unit/import-csv.spec.ts checks that any split of the input
 * gives the same records.
 */
import { Readable, pipeline } from "node:stream";
import { CsvError, type Options, parse } from "csv-parse";

export interface CsvRecord {
	/** The line of the file the record starts on (1 = the header). */
	line: number;
	fields: string[];
}

export class CsvSyntaxError extends Error {
	constructor(
		readonly line: number,
		message: string
	) {
		super(message);
	}
}

/** csv-parse's error codes, in a spreadsheet user's words. */
const PROBLEMS: Record<string, string> = {
	INVALID_OPENING_QUOTE: "a quote inside an unquoted field (quote the whole field and double the quote).",
	CSV_INVALID_CLOSING_QUOTE: "a quoted field goes on after its closing quote (double a quote that is part of the text).",
	CSV_QUOTE_NOT_CLOSED: "a quoted field is never closed.",
	// csv-parse's bound on one record (128,000 characters): in a real file, a quote that opens and never closes.
	CSV_MAX_RECORD_SIZE: "a record longer than 128,000 characters (a quote may be missing)."
};

/** What csv-parse tells with each record and error: the empty lines it has skipped so far. */
interface ParseInfo {
	empty_lines: number;
}

const lineBreaks = (fields: string[]) => fields.reduce((n, field) => n + (field.match(/\r\n|\n|\r/g)?.length ?? 0), 0);

/** The records of `text`, as its pieces arrive; a failure of `text` itself (too large, not UTF-8) is thrown as it is. */
export async function* readCsv(text: AsyncIterable<string> | Iterable<string>): AsyncGenerator<CsvRecord> {
	// Counted as the parser makes each record (not as they are read from it), so a syntax error
	// names the line it is on: `next` is the line after the last record, to which the empty lines
	// the parser skipped since are added. (Its own line count takes a CRLF inside a quoted field
	// for two lines.)
	let next = 1;
	let emptyBefore = 0;
	const toRecord = (fields: string[], info: ParseInfo): CsvRecord | null => {
		const start = next + info.empty_lines - emptyBefore;
		next = start + 1 + lineBreaks(fields);
		emptyBefore = info.empty_lines;
		return fields.length === 1 && fields[0] === "" ? null : { line: start, fields };
	};
	// Empty lines are skipped by the parser itself: as records, a file of nothing else (no row to
	// count against the row limit) cost seconds of a node's CPU per megabyte.
	const options: Options = {
		bom: true,
		relax_column_count: true,
		skip_empty_lines: true,
		record_delimiter: ["\r\n", "\n"],
		// csv-parse types on_record as answering a record of the input's shape; ours answers CsvRecord.
		on_record: toRecord as unknown as Options["on_record"]
	};
	const parser = parse(options);
	pipeline(Readable.from(text), parser, () => undefined);
	try {
		yield* parser as AsyncIterable<CsvRecord>;
	} catch (err) {
		if (!(err instanceof CsvError)) throw err;
		const line = next + Math.max(0, ((err as CsvError & Partial<ParseInfo>).empty_lines ?? emptyBefore) - emptyBefore);
		const problem = PROBLEMS[err.code] ?? `${err.message.replace(/ at line \d+.*$/, "")}.`;
		throw new CsvSyntaxError(line, `Line ${line}: ${problem}`);
	}
}
