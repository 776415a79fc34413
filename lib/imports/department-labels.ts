/**
 * How a department is written in a CSV export, so that the import finds it again: its name
 * where that names it alone, else its path from the top, "Engineering / Team". Names are unique
 * only among siblings, so a path tells apart the two "Team"s under different parents. The import
 * reads either (departmentNames).
 */
import { NameIndex } from "./name-index";

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

/** Every name the import knows a department by: its name, its path and its id. */
export function departmentNames(departments: readonly DirectoryDepartment[]): Array<{ id: string; names: string[] }> {
	const paths = departmentPaths(departments);
	return departments.map(d => ({ id: d.id, names: [d.name, paths.get(d.id)!, d.id] }));
}

/**
 * The label the export writes for each department: the first of its name, its path and its id
 * that the import finds it by alone. The id is left for names that hold the separator themselves
 * ("Alpha / Beta" beside Beta under Alpha).
 */
export function departmentLabels(departments: readonly DirectoryDepartment[]): Map<string, string> {
	const known = departmentNames(departments);
	const index = new NameIndex(known);
	return new Map(known.map(({ id, names }) => [id, names.find(label => only(index.find(label), id))!]));
}

const only = (ids: string[], id: string) => ids.length === 1 && ids[0] === id;
