/**
 * The storage contract every data service relies on, run on every backend that can run here:
 * NeDB always, PostgreSQL when it answers (always in CI), MongoDB whenever MONGO_URI is set.
 * A backend is done when it passes this same suite.
 */
import { ServiceBroker } from "moleculer";
import { type Config, loadConfig } from "../../lib/config";
import { ConflictError } from "../../lib/errors";
import { createStore } from "../../lib/store";
import { ActionTimeouts } from "../../lib/action-timeouts";
import { claimLease, withLease } from "../../lib/store/lease";
import { claimShared, releaseShared, withOwnedLease, withSharedLease } from "../../lib/store/shared-lease";
import type { SumByRow } from "../../lib/store/types";
import { type DbService, DbMixin } from "../../mixins/db.mixin";
import { describeWith } from "../support/external";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

const suffix = Date.now().toString(36);

function storageContract(backend: string, makeConfig: () => Config, cleanUp: () => Promise<void> = async () => undefined): void {
	describe(`db mixin on ${backend}`, () => {
		const cfg = makeConfig();
		const broker = new ServiceBroker({ logger: false, cacher: "Memory" });
		const service = broker.createService({
			name: "things",
			mixins: [
				DbMixin(
					"things",
					{ name: `things_${suffix}`, indexes: [{ fields: { code: 1 }, unique: true }] },
					[
						{ name: `parts_${suffix}`, indexes: [{ fields: { serial: 1 }, unique: true }] },
						{ name: `staff_${suffix}`, indexes: [{ fields: { tenantId: 1, number: 1 }, unique: true }] },
						{
							// On PostgreSQL, queries read indexed fields from columns of their own (text for strings, jsonb for age), the others from the document.
							name: `people_${suffix}`,
							arrays: ["tags"],
							strings: ["tenantId", "team", "name"],
							indexes: [
								{ fields: { tenantId: 1, team: 1, name: 1 } },
								// Compared and sorted by only: NeDB leaves it out (IndexSpec.ordered), the others build it.
								{ fields: { tenantId: 1, age: -1 }, ordered: true },
								// On PostgreSQL one column holds both fields' text, one per line, under one trigram index.
								{ fields: { name: 1, team: 1 }, search: true }
							]
						},
						{ name: `locks_${suffix}` }
					],
					{ config: cfg }
				)
			]
		}) as DbService;

		beforeAll(() => broker.start());
		afterAll(async () => {
			await broker.stop();
			await cleanUp();
		});

		it("stores documents under UUID string ids and finds them by id", async () => {
			const id = service.newId();
			await service.adapter.insert({ _id: id, code: "a-1", name: "first" });
			expect(id).toMatch(/^[0-9a-f-]{36}$/);
			expect(await service.adapter.findById(id)).toMatchObject({ _id: id, code: "a-1" });
			expect(await service.adapter.findOne({ _id: id, code: "a-1" })).toMatchObject({ name: "first" });
			expect(await service.adapter.findByIds([id, service.newId()])).toHaveLength(1);
			expect(await service.adapter.findById(service.newId())).toBeNull();
		});

		it("turns a unique-index violation into a 409 naming the field, and keeps the first", async () => {
			await service.adapter.insert({ _id: service.newId(), code: "dup", name: "original" });
			const second = service.unique("code", () => service.adapter.insert({ _id: service.newId(), code: "dup", name: "copy" }));
			await expect(second).rejects.toThrow(ConflictError);
			await expect(second).rejects.toMatchObject({ code: 409, data: { field: "code" } });
			expect(await service.adapter.count({ query: { code: "dup" } })).toBe(1);
		});

		it("lets exactly one of many parallel inserts of the same unique value through", async () => {
			const results = await Promise.allSettled(
				Array.from({ length: 12 }, (_, i) => service.adapter.insert({ _id: service.newId(), code: "race", n: i }))
			);
			expect(results.filter(r => r.status === "fulfilled")).toHaveLength(1);
			expect(await service.adapter.count({ query: { code: "race" } })).toBe(1);
		});

		it("enforces a unique index over two fields (a number unique per tenant)", async () => {
			const staff = service.store(`staff_${suffix}`);
			await staff.insert({ _id: service.newId(), tenantId: "t1", number: "7" });
			await staff.insert({ _id: service.newId(), tenantId: "t2", number: "7" });
			const clash = service.unique("number", () => staff.insert({ _id: service.newId(), tenantId: "t1", number: "7" }));
			await expect(clash).rejects.toMatchObject({ code: 409, data: { field: "number" } });
		});

		it("finds by a list of values within one tenant, once each, as the compound index holds them", async () => {
			const staff = service.store(`staff_${suffix}`);
			for (const number of ["21", "22", "23"]) await staff.insert({ _id: `s-${number}`, tenantId: "t-in", number });
			await staff.insert({ _id: "s-other", tenantId: "t-other", number: "22" });
			const numbers = async (query: object) => ((await staff.find({ query })) as Array<{ number: string }>).map(d => d.number).sort();
			expect(await numbers({ tenantId: "t-in", number: { $in: ["22", "23", "99", "22"] } })).toEqual(["22", "23"]);
			expect(await numbers({ number: { $in: ["22"] }, tenantId: "t-other" })).toEqual(["22"]);
			expect(await numbers({ tenantId: "t-in", number: { $in: [] } })).toEqual([]);
		});

		it("gives the service's further collections their own indexes", async () => {
			const parts = service.store(`parts_${suffix}`);
			await parts.insert({ _id: service.newId(), serial: "s-1" });
			await expect(service.unique("serial", () => parts.insert({ _id: service.newId(), serial: "s-1" }))).rejects.toMatchObject({ code: 409 });
			expect(() => service.store("not-mine")).toThrow(/owns no collection/);
		});

		it("inserts many in one call, and refuses a batch that breaks a unique index (all of it, but on MongoDB)", async () => {
			const parts = service.store(`parts_${suffix}`);
			const stored = await parts.insertMany([
				{ _id: service.newId(), serial: "m-1" },
				{ _id: service.newId(), serial: "m-2" }
			]);
			expect(stored.map(doc => doc.serial).sort()).toEqual(["m-1", "m-2"]);
			const clash = parts.insertMany([
				{ _id: service.newId(), serial: "m-3" },
				{ _id: service.newId(), serial: "m-1" }
			]);
			await expect(service.unique("serial", () => clash)).rejects.toMatchObject({ code: 409 });
			if (backend !== "MongoDB") expect(await parts.count({ query: { serial: "m-3" } })).toBe(0);
		});

		it("finds documents by their indexes after updates that change an indexed key and updates that do not", async () => {
			const people = service.store(`people_${suffix}`);
			const staff = service.store(`staff_${suffix}`);
			const [a, b] = [service.newId(), service.newId()];
			await people.insertMany([
				{ _id: a, tenantId: "ix", team: "red", name: "Ann", age: 30 },
				{ _id: b, tenantId: "ix", team: "red", name: "Bob", age: 40 }
			]);
			// Not an indexed field of { tenantId, team, name }: the document is still found by that index, as it is now.
			await people.updateMany({ tenantId: "ix", team: "red" }, { $set: { note: "n" } });
			expect(await people.find({ query: { tenantId: "ix", team: "red", name: "Ann" } })).toEqual([expect.objectContaining({ _id: a, note: "n" })]);
			// An indexed field: found under the new key only.
			await people.updateById(b, { $set: { team: "blue" } });
			expect(await people.find({ query: { tenantId: "ix", team: "red", name: "Bob" } })).toEqual([]);
			expect(await people.find({ query: { tenantId: "ix", team: "blue", name: "Bob" } })).toEqual([expect.objectContaining({ _id: b, note: "n" })]);
			// A unique index still refuses a clash after updates that left its key alone.
			const c = service.newId();
			await staff.insert({ _id: c, tenantId: "ix", number: "1" });
			await staff.updateById(c, { $set: { note: "x" } });
			await expect(service.unique("number", () => staff.insert({ _id: service.newId(), tenantId: "ix", number: "1" }))).rejects.toMatchObject({
				code: 409
			});
			expect(await staff.findOne({ tenantId: "ix", number: "1" })).toMatchObject({ _id: c, note: "x" });
		});

		it("keeps the other documents of a shared index key found as some leave it (moved or removed)", async () => {
			const people = service.store(`people_${suffix}`);
			const ids = Array.from({ length: 6 }, () => service.newId());
			await people.insertMany(ids.map(_id => ({ _id, tenantId: "sk", team: "grey", name: "Same" })));
			const shared = async () =>
				((await people.find({ query: { tenantId: "sk", team: "grey", name: "Same" } })) as Array<{ _id: string }>).map(d => d._id).sort();
			await people.updateMany({ _id: { $in: [ids[1], ids[4]] } }, { $set: { team: "blue" } });
			await people.removeMany({ _id: ids[5] });
			await people.updateById(ids[0], { $set: { note: "still grey" } });
			expect(await shared()).toEqual([ids[0], ids[2], ids[3]].sort());
			expect(await people.count({ query: { tenantId: "sk", team: "blue", name: "Same" } })).toBe(2);
		});

		it("updates many atomically with a conditional query, reporting how many changed", async () => {
			const id = service.newId();
			await service.adapter.insert({ _id: id, code: "cas", version: 1 });
			expect(await service.adapter.updateMany({ _id: id, version: 1 }, { $set: { version: 2 } })).toBe(1);
			expect(await service.adapter.updateMany({ _id: id, version: 1 }, { $set: { version: 3 } })).toBe(0);
			expect(await service.adapter.findById(id)).toMatchObject({ version: 2 });
		});

		it("lets exactly one of many parallel conditional updates win (a claim)", async () => {
			const id = service.newId();
			await service.adapter.insert({ _id: id, code: "claim", status: "sent" });
			const wins = await Promise.all(
				Array.from({ length: 10 }, (_, i) => service.adapter.updateMany({ _id: id, status: "sent" }, { $set: { status: "accepted", by: i } }))
			);
			expect(wins.reduce((a, b) => a + b, 0)).toBe(1);
		});

		it("increments a counter atomically under parallel updates, answering the new value", async () => {
			const counters = service.store(`people_${suffix}`);
			await counters.insert({ _id: "counter-1", last: 0 });
			const seen = await Promise.all(Array.from({ length: 25 }, () => counters.updateById("counter-1", { $inc: { last: 1 } })));
			expect(new Set(seen.map(doc => doc.last)).size).toBe(25);
			expect(await counters.findById("counter-1")).toMatchObject({ last: 25 });
			expect(await counters.updateById("no-such-counter", { $inc: { last: 1 } })).toBeNull();
		});

		it("sets, unsets and pushes in one update", async () => {
			const people = service.store(`people_${suffix}`);
			const id = service.newId();
			await people.insert({ _id: id, name: "Ann", note: "x", history: [{ at: 1 }] });
			const after = await people.updateById(id, {
				$set: { name: "Ann B", nested: { a: [1, "two"] } },
				$unset: { note: 1 },
				$push: { history: { at: 2 } }
			});
			expect(after).toEqual({ _id: id, name: "Ann B", nested: { a: [1, "two"] }, history: [{ at: 1 }, { at: 2 }] });
			await people.updateById(id, { $push: { tags: "first" } });
			expect(await people.findById(id)).toMatchObject({ tags: ["first"] });
			// Several at once ($each), as an outbox write carrying an event and its audit record does.
			await people.updateById(id, { $push: { tags: { $each: ["second", { third: 3 }] } } });
			expect(await people.findById(id)).toMatchObject({ tags: ["first", "second", { third: 3 }] });
		});

		it("leaves a document as it was, nested values included, when a unique index refuses its update", async () => {
			const staff = service.store(`staff_${suffix}`);
			const [a, b] = [service.newId(), service.newId()];
			const before = { _id: a, tenantId: "rb", number: "1", profile: { tags: ["x"] }, history: [{ at: 1 }], note: "kept" };
			await staff.insertMany([before, { _id: b, tenantId: "rb", number: "2" }]);
			const clash = { $set: { number: "2", "profile.level": 3 }, $push: { history: { at: 2 }, "profile.tags": "y" }, $unset: { note: 1 } };
			await expect(service.unique("number", () => staff.updateById(a, clash))).rejects.toMatchObject({ code: 409 });
			expect(await staff.findById(a)).toEqual(before);
			// The same update, without the clash, changes what it names and nothing else.
			const { number: _clash, ...fine } = clash.$set;
			expect(await staff.updateById(a, { ...clash, $set: fine })).toEqual({
				_id: a,
				tenantId: "rb",
				number: "1",
				profile: { tags: ["x", "y"], level: 3 },
				history: [{ at: 1 }, { at: 2 }]
			});
		});

		describe("queries", () => {
			const people = () => service.store(`people_${suffix}`);
			const tenantId = `q-${suffix}`;
			const rows = [
				{ _id: "p1", tenantId, name: "ann.lee@acme.test", age: 30, team: "red", managerId: null },
				{ _id: "p2", tenantId, name: "Bob O'Hara", age: 41, team: "blue", managerId: "p1" },
				{ _id: "p3", tenantId, name: 'Cy "the" \\ Backslash', age: 25, team: "red", managerId: "p1" },
				{ _id: "p4", tenantId, name: "annaleexacme", age: 52, managerId: "p2" },
				{ _id: "p5", tenantId, name: "Émile 100%", age: "n/a", team: "green", managerId: null, tags: ["x", "y"] }
			];
			const ids = (docs: Array<{ _id: string }>) => docs.map(d => d._id).sort();
			const find = (query: object, sort?: string[], limit?: number, offset?: number) =>
				people().find({ query: { tenantId, ...query }, sort, limit, offset });

			beforeAll(async () => {
				for (const row of rows) await people().insert(row);
			});

			it("matches plain values, including strings with quotes and backslashes", async () => {
				expect(ids(await find({ team: "red" }))).toEqual(["p1", "p3"]);
				expect(ids(await find({ name: "Bob O'Hara" }))).toEqual(["p2"]);
				expect(ids(await find({ name: 'Cy "the" \\ Backslash' }))).toEqual(["p3"]);
				expect(ids(await find({ name: { $in: ['Cy "the" \\ Backslash', "nobody"] } }))).toEqual(["p3"]);
			});

			// Services store an explicit null: NeDB, unlike the others, does not match a missing field to null.
			it("matches null, and counts a missing field as not equal to any value", async () => {
				expect(ids(await find({ managerId: null }))).toEqual(["p1", "p5"]);
				expect(ids(await find({ managerId: { $ne: null } }))).toEqual(["p2", "p3", "p4"]);
				expect(ids(await find({ team: { $ne: "red" } }))).toEqual(["p2", "p4", "p5"]);
				expect(ids(await find({ managerId: { $in: ["p2", null] } }))).toEqual(["p1", "p4", "p5"]);
				expect(ids(await find({ team: { $nin: ["red"] } }))).toEqual(["p2", "p4", "p5"]);
				expect(ids(await find({ team: { $exists: false } }))).toEqual(["p4"]);
				expect(await find({ team: { $in: [] } })).toEqual([]);
			});

			it("matches a value held by a field declared as an array", async () => {
				expect(ids(await find({ tags: "y" }))).toEqual(["p5"]);
				expect(ids(await find({ tags: "z" }))).toEqual([]);
			});

			it("compares only values of the same type", async () => {
				expect(ids(await find({ age: { $gte: 30, $lt: 52 } }))).toEqual(["p1", "p2"]);
				expect(ids(await find({ age: { $gt: 1 } }))).toEqual(["p1", "p2", "p3", "p4"]);
				expect(ids(await find({ name: { $gte: "B", $lte: "C~" } }))).toEqual(["p2", "p3"]);
			});

			it("searches by escaped, case-insensitive patterns as the services build them", async () => {
				const contains = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
				expect(ids(await find({ name: contains("ann.lee") }))).toEqual(["p1"]);
				expect(ids(await find({ name: contains("ANN") }))).toEqual(["p1", "p4"]);
				expect(ids(await find({ name: contains("100%") }))).toEqual(["p5"]);
				expect(ids(await find({ name: contains('"the" \\') }))).toEqual(["p3"]);
				expect(ids(await find({ $or: [{ name: contains("bob") }, { team: "green" }] }))).toEqual(["p2", "p5"]);
				expect(ids(await find({ $and: [{ team: "red" }, { name: contains("cy") }] }))).toEqual(["p3"]);
				expect(await find({ age: contains("3") })).toEqual([]);
			});

			it("matches a searched word literally, in any one of the searched fields, never across two", async () => {
				const contains = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
				const anyField = (text: string) => find({ $or: [{ name: contains(text) }, { team: contains(text) }] });
				expect(ids(await anyField("RED"))).toEqual(["p1", "p3"]);
				expect(ids(await anyField("e"))).toEqual(["p1", "p2", "p3", "p4", "p5"]);
				// p1's name ends in "test" and its team is "red": no word spans the two.
				expect(ids(await anyField("testred"))).toEqual([]);
				expect(ids(await anyField("test"))).toEqual(["p1"]);
				// What LIKE reads as wildcards and its escape are plain characters in a word.
				expect(ids(await anyField("n_l"))).toEqual([]);
				expect(ids(await anyField("n%e"))).toEqual([]);
				expect(ids(await anyField("0%"))).toEqual(["p5"]);
				expect(ids(await anyField("\\ b"))).toEqual(["p3"]);
				// Each field alone, the case kept when the pattern asks, and a real pattern all still answer as patterns do.
				expect(ids(await find({ name: contains("ann") }))).toEqual(["p1", "p4"]);
				expect(ids(await find({ team: /^r/ }))).toEqual(["p1", "p3"]);
				expect(ids(await find({ name: /ANN/ }))).toEqual([]);
				expect(ids(await find({ $or: [{ name: /^b/i }, { team: /^b/i }] }))).toEqual(["p2"]);
				expect(ids(await find({ $or: [{ name: contains("ann") }, { team: contains("blue") }] }))).toEqual(["p1", "p2", "p4"]);
			});

			(backend === "NeDB" ? it : it.skip)("leaves out an index for order only on NeDB, which never reads one", () => {
				const { db } = people() as unknown as { db: { indexes: Record<string, unknown> } };
				expect(Object.keys(db.indexes).sort()).toEqual(["_id", "name,team,tenantId"]);
			});

			it("sorts, with missing values first ascending, and pages without overlap", async () => {
				const byTeam = await find({}, ["team", "name"]);
				// Strings sort by code point, as MongoDB does: "Cy" before "ann".
				expect(byTeam.map(d => d._id)).toEqual(["p4", "p2", "p5", "p3", "p1"]);
				const byAgeDesc = await find({ age: { $gt: 0 } }, ["-age"]);
				expect(byAgeDesc.map(d => d._id)).toEqual(["p4", "p2", "p1", "p3"]);
				const pages = [...(await find({}, ["team"], 2, 0)), ...(await find({}, ["team"], 2, 2)), ...(await find({}, ["team"], 2, 4))];
				expect(ids(pages)).toEqual(["p1", "p2", "p3", "p4", "p5"]);
			});

			it("answers a page in sort order with the exact total, with or without a pattern", async () => {
				const page = (query: object, sort: string[], limit: number, offset: number) =>
					people().page({ query: { tenantId, ...query }, sort, limit, offset });
				const byTeam = await find({}, ["team", "name"]);
				expect(await page({}, ["team", "name"], 2, 0)).toEqual({ docs: byTeam.slice(0, 2), total: 5 });
				expect(await page({}, ["team", "name"], 2, 4)).toEqual({ docs: byTeam.slice(4), total: 5 });
				expect(await page({}, ["team", "name"], 2, 10)).toEqual({ docs: [], total: 5 });
				expect(await page({ team: "red" }, ["-name"], 5, 0)).toEqual({ docs: await find({ team: "red" }, ["-name"]), total: 2 });

				const withA = { name: /a/i };
				const byName = await find(withA, ["name"]);
				expect(byName.map(d => d._id)).toEqual(["p2", "p3", "p1", "p4"]);
				expect(await page(withA, ["name"], 2, 1)).toEqual({ docs: byName.slice(1, 3), total: 4 });
				expect(await page(withA, ["-age"], 1, 0)).toEqual({ docs: [byName[3]], total: 4 });
				expect(await page({ $and: [withA, { team: "red" }] }, ["name"], 0, 0)).toEqual({ docs: [byName[1], byName[2]], total: 2 });
				expect(await page(withA, ["name"], 2, 10)).toEqual({ docs: [], total: 4 });
				expect(await page({ name: /nobody/i }, ["name"], 2, 0)).toEqual({ docs: [], total: 0 });

				// Without a sort, a page is a slice of what find answers in the same order.
				expect(await page({}, [], 2, 1)).toEqual({ docs: (await find({}, [])).slice(1, 3), total: 5 });
				// What a page hands out is a copy: changing it changes nothing stored.
				const [first] = (await page({}, ["name"], 1, 0)).docs;
				const name = first.name;
				first.name = "changed";
				expect((await people().findById(first._id)).name).toBe(name);
			});

			it("counts by the values of fields, a missing value and null as one group", async () => {
				const groups = `${tenantId}-groups`;
				const docs = [
					...Array.from({ length: 3 }, () => ({ dept: "a", status: "active" })),
					{ dept: "a", status: "terminated" },
					{ dept: null, status: "active" },
					{ status: "active" },
					{ dept: "b", status: "active", level: { rank: 2 } }
				];
				for (const doc of docs) await people().insert({ _id: service.newId(), tenantId: groups, ...doc });
				await people().insert({ _id: service.newId(), tenantId: `${groups}-other`, dept: "a", status: "active" });
				const sorted = (rows: object[]) => [...rows].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

				expect(sorted(await people().countBy({ tenantId: groups }, ["dept", "status"]))).toEqual(
					sorted([
						{ dept: "a", status: "active", count: 3 },
						{ dept: "a", status: "terminated", count: 1 },
						{ dept: null, status: "active", count: 2 },
						{ dept: "b", status: "active", count: 1 }
					])
				);
				expect(sorted(await people().countBy({ tenantId: groups, status: { $ne: "terminated" } }, ["dept"]))).toEqual(
					sorted([
						{ dept: "a", count: 3 },
						{ dept: null, count: 2 },
						{ dept: "b", count: 1 }
					])
				);
				expect(sorted(await people().countBy({ tenantId: groups }, ["level.rank"]))).toEqual(
					sorted([
						{ "level.rank": 2, count: 1 },
						{ "level.rank": null, count: 6 }
					])
				);
				expect(await people().countBy({ tenantId: "nobody" }, ["dept"])).toEqual([]);
				// A grouped value handed out is the caller's own: changing it changes nothing stored.
				const [byLevel] = (await people().countBy({ tenantId: groups, dept: "b" }, ["level"])) as unknown as Array<{ level: { rank: number } }>;
				byLevel.level.rank = 99;
				expect((await people().findOne({ tenantId: groups, dept: "b" })).level).toEqual({ rank: 2 });
				await expect(people().countBy({ tenantId: groups }, [])).rejects.toThrow(/at least one field/);
				await expect(people().countBy({ tenantId: groups }, ["count"])).rejects.toThrow(/cannot group by 'count'/);
			});

			it("sums fields per group, array positions included, and adds nothing for a missing or non-numeric value", async () => {
				const sums = `${tenantId}-sums`;
				const docs = [
					{ type: "a", days: 2, months: [1, 1, 0] },
					{ type: "a", days: 1.5, months: [0, 1.5, 0] },
					{ type: "a", days: "three" },
					{ type: "b", days: 4, months: [0, 0, 4] }
				];
				for (const doc of docs) await people().insert({ _id: service.newId(), tenantId: sums, ...doc });
				await people().insert({ _id: service.newId(), tenantId: `${sums}-other`, type: "a", days: 100, months: [100, 0, 0] });
				const sorted = (rows: SumByRow[]) => [...rows].sort((x, y) => String(x.type).localeCompare(String(y.type)));

				expect(sorted(await people().sumBy({ tenantId: sums }, ["type"], ["days", "months.0", "months.1", "months.2"]))).toEqual([
					{ type: "a", count: 3, sums: { days: 3.5, "months.0": 1, "months.1": 2.5, "months.2": 0 } },
					{ type: "b", count: 1, sums: { days: 4, "months.0": 0, "months.1": 0, "months.2": 4 } }
				]);
				expect(await people().sumBy({ tenantId: sums, type: "b" }, ["type"], ["days"])).toEqual([{ type: "b", count: 1, sums: { days: 4 } }]);
				expect(await people().sumBy({ tenantId: "nobody" }, ["type"], ["days"])).toEqual([]);
				await expect(people().sumBy({ tenantId: sums }, ["type"], [])).rejects.toThrow(/at least one field to sum/);
				await expect(people().sumBy({ tenantId: sums }, ["type"], ["0.days"])).rejects.toThrow(/cannot sum/);
			});

			it("counts and removes by query", async () => {
				expect(await people().count({ query: { tenantId, team: "red" } })).toBe(2);
				const extra = service.newId();
				await people().insert({ _id: extra, tenantId: `${tenantId}-gone`, team: "red" });
				await people().insert({ _id: service.newId(), tenantId: `${tenantId}-gone`, team: "red" });
				await people().removeById(extra);
				expect(await people().findById(extra)).toBeNull();
				expect(await people().removeMany({ tenantId: `${tenantId}-gone` })).toBe(1);
				expect(await people().count({ query: { tenantId: `${tenantId}-gone` } })).toBe(0);
			});
		});

		it("publishes none of moleculer-db's generic actions, and answers storageReady", async () => {
			for (const action of ["list", "find", "count", "get", "create", "insert", "update", "remove"]) {
				expect(broker.registry.actions.isAvailable(`things.${action}`)).toBe(false);
			}
			await expect(broker.call("things.storageReady")).resolves.toEqual({ ok: true });
		});

		describe("leases", () => {
			const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

			it("lets one holder at a time run, and every waiter after it", async () => {
				const locks = service.store(`locks_${suffix}`);
				let inside = 0;
				let most = 0;
				const order: number[] = [];
				await Promise.all(
					Array.from({ length: 8 }, (_, i) =>
						withLease(locks, "one-at-a-time", async () => {
							most = Math.max(most, ++inside);
							await pause(5);
							order.push(i);
							inside--;
						})
					)
				);
				expect(most).toBe(1);
				expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
			});

			it("lets go when the task fails, so the next holder runs", async () => {
				const locks = service.store(`locks_${suffix}`);
				await expect(withLease(locks, "failing", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
				await expect(withLease(locks, "failing", async () => "next", { waitMs: 200 })).resolves.toBe("next");
			});

			it("takes over the lease of a holder that died once it expires, and answers 503 while it holds", async () => {
				const locks = service.store(`locks_${suffix}`);
				await locks.insert({ _id: "dead-holder", holder: "crashed-node", until: Date.now() + 300 });
				const run = jest.fn(async () => "ran");
				await expect(withLease(locks, "dead-holder", run, { waitMs: 50 })).rejects.toMatchObject({ code: 503, type: "SERVICE_BUSY" });
				expect(run).not.toHaveBeenCalled();
				await expect(withLease(locks, "dead-holder", run, { waitMs: 2000 })).resolves.toBe("ran");
			});

			describe("shared", () => {
				it("lets sharers hold it together, and an owner only once they have let go", async () => {
					const locks = service.store(`locks_${suffix}`);
					const holders = await Promise.all(Array.from({ length: 6 }, () => claimShared(locks, "shared-then-owned", { waitMs: 1000 })));
					let ran = false;
					const owner = withOwnedLease(locks, "shared-then-owned", async () => void (ran = true));
					await pause(150);
					const ranWhileShared = ran;
					await Promise.all(holders.map(holder => releaseShared(locks, "shared-then-owned", holder)));
					await owner;
					expect({ ranWhileShared, ran }).toEqual({ ranWhileShared: false, ran: true });
				});

				it("keeps sharers waiting while it is owned, and answers 503 past their wait", async () => {
					const locks = service.store(`locks_${suffix}`);
					let owning = false;
					const owner = withOwnedLease(locks, "owned-then-shared", async () => {
						owning = true;
						await pause(200);
						owning = false;
					});
					await pause(30);
					await expect(withSharedLease(locks, "owned-then-shared", async () => undefined, { waitMs: 50 })).rejects.toMatchObject({ code: 503 });
					let ownedMeanwhile = true;
					await withSharedLease(locks, "owned-then-shared", async () => void (ownedMeanwhile = owning));
					await owner;
					expect(ownedMeanwhile).toBe(false);
				});

				it("counts a sharer that died until its hold runs out", async () => {
					const locks = service.store(`locks_${suffix}`);
					await claimShared(locks, "dead-sharer", { ttlMs: 300 });
					const run = jest.fn(async () => "ran");
					await expect(withOwnedLease(locks, "dead-sharer", run, { waitMs: 50 })).rejects.toMatchObject({ code: 503 });
					expect(run).not.toHaveBeenCalled();
					await expect(withOwnedLease(locks, "dead-sharer", run, { waitMs: 2000 })).resolves.toBe("ran");
				});

				it("answers 503 within a write's time when a holder that died keeps the lease: never the caller's timeout", async () => {
					const locks = service.store(`locks_${suffix}`);
					// Held as a crashed node leaves them: the owner's row, a sharer's row, each for longer than a write may take.
					await claimLease(locks, "dead-owner-in-time", { ttlMs: 60_000 });
					await claimShared(locks, "dead-sharer-in-time", { ttlMs: 60_000 });
					const run = jest.fn(async () => "ran");
					const waited = async (attempt: Promise<unknown>) => {
						const start = Date.now();
						await expect(attempt).rejects.toMatchObject({ code: 503, type: "SERVICE_BUSY" });
						return Date.now() - start;
					};
					const times = await Promise.all([
						waited(withLease(locks, "dead-owner-in-time", run)),
						waited(withSharedLease(locks, "dead-owner-in-time", run)),
						waited(withOwnedLease(locks, "dead-sharer-in-time", run))
					]);
					expect(run).not.toHaveBeenCalled();
					for (const ms of times) expect(ms).toBeLessThan(ActionTimeouts.write);
				});
			});
		});

		if (service.adapter.shared) {
			it("shows one node's writes to another node's store at once (what two data nodes rely on)", async () => {
				const other = createStore({ name: `things_${suffix}` }, cfg);
				await other.connect();
				try {
					const id = service.newId();
					await other.insert({ _id: id, code: "from-the-other-node" });
					expect(await service.adapter.findOne({ code: "from-the-other-node" })).toMatchObject({ _id: id });
					await expect(service.unique("code", () => other.insert({ _id: service.newId(), code: "a-1" }))).rejects.toMatchObject({ code: 409 });
				} finally {
					await other.disconnect();
				}
			});

			it("holds a lease against another node's store: one holder at a time across both", async () => {
				const other = createStore({ name: `locks_${suffix}` }, cfg);
				await other.connect();
				try {
					const stores = [service.store(`locks_${suffix}`), other];
					let inside = 0;
					let most = 0;
					await Promise.all(
						Array.from({ length: 10 }, (_, i) =>
							withLease(stores[i % 2], "across-nodes", async () => {
								most = Math.max(most, ++inside);
								await new Promise(resolve => setTimeout(resolve, 5));
								inside--;
							})
						)
					);
					expect(most).toBe(1);
				} finally {
					await other.disconnect();
				}
			});

			it("shares a lease across two nodes' stores: never owned while shared", async () => {
				const other = createStore({ name: `locks_${suffix}` }, cfg);
				await other.connect();
				try {
					const stores = [service.store(`locks_${suffix}`), other];
					let sharing = 0;
					let owners = 0;
					let overlaps = 0;
					let mostSharing = 0;
					await Promise.all(
						Array.from({ length: 24 }, async (_, i) => {
							const store = stores[i % 2];
							if (i % 4 === 0) {
								return withOwnedLease(store, "shared-across-nodes", async () => {
									if (sharing > 0 || owners > 0) overlaps++;
									owners++;
									await new Promise(resolve => setTimeout(resolve, 5));
									owners--;
								});
							}
							const holder = await claimShared(store, "shared-across-nodes");
							if (owners > 0) overlaps++;
							mostSharing = Math.max(mostSharing, ++sharing);
							await new Promise(resolve => setTimeout(resolve, 5));
							sharing--;
							await releaseShared(store, "shared-across-nodes", holder);
						})
					);
					expect({ overlaps, shared: mostSharing > 1 }).toEqual({ overlaps: 0, shared: true });
				} finally {
					await other.disconnect();
				}
			});
		}
	});
}

storageContract("NeDB", () => loadConfig({ NODE_ENV: "test" }));

describeWith(["postgres"], "PostgreSQL store", () => {
	const url = freshSchemaUrl("storage");
	storageContract(
		"PostgreSQL",
		() => loadConfig({ NODE_ENV: "test", DATABASE_URL: url, DATABASE_POOL_SIZE: "4" }),
		() => dropSchema(url)
	);
});

if (process.env.MONGO_URI) {
	storageContract("MongoDB", () => loadConfig({ NODE_ENV: "test", MONGO_URI: process.env.MONGO_URI }));
}
