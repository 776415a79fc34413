/** Clicks counted in memory and added to the store once per flush: nothing lost, nothing twice. */
import { ClickCounter, type ClickDoc } from "../../lib/shorturl/click-counter";
import { type Store, createStore } from "../../lib/store";
import { loadConfig } from "../../lib/config";

async function memoryStore(): Promise<Store> {
	const store = createStore({ name: "short_link_clicks" }, loadConfig({ DATABASE_URL: "", MONGO_URI: "", DATA_DIR: "" }));
	store.init({}, { schema: {}, settings: {} });
	await store.connect();
	return store;
}

const link = { id: "link-1", tenantId: "tenant-1" };
const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

describe("ClickCounter", () => {
	it("adds each flush's counts per link and day, and counts nothing twice", async () => {
		const store = await memoryStore();
		const counter = new ClickCounter(store, () => undefined);
		for (let i = 0; i < 3; i++) counter.count(link, day("2030-01-01"));
		counter.count(link, day("2030-01-02"));
		await counter.flush();
		counter.count(link, day("2030-01-02"));
		await counter.flush();
		await counter.flush();
		const docs: ClickDoc[] = await store.find({ query: { linkId: link.id }, sort: ["day"] });
		expect(docs.map(d => [d.day, d.clicks, d.tenantId])).toEqual([
			["2030-01-01", 3, "tenant-1"],
			["2030-01-02", 2, "tenant-1"]
		]);
	});

	it("lets two counters (two nodes) add into the same documents", async () => {
		const store = await memoryStore();
		const [a, b] = [new ClickCounter(store, () => undefined), new ClickCounter(store, () => undefined)];
		for (let i = 0; i < 5; i++) a.count(link, day("2030-01-01"));
		for (let i = 0; i < 7; i++) b.count(link, day("2030-01-01"));
		await Promise.all([a.flush(), b.flush()]);
		const docs: ClickDoc[] = await store.find({ query: { linkId: link.id } });
		expect(docs.map(d => d.clicks)).toEqual([12]);
	});

	it("keeps the counts while the store fails, warns once, and stores them when it is back", async () => {
		const store = await memoryStore();
		const warnings: string[] = [];
		const counter = new ClickCounter(store, message => warnings.push(message));
		const updateMany = store.updateMany.bind(store);
		store.updateMany = () => Promise.reject(new Error("connection refused"));
		counter.count(link, day("2030-01-01"));
		await counter.flush();
		counter.count(link, day("2030-01-01"));
		await counter.flush();
		expect(warnings).toHaveLength(1);
		expect(await store.count({ query: {} })).toBe(0);
		store.updateMany = updateMany;
		counter.count(link, day("2030-01-01"));
		await counter.flush();
		const docs: ClickDoc[] = await store.find({ query: {} });
		expect(docs.map(d => d.clicks)).toEqual([3]);
	});

	it("writes what is left when it stops", async () => {
		const store = await memoryStore();
		const counter = new ClickCounter(store, () => undefined, 60_000);
		counter.start();
		counter.count(link, day("2030-01-01"));
		await counter.stop();
		expect((await store.find({ query: {} })).map((d: ClickDoc) => d.clicks)).toEqual([1]);
	});
});
