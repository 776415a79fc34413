import { type ReportLink, collectReports, isUnder, wouldCycle } from "../../lib/employees/hierarchy";

// ceo ← cto ← (dev1 ← intern, dev2); ceo ← cfo
const line: ReportLink[] = [
	{ id: "ceo", managerId: null },
	{ id: "cto", managerId: "ceo" },
	{ id: "cfo", managerId: "ceo" },
	{ id: "dev1", managerId: "cto" },
	{ id: "dev2", managerId: "cto" },
	{ id: "intern", managerId: "dev1" }
];

/** Loaders over plain data that count their queries, as the service's storage would see them. */
function storage(links: ReportLink[]) {
	const queries: string[][] = [];
	return {
		queries,
		loadReports: async (managerIds: string[]) => {
			queries.push(managerIds);
			return links.filter(l => l.managerId !== null && managerIds.includes(l.managerId));
		},
		loadManager: async (id: string) => {
			queries.push([id]);
			return links.find(l => l.id === id)?.managerId ?? null;
		}
	};
}

describe("reporting line", () => {
	it("collects direct reports with one query", async () => {
		const s = storage(line);
		expect((await collectReports("cto", "direct", s.loadReports)).sort()).toEqual(["dev1", "dev2"]);
		expect(s.queries).toEqual([["cto"]]);
	});

	it("collects the whole subtree with one query per level, not per employee", async () => {
		const s = storage(line);
		expect((await collectReports("ceo", "all", s.loadReports)).sort()).toEqual(["cfo", "cto", "dev1", "dev2", "intern"]);
		// ceo; cto+cfo; dev1+dev2; intern (finds nobody and ends the walk)
		expect(s.queries.map(q => q.sort())).toEqual([["ceo"], ["cfo", "cto"], ["dev1", "dev2"], ["intern"]]);
	});

	it("finds no reports under a leaf or an unknown employee", async () => {
		expect(await collectReports("intern", "all", storage(line).loadReports)).toEqual([]);
		expect(await collectReports("ghost", "all", storage(line).loadReports)).toEqual([]);
	});

	it("stops on stored data that already loops", async () => {
		const loop = [
			{ id: "a", managerId: "b" },
			{ id: "b", managerId: "a" }
		];
		expect(await collectReports("a", "all", storage(loop).loadReports)).toEqual(["b"]);
		expect(await isUnder("x", "a", storage(loop).loadManager)).toBe(false);
	});

	it("knows who is under whom, at any depth, walking up", async () => {
		const s = storage(line);
		expect(await isUnder("ceo", "intern", s.loadManager)).toBe(true);
		expect(await isUnder("cto", "dev2", s.loadManager)).toBe(true);
		expect(await isUnder("cfo", "intern", s.loadManager)).toBe(false);
		expect(await isUnder("intern", "ceo", s.loadManager)).toBe(false);
		expect(await isUnder("ceo", "ceo", s.loadManager)).toBe(false);
		expect(await isUnder("ceo", "ghost", s.loadManager)).toBe(false);
	});

	it("refuses a manager who is the employee or anyone under them", async () => {
		const { loadManager } = storage(line);
		expect(await wouldCycle("cto", "cto", loadManager)).toBe(true);
		expect(await wouldCycle("cto", "dev1", loadManager)).toBe(true);
		expect(await wouldCycle("ceo", "intern", loadManager)).toBe(true);
	});

	it("allows managers sideways, upwards and none at all", async () => {
		const { loadManager } = storage(line);
		expect(await wouldCycle("intern", "dev2", loadManager)).toBe(false);
		expect(await wouldCycle("dev1", "cfo", loadManager)).toBe(false);
		expect(await wouldCycle("intern", "ceo", loadManager)).toBe(false);
		expect(await wouldCycle("cto", null, loadManager)).toBe(false);
	});
});
