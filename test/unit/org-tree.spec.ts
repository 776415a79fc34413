import { nest, wouldCycle } from "../../lib/org/tree";

const tree = [
	{ id: "root", parentId: null },
	{ id: "eng", parentId: "root" },
	{ id: "web", parentId: "eng" },
	{ id: "ops", parentId: "root" }
];

describe("department tree", () => {
	it("refuses to put a department under itself or any descendant", () => {
		expect(wouldCycle(tree, "eng", "eng")).toBe(true);
		expect(wouldCycle(tree, "eng", "web")).toBe(true);
		expect(wouldCycle(tree, "root", "web")).toBe(true);
	});

	it("allows moves elsewhere, and to the top", () => {
		expect(wouldCycle(tree, "web", "ops")).toBe(false);
		expect(wouldCycle(tree, "eng", null)).toBe(false);
		expect(wouldCycle(tree, "ops", "web")).toBe(false);
	});

	it("stops on data that already loops", () => {
		expect(
			wouldCycle(
				[
					{ id: "a", parentId: "b" },
					{ id: "b", parentId: "a" }
				],
				"c",
				"a"
			)
		).toBe(true);
	});

	it("nests children under their parents", () => {
		const [root] = nest(tree);
		expect(root.id).toBe("root");
		expect(root.children.map(c => c.id).sort()).toEqual(["eng", "ops"]);
		expect(root.children.find(c => c.id === "eng")!.children.map(c => c.id)).toEqual(["web"]);
	});
});
