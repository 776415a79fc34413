/** How departments and positions are written in a CSV export and found again by the import. */
import { NameIndex } from "../../lib/imports/name-index";
import { departmentLabels, departmentNames, departmentPaths } from "../../lib/imports/department-labels";

const tree = [
	{ id: "sales", name: "Sales", parentId: null },
	{ id: "support", name: "Support", parentId: null },
	{ id: "sales-team", name: "Team", parentId: "sales" },
	{ id: "support-team", name: "Team", parentId: "support" },
	{ id: "ops", name: "Ops", parentId: null },
	{ id: "ops-upper", name: "OPS", parentId: null }
];

describe("department labels", () => {
	it("writes a name unique in the company as it is, and one used twice (in any case) as its path", () => {
		expect(Object.fromEntries(departmentLabels(tree))).toEqual({
			sales: "Sales",
			support: "Support",
			"sales-team": "Sales / Team",
			"support-team": "Support / Team",
			ops: "Ops",
			"ops-upper": "OPS"
		});
	});

	it("writes the id of a department that neither its name nor its path names alone", () => {
		const slashed = [
			{ id: "alpha", name: "Alpha", parentId: null },
			{ id: "beta", name: "Beta", parentId: "alpha" },
			{ id: "literal", name: "Alpha / Beta", parentId: null }
		];
		expect(Object.fromEntries(departmentLabels(slashed))).toEqual({ alpha: "Alpha", beta: "Beta", literal: "literal" });
		const index = new NameIndex(departmentNames(slashed));
		expect(index.find("Alpha / Beta").sort()).toEqual(["beta", "literal"]);
		expect(index.find("literal")).toEqual(["literal"]);
	});

	it("walks a stored loop once instead of for ever", () => {
		const looped = [
			{ id: "a", name: "A", parentId: "b" },
			{ id: "b", name: "B", parentId: "a" }
		];
		expect(departmentPaths(looped).get("a")).toBe("B / A");
	});

	it("finds each department by its name or its path: written exactly first, else in any case", () => {
		const index = new NameIndex(departmentNames(tree));
		expect(index.find("Team").sort()).toEqual(["sales-team", "support-team"]);
		expect(index.find("Support / Team")).toEqual(["support-team"]);
		expect(index.find(" support / TEAM ")).toEqual(["support-team"]);
		expect(index.find("OPS")).toEqual(["ops-upper"]);
		expect(index.find("Ops")).toEqual(["ops"]);
		expect(index.find("oPs").sort()).toEqual(["ops", "ops-upper"]);
		expect(index.find("Marketing")).toEqual([]);
	});
});
