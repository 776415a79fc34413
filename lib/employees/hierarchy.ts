/**
 * Walks of the reporting line. The storage is passed in as a loader, so the walks are plain
 * code that unit tests drive with a map, and the service runs one query per level of the tree
 * (a whole level of managers at once), never one per employee.
 */

export type ReportDepth = "direct" | "all";

export interface ReportLink {
	id: string;
	managerId: string | null;
}

/** Employees whose manager is one of `managerIds` (one query). */
export type LoadReports = (managerIds: string[]) => Promise<ReportLink[]>;

/** The manager of one employee, or null when they have none or do not exist (one query). */
export type LoadManager = (id: string) => Promise<string | null>;

/** Ids of the employees under `rootId`: direct reports only, or the whole subtree level by level. */
export async function collectReports(rootId: string, depth: ReportDepth, loadReports: LoadReports): Promise<string[]> {
	const found: string[] = [];
	// The root counts as seen, so stored data that loops back to it ends the walk.
	const seen = new Set<string>([rootId]);
	let level = [rootId];
	while (level.length > 0) {
		const next: string[] = [];
		for (const link of await loadReports(level)) {
			if (seen.has(link.id)) continue;
			seen.add(link.id);
			found.push(link.id);
			next.push(link.id);
		}
		if (depth === "direct") break;
		level = next;
	}
	return found;
}

/** True when `employeeId` is under `managerId` at any depth, walking up the line from the employee. */
export async function isUnder(managerId: string, employeeId: string, loadManager: LoadManager): Promise<boolean> {
	if (managerId === employeeId) return false;
	const seen = new Set<string>([employeeId]);
	for (let up = await loadManager(employeeId); up !== null; up = await loadManager(up)) {
		if (up === managerId) return true;
		// A line that already loops must not hang the walk.
		if (seen.has(up)) return false;
		seen.add(up);
	}
	return false;
}

/**
 * True when giving `employeeId` the manager `managerId` would close a loop: the manager is the
 * employee themself, or someone under them at any depth.
 */
export async function wouldCycle(employeeId: string, managerId: string | null, loadManager: LoadManager): Promise<boolean> {
	if (managerId === null) return false;
	if (managerId === employeeId) return true;
	return isUnder(employeeId, managerId, loadManager);
}
