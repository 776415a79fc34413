/**
 * A streaming CSV reader (RFC 4180): text goes in piece by piece as it arrives, complete
 * records come out. Quoted fields may hold commas, doubled quotes and line breaks; lines end in
 * CRLF or LF; a UTF-8 byte order mark before the first field is dropped.
 *
 * Written here rather than csv-parse (a kept parser, the better choice, not installed when this
 * was written; swapping it in changes this class only): the smallest reader that covers what
 * spreadsheets write, keeping at most one unfinished record in memory. test/unit/import-csv.spec.ts
 * checks that any split of the input gives the same records.
 */

export interface CsvRecord {
	/** The line of the file the record starts on (1 = the header). */
	line: number;
	fields: string[];
}

export class CsvSyntaxError extends Error {
	constructor(readonly line: number, message: string) {
		super(message);
	}
}

export class CsvReader {
	private field = "";
	private fields: string[] = [];
	private inQuotes = false;
	/** A quote seen inside a quoted field: either the closing one or the first of a doubled pair. */
	private quotePending = false;
	private started = false;
	private line = 1;
	private recordLine = 1;
	private lastWasCr = false;
	/** Whether the current record has any content yet (an empty line is no record). */
	private dirty = false;

	/** Reads `text` and answers the records it completed. */
	push(text: string): CsvRecord[] {
		const out: CsvRecord[] = [];
		let start = 0;
		if (!this.started && text.length > 0) {
			this.started = true;
			if (text.charCodeAt(0) === 0xfeff) start = 1;
		}
		for (let i = start; i < text.length; i++) {
			const c = text[i];
			if (this.lastWasCr) {
				this.lastWasCr = false;
				if (c === "\n") {
					// The LF of a CRLF: part of a quoted field's text, or the end of the line already counted.
					if (this.inQuotes && !this.quotePending) this.field += c;
					if (!this.inQuotes || !this.quotePending) continue;
				}
			}
			if (this.inQuotes) {
				if (this.quotePending) {
					this.quotePending = false;
					if (c === '"') {
						this.field += '"';
						continue;
					}
					this.inQuotes = false;
					// Fall through: the character after the closing quote ends the field or the record.
				} else {
					if (c === '"') this.quotePending = true;
					else {
						if (c === "\n" || c === "\r") this.line++;
						if (c === "\r") this.lastWasCr = true;
						this.field += c;
					}
					continue;
				}
			}
			if (c === ",") {
				this.fields.push(this.field);
				this.field = "";
				this.dirty = true;
			} else if (c === "\n" || c === "\r") {
				if (c === "\r") this.lastWasCr = true;
				this.endRecord(out);
				this.line++;
				this.recordLine = this.line;
			} else if (c === '"' && this.field === "") {
				this.inQuotes = true;
				this.dirty = true;
			} else if (c === '"') {
				throw new CsvSyntaxError(this.line, `Line ${this.line}: a quote inside an unquoted field (quote the whole field and double the quote).`);
			} else {
				this.field += c;
				this.dirty = true;
			}
		}
		return out;
	}

	/** The end of the input: the last record, if the file did not end with a line break. */
	end(): CsvRecord[] {
		if (this.inQuotes && !this.quotePending) throw new CsvSyntaxError(this.recordLine, `Line ${this.recordLine}: a quoted field is never closed.`);
		this.inQuotes = false;
		this.quotePending = false;
		const out: CsvRecord[] = [];
		this.endRecord(out);
		return out;
	}

	private endRecord(out: CsvRecord[]): void {
		if (this.quotePending) {
			this.quotePending = false;
			this.inQuotes = false;
		}
		if (this.dirty || this.field !== "") {
			this.fields.push(this.field);
			out.push({ line: this.recordLine, fields: this.fields });
		}
		this.fields = [];
		this.field = "";
		this.dirty = false;
	}
}
