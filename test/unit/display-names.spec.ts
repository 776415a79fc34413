/**
 * Names on a page of rows come from one batch read per kind, whatever the page's size: never
 * one call per row (the N+1 that a directory or approval-queue page would otherwise cost).
 */
import type { EmployeeDoc, EmployeeListItem } from "../../lib/employees/model";
import type { LeaveRequestJSON } from "../../lib/leave/model";
import type { RosterContext } from "../../lib/meta";
import { EmployeeActions, IdentityActions, OrgActions } from "../../lib/names";
import type { ListResult } from "../../lib/pagination";
import type { Store } from "../../mixins/db.mixin";
import { withDisplayNames as employeeRowNames } from "../../services/data/employees.parts/display-names";
import { withDisplayNames as leaveRowNames } from "../../services/data/leave.parts/display-names";

const TENANT = "t-1";

function page<T>(rows: T[]): ListResult<T> {
	return { rows, total: rows.length, page: 1, pageSize: 20, totalPages: 1 };
}

/** A context whose calls answer from `answers` by action name, and remember what was asked. */
function fakeContext(answers: Record<string, (params: Record<string, string[]>) => unknown>) {
	const calls: Array<{ action: string; params: Record<string, string[]> }> = [];
	const ctx = {
		meta: { user: { id: "u-0", tenantId: TENANT, roles: ["hr"], employeeId: null, sessionId: "s" } },
		call: async (action: string, params: Record<string, string[]>) => {
			calls.push({ action, params });
			return answers[action](params);
		}
	} as unknown as RosterContext;
	return { ctx, calls };
}

describe("display names on rows", () => {
	it("leave requests: one call for the page's employees and one for its users, each id asked once", async () => {
		const request = (n: number, employeeId: string, requestedBy: string, decidedBy: string | null) =>
			({ id: `r-${n}`, employeeId, requestedBy, decidedBy }) as LeaveRequestJSON;
		const rows = Array.from({ length: 20 }, (_, n) => request(n, `e-${n % 3}`, `u-${n % 2}`, n % 4 === 0 ? "u-9" : null));
		const { ctx, calls } = fakeContext({
			[EmployeeActions.summaries]: ({ ids }) => ids.filter((id: string) => id !== "e-2").map((id: string) => ({ id, firstName: "Ann", lastName: id })),
			[IdentityActions.userNames]: ({ ids }) => Object.fromEntries(ids.map((id: string) => [id, `User ${id}`]))
		});

		const named = await leaveRowNames(ctx, page(rows));

		expect(calls.map(c => c.action).sort()).toEqual([EmployeeActions.summaries, IdentityActions.userNames].sort());
		expect(calls.find(c => c.action === EmployeeActions.summaries)!.params.ids.sort()).toEqual(["e-0", "e-1", "e-2"]);
		expect(calls.find(c => c.action === IdentityActions.userNames)!.params.ids.sort()).toEqual(["u-0", "u-1", "u-9"]);
		expect(named.rows.slice(0, 3).map(r => [r.employeeName, r.requestedByName, r.decidedByName])).toEqual([
			["Ann e-0", "User u-0", "User u-9"],
			["Ann e-1", "User u-1", null],
			// An employee no longer there (another tenant's, or removed) names nobody.
			[null, "User u-0", null]
		]);
	});

	it("employees: one call to org for departments and positions, one query for managers; an empty page asks nothing", async () => {
		const row = (n: number) =>
			({ id: `e-${n}`, departmentId: `d-${n % 2}`, positionId: n % 5 === 0 ? null : "p-1", managerId: `m-${n % 3}` }) as EmployeeListItem;
		const queries: unknown[] = [];
		const store = {
			find: async (q: { query: { _id: { $in: string[] } } }) => {
				queries.push(q.query);
				return q.query._id.$in.map(id => ({ _id: id, firstName: "Max", lastName: id }) as EmployeeDoc);
			}
		} as unknown as Store;
		const { ctx, calls } = fakeContext({
			[OrgActions.names]: ({ departmentIds, positionIds }) => ({
				departments: Object.fromEntries(departmentIds.map((id: string) => [id, `Dept ${id}`])),
				positions: Object.fromEntries(positionIds.map((id: string) => [id, `Pos ${id}`]))
			})
		});

		const named = await employeeRowNames(ctx, store, page(Array.from({ length: 20 }, (_, n) => row(n))));

		expect(calls).toEqual([{ action: OrgActions.names, params: { departmentIds: ["d-0", "d-1"], positionIds: ["p-1"] } }]);
		expect(queries).toEqual([{ _id: { $in: ["m-0", "m-1", "m-2"] }, tenantId: TENANT }]);
		expect(named.rows.slice(0, 2).map(r => [r.departmentName, r.positionTitle, r.managerName])).toEqual([
			["Dept d-0", null, "Max m-0"],
			["Dept d-1", "Pos p-1", "Max m-1"]
		]);

		const none = fakeContext({});
		queries.length = 0;
		expect((await employeeRowNames(none.ctx, store, page([]))).rows).toEqual([]);
		expect([none.calls, queries]).toEqual([[], []]);
	});
});
