/**
 * Which NeDB queries are asked of a compound index one value at a time (lib/store/nedb-indexes.ts):
 * NeDB itself would scan the whole collection for them.
 */
import { compoundInLookups } from "../../lib/store/nedb-indexes";

const INDEXES = ["_id", "tenantId,employeeNumber", "tenantId,workEmail"];

describe("NeDB compound lookups", () => {
	it("turn one exact field and one $in of a compound index into a lookup per distinct value", () => {
		expect(compoundInLookups(INDEXES, { tenantId: "t", employeeNumber: { $in: ["1", "2", "1"] } })).toEqual([
			{ tenantId: "t", employeeNumber: "1" },
			{ tenantId: "t", employeeNumber: "2" }
		]);
		expect(compoundInLookups(INDEXES, { workEmail: { $in: ["a@x.test"] }, tenantId: "t" })).toEqual([{ tenantId: "t", workEmail: "a@x.test" }]);
		expect(compoundInLookups(INDEXES, { tenantId: "t", workEmail: { $in: [] } })).toEqual([]);
	});

	it("leave every other query to NeDB", () => {
		expect(compoundInLookups(INDEXES, { tenantId: "t", managerId: { $in: ["1"] } })).toBeNull();
		expect(compoundInLookups(INDEXES, { tenantId: "t", employeeNumber: { $in: ["1"] }, status: "active" })).toBeNull();
		expect(compoundInLookups(INDEXES, { tenantId: "t", employeeNumber: { $in: ["1"], $ne: "2" } })).toBeNull();
		expect(compoundInLookups(INDEXES, { tenantId: "t", employeeNumber: { $in: [null] } })).toBeNull();
		expect(compoundInLookups(INDEXES, { tenantId: { $ne: "t" }, employeeNumber: { $in: ["1"] } })).toBeNull();
		expect(compoundInLookups(INDEXES, { tenantId: "t", $or: [{ employeeNumber: "1" }] })).toBeNull();
		expect(compoundInLookups(INDEXES, undefined)).toBeNull();
	});
});
