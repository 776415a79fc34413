/** Actions and events of the org context (departments, positions, locations). */
export const OrgActions = {
	/** { id } → Department, 404 when not in the caller's tenant. */
	getDepartment: "org.getDepartment",
	/** { ids } → Department[] of the caller's tenant (missing ids are left out). */
	findDepartments: "org.findDepartments",
	/** { id } → Position, 404 when not in the caller's tenant. */
	getPosition: "org.getPosition",
	/** { id } → Location, 404 when not in the caller's tenant. */
	getLocation: "org.getLocation",
	/** { ids } → Location[] of the caller's tenant (missing ids are left out). */
	findLocations: "org.findLocations",
	/** {} → OrgDirectory: every department (id, name, parentId) and position (id, title) of the caller's tenant. */
	directory: "org.directory",
	/** Internal { departmentIds, positionIds } → OrgNames of the caller's tenant, uncached (a rename shows at once). */
	names: "org.names",
	/**
	 * Internal {} → { holder }: the tenant's tree held for a write in another service that refers to
	 * a department or position, so no delete of one counts its uses meanwhile. 503 if busy for 4 s.
	 */
	holdTree: "org.holdTree",
	/** Internal { holder } → lets go of a holdTree (it runs out by itself 15 s after its claim). */
	releaseTree: "org.releaseTree"
} as const;

export interface Department {
	id: string;
	name: string;
	parentId: string | null;
	managerId: string | null;
	locationId: string | null;
	createdAt: string;
	updatedAt: string;
	/** Only on a department deleted since, as findDepartments names it for reports of the past. */
	removedAt?: string;
}

export interface Position {
	id: string;
	title: string;
	departmentId: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface Location {
	id: string;
	name: string;
	address: string | null;
	country: string | null;
	timezone: string | null;
	createdAt: string;
	updatedAt: string;
}

/** Department names and position titles by id, for rows that point at them (lib/display-names.ts). */
export interface OrgNames {
	departments: Record<string, string>;
	positions: Record<string, string>;
}

export interface OrgDirectory {
	departments: Array<{ id: string; name: string; parentId: string | null }>;
	positions: Array<{ id: string; title: string }>;
}
