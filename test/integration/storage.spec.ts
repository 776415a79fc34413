/**
 * The storage contract every data service relies on. It runs on NeDB, and on MongoDB whenever
 * MONGO_URI is set (the db mixin picks the adapter from the environment, as in production).
 */
import { ServiceBroker } from "moleculer";
import { ConflictError } from "../../lib/errors";
import { type DbService, DbMixin } from "../../mixins/db.mixin";

const backend = process.env.MONGO_URI ? "MongoDB" : "NeDB";
const suffix = Date.now().toString(36);

describe(`db mixin on ${backend}`, () => {
	const broker = new ServiceBroker({ logger: false, cacher: "Memory" });
	const service = broker.createService({
		name: "things",
		mixins: [
			DbMixin("things", {
				name: `things_${suffix}`,
				indexes: [{ fields: { code: 1 }, unique: true }]
			}, [
				{ name: `parts_${suffix}`, indexes: [{ fields: { serial: 1 }, unique: true }] },
				{ name: `staff_${suffix}`, indexes: [{ fields: { tenantId: 1, number: 1 }, unique: true }] }
			])
		]
	}) as DbService;

	beforeAll(() => broker.start());
	afterAll(() => broker.stop());

	it("stores documents under UUID string ids and finds them by id", async () => {
		const id = service.newId();
		await service.adapter.insert({ _id: id, code: "a-1", name: "first" });
		expect(id).toMatch(/^[0-9a-f-]{36}$/);
		expect(await service.adapter.findById(id)).toMatchObject({ _id: id, code: "a-1" });
		expect(await service.adapter.findOne({ _id: id, code: "a-1" })).toMatchObject({ name: "first" });
		expect(await service.adapter.findByIds([id, service.newId()])).toHaveLength(1);
	});

	it("turns a unique-index violation into a 409 naming the field, and keeps the first", async () => {
		await service.adapter.insert({ _id: service.newId(), code: "dup", name: "original" });
		const second = service.unique("code", () => service.adapter.insert({ _id: service.newId(), code: "dup", name: "copy" }));
		await expect(second).rejects.toThrow(ConflictError);
		await expect(second).rejects.toMatchObject({ code: 409, data: { field: "code" } });
		expect(await service.adapter.count({ query: { code: "dup" } })).toBe(1);
	});

	it("enforces a unique index over two fields (a number unique per tenant)", async () => {
		const staff = service.store(`staff_${suffix}`);
		await staff.insert({ _id: service.newId(), tenantId: "t1", number: "7" });
		await staff.insert({ _id: service.newId(), tenantId: "t2", number: "7" });
		const clash = service.unique("number", () => staff.insert({ _id: service.newId(), tenantId: "t1", number: "7" }));
		await expect(clash).rejects.toMatchObject({ code: 409, data: { field: "number" } });
	});

	it("gives the service's further collections their own indexes", async () => {
		const parts = service.store(`parts_${suffix}`);
		await parts.insert({ _id: service.newId(), serial: "s-1" });
		await expect(service.unique("serial", () => parts.insert({ _id: service.newId(), serial: "s-1" }))).rejects.toMatchObject({ code: 409 });
		expect(() => service.store("not-mine")).toThrow(/owns no collection/);
	});

	it("updates many atomically with a conditional query, reporting how many changed", async () => {
		const id = service.newId();
		await service.adapter.insert({ _id: id, code: "cas", version: 1 });
		expect(await service.adapter.updateMany({ _id: id, version: 1 }, { $set: { version: 2 } })).toBe(1);
		expect(await service.adapter.updateMany({ _id: id, version: 1 }, { $set: { version: 3 } })).toBe(0);
		expect(await service.adapter.findById(id)).toMatchObject({ version: 2 });
	});

	it("publishes none of moleculer-db's generic actions, and answers storageReady", async () => {
		for (const action of ["list", "find", "count", "get", "create", "insert", "update", "remove"]) {
			expect(broker.registry.actions.isAvailable(`things.${action}`)).toBe(false);
		}
		await expect(broker.call("things.storageReady")).resolves.toEqual({ ok: true });
	});
});
