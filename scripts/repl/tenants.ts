/**
 * The REPL's `tenants`: every company with how much it holds, each count the `total` its list
 * action answers to staff of that company (a page of one row), so it counts what the API shows.
 */
import type { ServiceBroker } from "moleculer";
import { systemCaller } from "../../lib/meta";
import { IdentityActions, type TenantSummary } from "../../lib/names";

/** What is counted, and the list action that counts it. */
const COUNTED: Array<[label: string, action: string]> = [
	["users", "identity.listUsers"],
	["employees", "employees.list"],
	["departments", "org.listDepartments"],
	["openings", "recruitment.listOpenings"],
	["candidates", "recruitment.listCandidates"],
	["leave requests", "leave.listRequests"]
];

export interface TenantCounts extends TenantSummary {
	/** By label; null where the count could not be had (no node serves the list, or it failed). */
	counts: Record<string, number | null>;
}

export async function countTenants(broker: ServiceBroker): Promise<TenantCounts[]> {
	const tenants = await broker.call<TenantSummary[], object>(IdentityActions.tenantList, {});
	const result: TenantCounts[] = [];
	// One company at a time: a cluster with many of them is not flooded by one command.
	for (const tenant of tenants) {
		const totals = await Promise.all(
			COUNTED.map(([, action]) =>
				broker
					.call<{ total: number }, object>(action, { pageSize: 1 }, { meta: systemCaller(tenant.id) })
					.then(page => page.total)
					.catch(() => null)
			)
		);
		result.push({ ...tenant, counts: Object.fromEntries(COUNTED.map(([label], i) => [label, totals[i]])) });
	}
	return result;
}

export function describeTenants(tenants: TenantCounts[]): string {
	if (tenants.length === 0) return "No companies yet.";
	const header = ["id", "name", "created", ...COUNTED.map(([label]) => label)];
	const rows = tenants.map(t => [t.id, t.name, t.createdAt.slice(0, 10), ...COUNTED.map(([label]) => String(t.counts[label] ?? "?"))]);
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
	return [header, ...rows]
		.map(r =>
			r
				.map((cell, i) => cell.padEnd(widths[i]))
				.join("  ")
				.trimEnd()
		)
		.join("\n");
}

export async function tenantsCommand(broker: ServiceBroker): Promise<string> {
	return describeTenants(await countTenants(broker));
}
