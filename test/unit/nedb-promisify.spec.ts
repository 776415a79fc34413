/**
 * The embedded store's writes hand util.promisify only callback-style functions. Node 24 checks
 * each call of a promisified function and warns (DEP0174) whenever the function returned a
 * promise: moleculer-db's update wrapper did, so a Node 24 node in embedded mode printed a
 * deprecation warning at every `updateMany`, scheduled jobs included
 * (patches/moleculer-db+0.8.29.patch). Node 20 has no such check, so this test makes it.
 */
import util from "node:util";
import { createNedbStore } from "../../lib/store/nedb";

describe("NeDB store and util.promisify", () => {
	const realPromisify = util.promisify;
	const returnedPromise: string[] = [];

	beforeAll(() => {
		// Node 24's own check, on every Node: did the promisified function return a promise?
		jest.spyOn(util, "promisify").mockImplementation(((fn: (...args: unknown[]) => unknown) =>
			realPromisify(function (this: unknown, ...args: unknown[]) {
				const result = fn.apply(this, args);
				if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") returnedPromise.push(fn.name || "(anonymous)");
				return result;
			})) as typeof util.promisify);
	});

	afterAll(() => jest.restoreAllMocks());

	it("updates, one and many, without a promise given to promisify, and the updates land", async () => {
		const store = createNedbStore();
		await store.connect();
		await store.insertMany([
			{ _id: "a", tenantId: "t1", status: "active" },
			{ _id: "b", tenantId: "t1", status: "active" },
			{ _id: "c", tenantId: "t2", status: "active" }
		]);

		expect(await store.updateMany({ tenantId: "t1" }, { $set: { status: "terminated" } })).toBe(2);
		expect(await store.updateById("c", { $set: { status: "onLeave" } })).toMatchObject({ _id: "c", status: "onLeave" });
		expect(await store.removeMany({ tenantId: "t1" })).toBe(2);

		expect(await store.find({ query: {} })).toEqual([expect.objectContaining({ _id: "c", status: "onLeave" })]);
		expect(util.promisify).toHaveBeenCalled();
		expect(returnedPromise).toEqual([]);
	});
});
