/**
 * The columns of an employee import and export, one file shape for both: a file exported from
 * Roster imports back unchanged. Department and position are named (a department by name, a
 * position by title) and the manager by employee number or work email, so a file written by
 * hand never holds an id.
 */
import { UnprocessableError } from "../errors";
import type { CsvRecord } from "./csv-reader";

/** The columns that are the employee's fields as they are. */
export const FIELD_COLUMNS = [
	"employeeNumber",
	"firstName",
	"lastName",
	"workEmail",
	"phone",
	"birthDate",
	"homeAddress",
	"hireDate",
	"employmentType"
] as const;

/** The columns that name a record: resolved to its id on import (departmentId, positionId, managerId). */
export const NAMED_COLUMNS = ["department", "position", "manager"] as const;

export const EMPLOYEE_COLUMNS = [...FIELD_COLUMNS, ...NAMED_COLUMNS] as const;
export type EmployeeColumn = (typeof EMPLOYEE_COLUMNS)[number];

/** A hire needs these; the others may be absent from the file or empty in a row. */
export const REQUIRED_COLUMNS: readonly EmployeeColumn[] = ["firstName", "lastName", "workEmail", "hireDate"];

/** One row of a file: its line and the non-empty cells by column. */
export interface ImportRow {
	row: number;
	cells: Partial<Record<EmployeeColumn, string>>;
}

/** Where each column is in the file; a 422 naming the header cell that is unknown, doubled or missing. */
export function readHeader(record: CsvRecord | undefined): Array<EmployeeColumn> {
	if (!record) throw new UnprocessableError("file", "The file is empty: it needs a header row naming the columns.", "empty");
	const byLower = new Map(EMPLOYEE_COLUMNS.map(c => [c.toLowerCase(), c]));
	const columns = record.fields.map(cell => {
		const column = byLower.get(cell.trim().toLowerCase());
		if (!column)
			throw new UnprocessableError(
				"header",
				`Unknown column '${cell.trim().slice(0, 50)}': the columns are ${EMPLOYEE_COLUMNS.join(", ")}.`,
				"unknownColumn"
			);
		return column;
	});
	const doubled = columns.find((c, i) => columns.indexOf(c) !== i);
	if (doubled) throw new UnprocessableError("header", `The column '${doubled}' appears twice.`, "duplicateColumn");
	const missing = REQUIRED_COLUMNS.find(c => !columns.includes(c));
	if (missing) throw new UnprocessableError("header", `The header has no '${missing}' column (required: ${REQUIRED_COLUMNS.join(", ")}).`, "missingColumn");
	return columns;
}

/**
 * Roster's own CSV export guards text a spreadsheet would run as a formula with a leading single
 * quote, and adds one more to text already quoted so (lib/reports/csv.ts); reading it back drops
 * that one quote again.
 */
const GUARDED_FORMULA = /^'+[=+\-@\t\r]/;

/**
 * A row with text beyond the header's last column is refused with the file (422 naming its line):
 * most often an unquoted comma (an address) that has moved the row's later cells one column on,
 * and importing it would silently drop what no column holds. Empty cells past the header (the
 * trailing commas a spreadsheet writes) are no text, and are let through.
 */
export function readRow(columns: readonly EmployeeColumn[], record: CsvRecord): ImportRow {
	if (record.fields.length > columns.length && record.fields.slice(columns.length).some(cell => cell.trim() !== "")) {
		throw new UnprocessableError(
			"file",
			`Line ${record.line}: ${record.fields.length} cells, but the header names ${columns.length} columns (quote a cell that holds a comma).`,
			"columnCount"
		);
	}
	const cells: ImportRow["cells"] = {};
	columns.forEach((column, i) => {
		let value = (record.fields[i] ?? "").trim();
		if (GUARDED_FORMULA.test(value)) value = value.slice(1);
		if (value !== "") cells[column] = value;
	});
	return { row: record.line, cells };
}
