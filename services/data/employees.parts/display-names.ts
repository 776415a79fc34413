/**
 * Names on a page of directory rows: each row's department, position and manager, so a
 * directory page needs no lookup per row. One call to org for the page's departments and
 * positions, one query of our own for its managers, side by side; nothing cached, so a rename
 * shows on the next read. Everything is the caller's tenant's (both sides scope by it), and the
 * rows themselves were already filtered to what the caller may see.
 */
import { type DisplayNames, idsOf, nameOf, personName } from "../../../lib/display-names";
import type { EmployeeDoc, EmployeeListItem } from "../../../lib/employees/model";
import { findManyInTenant } from "../../../lib/entity";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { OrgActions, type OrgNames } from "../../../lib/names/org";
import type { ListResult } from "../../../lib/pagination";
import type { Store } from "../../../mixins/db.mixin";

export type NamedEmployeeRow = EmployeeListItem & {
	departmentName: string | null;
	positionTitle: string | null;
	managerName: string | null;
};

const NO_ORG_NAMES: OrgNames = { departments: {}, positions: {} };

async function managerNames(store: Store, tenantId: string, ids: string[]): Promise<DisplayNames> {
	const managers = await findManyInTenant<EmployeeDoc>(store, tenantId, ids);
	return Object.fromEntries(managers.map(m => [m._id, personName(m)]));
}

export async function withDisplayNames(ctx: RosterContext, employees: Store, page: ListResult<EmployeeListItem>): Promise<ListResult<NamedEmployeeRow>> {
	const departmentIds = idsOf(page.rows, r => r.departmentId);
	const positionIds = idsOf(page.rows, r => r.positionId);
	const [org, managers] = await Promise.all([
		departmentIds.length + positionIds.length > 0
			? ctx.call<OrgNames, { departmentIds: string[]; positionIds: string[] }>(OrgActions.names, { departmentIds, positionIds })
			: NO_ORG_NAMES,
		managerNames(
			employees,
			requireUser(ctx).tenantId,
			idsOf(page.rows, r => r.managerId)
		)
	]);
	const rows = page.rows.map(row =>
		Object.assign(row, {
			departmentName: nameOf(org.departments, row.departmentId),
			positionTitle: nameOf(org.positions, row.positionId),
			managerName: nameOf(managers, row.managerId)
		})
	);
	return { ...page, rows };
}
