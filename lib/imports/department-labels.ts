/**
 * How a department is written in a CSV export, so that the import finds it again: its name
 * where no other department of the company has that name (in any case), else its path from the
 * top, "Engineering / Team". Names are unique only among siblings, so a path tells apart the
 * two "Team"s under different parents. The import reads either (departmentNames).
 */
export const PATH_SEPARATOR = " / ";

export interface DirectoryDepartment {
	id: string;
	name: string;
	parentId: string | null;
}

/** Each department's path from the top of the tree, its own name last. */
export function departmentPaths(departments: readonly DirectoryDepartment[]): Map<string, string> {
	const byId = new Map(departments.map(d => [d.id, d]));
	const paths = new Map<string, string>();
	for (const department of departments) {
		const names: string[] = [];
		// Stored data that loops must not hang the walk: each department once.
		const seen = new Set<string>();
		for (let at: DirectoryDepartment | undefined = department; at && !seen.has(at.id); at = at.parentId ? byId.get(at.parentId) : undefined) {
			seen.add(at.id);
			names.unshift(at.name);
		}
		paths.set(department.id, names.join(PATH_SEPARATOR));
	}
	return paths;
}

/** The label the export writes for each department: its name when unique in the company, else its path. */
export function departmentLabels(departments: readonly DirectoryDepartment[]): Map<string, string> {
	const uses = new Map<string, number>();
	for (const { name } of departments) uses.set(name.toLowerCase(), (uses.get(name.toLowerCase()) ?? 0) + 1);
	const paths = departmentPaths(departments);
	return new Map(departments.map(d => [d.id, uses.get(d.name.toLowerCase()) === 1 ? d.name : paths.get(d.id)!]));
}

/** Every name the import knows a department by: its name and its path. */
export function departmentNames(departments: readonly DirectoryDepartment[]): Array<{ id: string; names: string[] }> {
	const paths = departmentPaths(departments);
	return departments.map(d => ({ id: d.id, names: [d.name, paths.get(d.id)!] }));
}
