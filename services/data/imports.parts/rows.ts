/**
 * Importing one chunk of rows through the employees service's own actions (hireMany, hireWithId,
 * update), so history, employment spells and employees.changed events are exactly those of a
 * hire or an edit by the importing user. The rows to hire go in one hireMany call per wave.
 *
 * Matching: a row whose employee number is on record (else whose work email is) updates that
 * employee with the row's non-empty cells, or is skipped when they change nothing; any other row
 * is a hire. Department (by name), position (by title) and manager (by employee number or work
 * email) must exist: an unknown one is that row's error, never a creation.
 */
import type { ServiceBroker } from "moleculer";
import type { Employee } from "../../../lib/employees/model";
import { FIELD_COLUMNS, type ImportRow } from "../../../lib/imports/employee-columns";
import { NameIndex } from "../../../lib/imports/name-index";
import { keysOf, managerKey } from "../../../lib/imports/row-order";
import { departmentLabels, departmentNames } from "../../../lib/imports/department-labels";
import type { AuthUser } from "../../../lib/meta";
import { EmployeeActions, type ImportCounts, type ImportRowError, OrgActions, type OrgDirectory } from "../../../lib/names";
import { rowEmployeeId } from "./shared";

/** Rows of a chunk imported at once: each is a few awaited calls, so a chunk is latency-bound, not CPU-bound. */
const ROW_CONCURRENCY = 16;

/**
 * The chunk's rows in waves that may each run in parallel and give the result of running them
 * one by one in the chunk's order (dependency order, lib/imports/row-order.ts): a row waits for an
 * earlier row with the same number or email (the later one updates what the earlier hired) and
 * for the row that hires its manager.
 */
export function waves(rows: ImportRow[]): ImportRow[][] {
	const out: ImportRow[][] = [];
	let pending = rows;
	while (pending.length > 0) {
		const claimed = new Set<string>();
		const ready: ImportRow[] = [];
		const later: ImportRow[] = [];
		const pendingKeys = new Set(pending.flatMap(keysOf));
		for (const row of pending) {
			const keys = keysOf(row);
			const manager = managerKey(row);
			const blocked = keys.some(k => claimed.has(k)) || (manager !== undefined && pendingKeys.has(manager) && !keys.includes(manager));
			keys.forEach(k => claimed.add(k));
			(blocked ? later : ready).push(row);
		}
		// Only a cycle of managers blocks every row: they run (and fail on the manager) in file order.
		if (ready.length === 0) return [...out, ...later.map(row => [row])];
		out.push(ready);
		pending = later;
	}
	return out;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < items.length) await work(items[next++]);
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export type ChunkCounts = Omit<ImportCounts, "total">;

/** A row to hire, with the fields of its hire (under the row's own id). */
interface Hire {
	row: number;
	fields: Record<string, string>;
}
/** A row that changes the employee it matches. */
interface Update {
	row: number;
	id: string;
	changes: Record<string, string>;
}

/**
 * What a chunk's earlier, unfinished run did that its outcome cannot show: the rows it was about
 * to update, written down before the updates. A redone chunk finds those employees unchanged by
 * the row (the update happened) and counts them updated, as a clean run would, not skipped.
 * (A hire needs no journal: its row's own id says it was this row's.)
 */
export interface ChunkJournal {
	updated: ReadonlySet<number>;
	willUpdate(rows: number[]): Promise<void>;
}

/** A row's own error, as opposed to a failure of the system (which retries the chunk). */
class RowError extends Error {
	constructor(
		readonly field: string,
		reason: string
	) {
		super(reason);
	}
}

/** The import's column for a field the employees service names in its errors. */
const COLUMN_OF: Record<string, string> = { departmentId: "department", positionId: "position", managerId: "manager" };

const UPDATABLE = [...FIELD_COLUMNS, "departmentId", "positionId", "managerId"] as const;

/** The errors of a refused call, per field; undefined when it is not the row's fault (4xx). */
function rowErrorsOf(row: number, err: unknown): ImportRowError[] | undefined {
	const e = err as { code?: number; type?: string; message?: string; data?: unknown };
	if (typeof e?.code !== "number" || e.code < 400 || e.code >= 500) return undefined;
	if (Array.isArray(e.data) && e.data.length > 0) {
		return (e.data as Array<{ field?: string; message?: string }>).map(d => ({
			row,
			field: COLUMN_OF[d.field ?? ""] ?? d.field ?? "row",
			reason: d.message ?? e.message ?? "invalid"
		}));
	}
	const field = (e.data as { field?: string } | undefined)?.field;
	return [{ row, field: field ? (COLUMN_OF[field] ?? field) : "row", reason: e.message ?? "refused" }];
}

export async function importRows(
	broker: ServiceBroker,
	importId: string,
	opts: { meta: { user: AuthUser; clientIp?: string }; requestID?: string },
	rows: ImportRow[],
	journal: ChunkJournal
): Promise<{ counts: ChunkCounts; errors: ImportRowError[] }> {
	const directory: OrgDirectory = await broker.call(OrgActions.directory, {}, opts);
	const departments = new NameIndex(departmentNames(directory.departments));
	const positions = new NameIndex(directory.positions.map(p => ({ id: p.id, names: [p.title] })));
	const departmentLabel = departmentLabels(directory.departments);

	const numbers = new Set<string>();
	const emails = new Set<string>();
	for (const { cells } of rows) {
		if (cells.employeeNumber) numbers.add(cells.employeeNumber);
		if (cells.workEmail) emails.add(cells.workEmail.toLowerCase());
		if (cells.manager?.includes("@")) emails.add(cells.manager.toLowerCase());
		else if (cells.manager) numbers.add(cells.manager);
	}
	const known: Employee[] = await broker.call(EmployeeActions.matchForImport, { employeeNumbers: [...numbers], workEmails: [...emails] }, opts);
	const byNumber = new Map(known.map(e => [e.employeeNumber, e]));
	const byEmail = new Map(known.map(e => [e.workEmail, e]));
	const remember = (e: Employee) => {
		byNumber.set(e.employeeNumber, e);
		byEmail.set(e.workEmail, e);
	};

	const counts: ChunkCounts = { imported: 0, updated: 0, skipped: 0, failed: 0 };
	const errors: ImportRowError[] = [];

	const resolve = (index: NameIndex, column: string, value: string | undefined, what: string, hint?: (ids: string[]) => string): string | undefined => {
		if (value === undefined) return undefined;
		const found = index.find(value);
		if (found.length === 0) throw new RowError(column, `No ${what} '${value}' in this company.`);
		if (found.length > 1) throw new RowError(column, `Several ${what}s are named '${value}'.${hint ? ` ${hint(found)}` : ""}`);
		return found[0];
	};
	const labelHint = (ids: string[]) =>
		`Write the one meant as ${ids
			.map(id => `'${departmentLabel.get(id)}'`)
			.sort()
			.join(" or ")}.`;

	/** Skips a row that matches an employee and changes nothing; one to update or hire is added to `updates` or `hires`. */
	const importOne = async ({ row, cells }: ImportRow, updates: Update[], hires: Hire[]): Promise<void> => {
		try {
			const fields: Record<string, string> = {};
			for (const key of FIELD_COLUMNS) if (cells[key] !== undefined) fields[key] = cells[key]!;
			const departmentId = resolve(departments, "department", cells.department, "department", labelHint);
			const positionId = resolve(positions, "position", cells.position, "position");
			if (departmentId) fields.departmentId = departmentId;
			if (positionId) fields.positionId = positionId;
			if (cells.manager) {
				const manager = cells.manager.includes("@") ? byEmail.get(cells.manager.toLowerCase()) : byNumber.get(cells.manager);
				if (!manager) throw new RowError("manager", `No employee with the number or work email '${cells.manager}'.`);
				fields.managerId = manager.id;
			}

			const ownId = rowEmployeeId(importId, row);
			const existing =
				(cells.employeeNumber && byNumber.get(cells.employeeNumber)) || (cells.workEmail && byEmail.get(cells.workEmail.toLowerCase())) || undefined;
			if (existing?.id === ownId) {
				// Hired by this very row before a crash: the redone chunk counts it once, as before.
				counts.imported++;
				return;
			}
			if (existing) {
				const changes: Record<string, string> = {};
				for (const key of UPDATABLE) {
					const value = fields[key];
					if (value === undefined) continue;
					const current = (existing as unknown as Record<string, unknown>)[key];
					if (key === "workEmail" ? String(current).toLowerCase() !== value.toLowerCase() : current !== value) changes[key] = value;
				}
				if (Object.keys(changes).length > 0) updates.push({ row, id: existing.id, changes });
				// Updated by this very row before a crash: the redone chunk counts it as the first run did.
				else if (journal.updated.has(row)) counts.updated++;
				else counts.skipped++;
				return;
			}
			hires.push({ row, fields: { id: ownId, ...fields } });
		} catch (err) {
			failed(row, err);
		}
	};

	const failed = (row: number, err: unknown) => {
		const own = err instanceof RowError ? [{ row, field: err.field, reason: err.message }] : rowErrorsOf(row, err);
		if (!own) throw err;
		counts.failed++;
		errors.push(...own);
	};

	/** The wave's hires in one call; when it refuses them (some row's fault), one by one to tell which. */
	const hireAll = async (wave: Hire[]): Promise<void> => {
		if (wave.length === 0) return;
		try {
			const hired: Employee[] = await broker.call(EmployeeActions.hireMany, { employees: wave.map(h => h.fields) }, opts);
			hired.forEach(remember);
			counts.imported += hired.length;
			return;
		} catch (err) {
			if (!rowErrorsOf(0, err)) throw err;
		}
		await inParallel(wave, ROW_CONCURRENCY, async ({ row, fields }) => {
			try {
				remember(await broker.call(EmployeeActions.hireWithId, fields, opts));
				counts.imported++;
			} catch (err) {
				failed(row, err);
			}
		});
	};

	/** The wave's updates, journaled first (see ChunkJournal). */
	const updateAll = async (wave: Update[]): Promise<void> => {
		if (wave.length === 0) return;
		await journal.willUpdate(wave.map(u => u.row));
		await inParallel(wave, ROW_CONCURRENCY, async ({ row, id, changes }) => {
			try {
				remember(await broker.call(EmployeeActions.update, { id, ...changes }, opts));
				counts.updated++;
			} catch (err) {
				failed(row, err);
			}
		});
	};

	for (const wave of waves(rows)) {
		const updates: Update[] = [];
		const hires: Hire[] = [];
		await inParallel(wave, ROW_CONCURRENCY, row => importOne(row, updates, hires));
		await updateAll(updates);
		await hireAll(hires.sort((a, b) => a.row - b.row));
	}
	errors.sort((a, b) => a.row - b.row);
	return { counts, errors };
}
