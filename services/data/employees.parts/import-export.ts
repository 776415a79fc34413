/**
 * The employees side of the bulk import and its export counterpart: the import looks up, in
 * one query per batch, the employees a file's rows name (by number or work email); the export
 * streams the directory the caller may see as CSV, in the import's columns (lib/imports/employee-columns.ts),
 * so an exported file imports back unchanged.
 */
import { Readable } from "node:stream";
import type { ServiceSchema } from "moleculer";
import { type Employee, type EmployeeDoc, employeeJSON } from "../../../lib/employees/model";
import { EMPLOYEE_COLUMNS } from "../../../lib/imports/employee-columns";
import { type RosterContext, isStaff, requireUser } from "../../../lib/meta";
import { OrgActions, type OrgDirectory } from "../../../lib/names/org";
import { csvCell, type Cell } from "../../../lib/reports/csv";
import { departmentLabels } from "../../../lib/imports/department-labels";
import type { DbService } from "../../../mixins/db.mixin";
import { csv } from "../../../lib/openapi/responses";

interface MatchParams {
	employeeNumbers: string[];
	workEmails: string[];
}

type PartThis = DbService & { visibleIds(ctx: RosterContext): Promise<string[] | null> };

/** Employees per page of the export: bounded memory whatever the tenant's size. */
const EXPORT_PAGE = 1000;
const keys = { type: "array", items: { type: "string", max: 254 }, max: 2000 } as const;

const csvLine = (cells: Cell[]) => cells.map(csvCell).join(",") + "\r\n";

export const ImportExportPart: Partial<ServiceSchema> = {
	actions: {
		/** Internal { employeeNumbers, workEmails } → the tenant's employees (with every field) that have one of them. */
		matchForImport: {
			visibility: "public",
			params: { employeeNumbers: keys, workEmails: keys },
			async handler(this: PartThis, ctx: RosterContext<MatchParams>): Promise<Employee[]> {
				const { tenantId } = requireUser(ctx);
				const { employeeNumbers, workEmails } = ctx.params;
				// Two queries rather than one `$or`: each is answered from its unique index (tenantId, field) on every backend.
				const [byNumber, byEmail]: EmployeeDoc[][] = await Promise.all([
					employeeNumbers.length > 0 ? this.adapter.find({ query: { tenantId, employeeNumber: { $in: employeeNumbers } } }) : [],
					workEmails.length > 0 ? this.adapter.find({ query: { tenantId, workEmail: { $in: workEmails.map(e => e.toLowerCase()) } } }) : []
				]);
				const found = new Map([...byNumber, ...byEmail].map(doc => [doc._id, doc]));
				return [...found.values()].map(doc => employeeJSON(doc, true));
			}
		},

		/**
		 * The directory the caller may see as a CSV download (staff: everyone; a manager: self and
		 * team; others: self), streamed a page at a time. National ids never leave this way; the
		 * birth date and home address only for staff and in the caller's own row, as on GET /employees/:id.
		 */
		exportCsv: {
			rest: "GET /employees/export.csv",
			openapi: { responses: { 200: csv("Every employee of the company, one row each") } },
			auth: {},
			params: { $$strict: true },
			async handler(this: PartThis, ctx: RosterContext): Promise<Readable> {
				const actor = requireUser(ctx);
				const { tenantId } = actor;
				const seesPrivate = (e: EmployeeDoc) => isStaff(actor) || e._id === actor.employeeId;
				const visible = await this.visibleIds(ctx);
				const query: Record<string, unknown> = visible ? { tenantId, _id: { $in: visible } } : { tenantId };
				const directory: OrgDirectory = await ctx.call(OrgActions.directory, {});
				// Written so that the import finds each again: a name used twice in the company as its path.
				const departments = departmentLabels(directory.departments);
				const positions = new Map(directory.positions.map(p => [p.id, p.title]));
				const store = this.adapter;
				// Managers by number (they may lie outside the caller's view: only the number is written).
				const managerNumbers = new Map<string, string>();
				async function* lines(): AsyncGenerator<string> {
					yield csvLine([...EMPLOYEE_COLUMNS]);
					// Each page goes on from the last number written (numbers are unique in a company), not from an
					// offset: employees hired meanwhile with lower numbers (an import's) pushed rows already written
					// onto the next page, and the file held them twice.
					for (let after: string | null = null; ;) {
						const page: EmployeeDoc[] = await store.find({
							query: after === null ? query : { ...query, employeeNumber: { $gt: after } },
							sort: ["employeeNumber", "_id"],
							limit: EXPORT_PAGE
						});
						const unknown = [...new Set(page.map(e => e.managerId).filter((m): m is string => !!m && !managerNumbers.has(m)))];
						if (unknown.length > 0) {
							const managers: EmployeeDoc[] = await store.find({ query: { tenantId, _id: { $in: unknown } } });
							for (const m of managers) managerNumbers.set(m._id, m.employeeNumber);
						}
						let chunk = "";
						for (const e of page) {
							chunk += csvLine([
								e.employeeNumber,
								e.firstName,
								e.lastName,
								e.workEmail,
								e.phone,
								seesPrivate(e) ? e.birthDate : null,
								seesPrivate(e) ? e.homeAddress : null,
								e.hireDate,
								e.employmentType,
								e.departmentId ? departments.get(e.departmentId) : null,
								e.positionId ? positions.get(e.positionId) : null,
								e.managerId ? managerNumbers.get(e.managerId) : null
							]);
						}
						if (chunk) yield chunk;
						if (page.length < EXPORT_PAGE) return;
						after = page[page.length - 1].employeeNumber;
					}
				}
				ctx.meta.$responseHeaders = {
					...ctx.meta.$responseHeaders,
					"Content-Type": "text/csv; charset=utf-8",
					"Content-Disposition": 'attachment; filename="employees.csv"'
				};
				return Readable.from(lines());
			}
		}
	}
};
