/** What the org context answers: departments (also as a tree), positions and locations. */
import { arrayOf, closed, nullableStr, str, timestamp } from "../schemas";

const department = { id: str, name: str, parentId: nullableStr, managerId: nullableStr, locationId: nullableStr, createdAt: timestamp, updatedAt: timestamp };

export const Department = closed(department);

/** A department with its sub-departments, nested; named in the document's components, as it refers to itself. */
export const DepartmentTreeNode = closed({ ...department, children: arrayOf({ $ref: "#/components/schemas/DepartmentTreeNode" }) });

export const DepartmentTree = arrayOf({ $ref: "#/components/schemas/DepartmentTreeNode" });

export const Position = closed({ id: str, title: str, departmentId: nullableStr, createdAt: timestamp, updatedAt: timestamp });

export const Location = closed({
	id: str,
	name: str,
	address: nullableStr,
	country: nullableStr,
	timezone: nullableStr,
	createdAt: timestamp,
	updatedAt: timestamp
});
