/**
 * The embedded store's document copies (lib/store/nedb-copy.ts): what NeDB's own deep copy gives,
 * and objects V8 keeps in fast mode, stored and read, whatever inserted or updated them.
 */
import v8 from "node:v8";
import { createNedbStore } from "../../lib/store/nedb";
import { deepCopy } from "../../lib/store/nedb-copy";
import type { Store } from "../../lib/store/types";

/**
 * NeDB's own copy, from a module instance of its own: importing the store above has replaced
 * `deepCopy` on the shared one (copyDocumentsFast).
 */
let nedbDeepCopy: <T>(value: T) => T = () => {
	throw new Error("NeDB's model was not loaded");
};
jest.isolateModules(() => {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	nedbDeepCopy = (require("@seald-io/nedb/lib/model.js") as { deepCopy: <T>(value: T) => T }).deepCopy;
});

v8.setFlagsFromString("--allow-natives-syntax");
// V8's own test of an object's mode; the flag above lets a function compiled from now on ask it.
const hasFastProperties = new Function("object", "return %HasFastProperties(object)") as (object: object) => boolean;

/** An employee as the store keeps one: 22 fields, a nested object, an array, a Date. */
function employee(id: string): Record<string, unknown> {
	const doc: Record<string, unknown> = { _id: id, tenantId: "t1" };
	for (const field of ["firstName", "lastName", "workEmail", "phone", "employeeNumber", "departmentId", "positionId", "managerId", "hireDate"])
		doc[field] = `${field}-${id}`;
	for (const field of ["employmentType", "userId", "status", "terminationDate", "terminationReason", "nationalId", "birthDate"]) doc[field] = null;
	Object.assign(doc, { createdAt: new Date(0), version: 1, homeAddress: { line1: "1 Road", city: "Leeds" }, tags: ["a", { b: [1, 2] }] });
	return doc;
}

describe("NeDB document copies", () => {
	it("copy what NeDB's own deep copy copies, all the way down", () => {
		const when = new Date();
		const values: unknown[] = [
			null,
			"text",
			0,
			false,
			when,
			[1, [2, { a: 3 }]],
			{ a: { b: { c: [when, null, "x"] } }, d: undefined, e: () => 1, f: Symbol.for("s"), g: 10n },
			employee("e1"),
			undefined
		];
		// NeDB's own body, not the store's replacement.
		expect(String(nedbDeepCopy)).toContain("hasOwnProperty");
		for (const value of values) {
			const copy = deepCopy(value);
			expect(copy).toStrictEqual(nedbDeepCopy(value));
			if (value !== null && typeof value === "object" && !(value instanceof Date)) expect(copy).not.toBe(value);
		}
		const nested = { inner: { list: [{ x: 1 }] }, when };
		const copy = deepCopy(nested);
		expect(copy.inner).not.toBe(nested.inner);
		expect(copy.inner.list[0]).not.toBe(nested.inner.list[0]);
		// NeDB keeps Dates as they are: they are never changed in place.
		expect(copy.when).toBe(when);
	});

	describe("in the store", () => {
		let store: Store;
		const stored = () => (store as unknown as { db: { getAllData(): Record<string, unknown>[] } }).db.getAllData();

		beforeAll(async () => {
			store = createNedbStore();
			await store.connect();
		});

		it("keep every employee fast, however it was inserted or updated, and every read of one", async () => {
			await store.insert(employee("inserted"));
			await store.insert(employee("handed-over"), { handOver: true });
			await store.insertMany([employee("many-1"), employee("many-2")], { handOver: true });
			await store.insert(employee("updated"));
			await store.updateById("updated", { $set: { status: "active", extra: 1 }, $inc: { version: 1 } });
			await store.insert(employee("unset"));
			await store.updateById("unset", { $unset: { phone: true }, $set: { status: "terminated" } });

			const all = stored();
			expect(all.map(doc => doc._id).sort()).toEqual(["handed-over", "inserted", "many-1", "many-2", "unset", "updated"]);
			for (const doc of all) expect([doc._id, hasFastProperties(doc)]).toEqual([doc._id, true]);
			for (const doc of await store.find({})) expect([doc._id, hasFastProperties(doc)]).toEqual([doc._id, true]);
			expect(hasFastProperties(await store.findById("updated"))).toBe(true);

			expect(await store.findById("updated")).toMatchObject({ status: "active", extra: 1, version: 2, phone: "phone-updated" });
			const unset = await store.findById("unset");
			expect(unset).toMatchObject({ status: "terminated", version: 1 });
			expect(unset).not.toHaveProperty("phone");
		});

		it("never hand out the stored document itself", async () => {
			const read = await store.findById("inserted");
			read.firstName = "changed by a reader";
			(read.homeAddress as { city: string }).city = "changed too";
			expect(await store.findById("inserted")).toMatchObject({ firstName: "firstName-inserted", homeAddress: { city: "Leeds" } });
		});
	});
});
