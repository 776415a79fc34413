/**
 * Reports as CSV (RFC 4180): a header row, then one line per row, CRLF between lines. A field
 * holding a comma, a quote, a line break or edge spaces is quoted, its quotes doubled. A text
 * that a spreadsheet would run as a formula (leading =, +, -, @, tab or carriage return) is
 * prefixed with a single quote: department and opening names are typed by users, and an export
 * opened in a spreadsheet must not run what they typed. Numbers are written as they are.
 */
import type { RosterContext } from "../meta";

export type Cell = string | number | boolean | null | undefined;

/**
 * Text a spreadsheet would run as a formula gets a leading single quote. So does text that
 * already starts with such quotes before one of those characters: the import (and a spreadsheet)
 * drops one quote, and gets the text back as it was.
 */
const FORMULA = /^'*[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvCell(value: Cell): string {
	if (value === null || value === undefined) return "";
	if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
	let text = String(value);
	if (FORMULA.test(text)) text = `'${text}`;
	return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
	return [header, ...rows].map(row => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** Makes the answer a CSV download named `filename` (letters, digits, dots and dashes only). */
export function sendCsv(ctx: RosterContext, filename: string, csv: string): string {
	const safe = filename.replace(/[^A-Za-z0-9._-]/g, "_");
	ctx.meta.$responseHeaders = {
		...ctx.meta.$responseHeaders,
		"Content-Type": "text/csv; charset=utf-8",
		"Content-Disposition": `attachment; filename="${safe}"`
	};
	return csv;
}
