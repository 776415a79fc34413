/**
 * Names on a page of leave requests: the employee the leave is for, and the users who
 * requested and decided it, so a manager's approval queue needs no lookup per row. One call
 * to employees and one to identity per page, side by side. Employees' summaries are cached,
 * but every employee write cleans that cache; identity's names are read fresh. Both are scoped
 * to the caller's tenant, and the rows were already filtered to what the caller may see.
 */
import { type DisplayNames, idsOf, nameOf, personName } from "../../../lib/display-names";
import type { LeaveRequestJSON } from "../../../lib/leave/model";
import type { RosterContext } from "../../../lib/meta";
import { EmployeeActions, type EmployeeSummary } from "../../../lib/names/employees";
import { IdentityActions } from "../../../lib/names/identity";
import type { ListResult } from "../../../lib/pagination";

export type NamedLeaveRequest = LeaveRequestJSON & {
	employeeName: string | null;
	requestedByName: string | null;
	decidedByName: string | null;
};

async function employeeNames(ctx: RosterContext, ids: string[]): Promise<DisplayNames> {
	if (ids.length === 0) return {};
	const employees = await ctx.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids });
	return Object.fromEntries(employees.map(e => [e.id, personName(e)]));
}

async function userNames(ctx: RosterContext, ids: string[]): Promise<DisplayNames> {
	return ids.length === 0 ? {} : ctx.call<DisplayNames, { ids: string[] }>(IdentityActions.userNames, { ids });
}

export async function withDisplayNames(ctx: RosterContext, page: ListResult<LeaveRequestJSON>): Promise<ListResult<NamedLeaveRequest>> {
	const [employees, users] = await Promise.all([
		employeeNames(
			ctx,
			idsOf(page.rows, r => r.employeeId)
		),
		userNames(ctx, [...new Set([...idsOf(page.rows, r => r.requestedBy), ...idsOf(page.rows, r => r.decidedBy)])])
	]);
	const rows = page.rows.map(row =>
		Object.assign(row, {
			employeeName: nameOf(employees, row.employeeId),
			requestedByName: nameOf(users, row.requestedBy),
			decidedByName: nameOf(users, row.decidedBy)
		})
	);
	return { ...page, rows };
}
