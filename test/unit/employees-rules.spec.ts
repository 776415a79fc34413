import { BusinessRuleError, ConflictError } from "../../lib/errors";
import { changedValues, diffFields } from "../../lib/employees/history";
import { type EmployeeDoc, employeeJSON, listItemJSON, summaryJSON } from "../../lib/employees/model";
import { ASSIGNED_NUMBER, formatAssignedNumber } from "../../lib/employees/numbers";
import {
	checkBirthDate,
	checkHireDate,
	checkRehire,
	checkTerminate,
	checkTransfer,
	directRelation,
	mayManage,
	seesSensitive,
	staffOnlyFields
} from "../../lib/employees/rules";
import type { AuthUser } from "../../lib/meta";
import type { Role } from "../../lib/roles";

const doc: EmployeeDoc = {
	_id: "e1",
	tenantId: "t1",
	firstName: "Ada",
	lastName: "Lovelace",
	workEmail: "ada@x.test",
	phone: "+1 555",
	birthDate: "1990-01-01",
	nationalId: "N-1",
	homeAddress: "1 Road",
	employeeNumber: "E000001",
	departmentId: null,
	positionId: null,
	managerId: "m1",
	hireDate: "2020-01-01",
	employmentType: "full_time",
	status: "active",
	terminationDate: null,
	terminationReason: null,
	userId: null,
	createdAt: "2020-01-01T00:00:00.000Z",
	updatedAt: "2020-01-01T00:00:00.000Z"
};

const user = (role: Role, employeeId: string | null = null): AuthUser => ({ id: "u", tenantId: "t1", roles: [role], employeeId, sessionId: "s" });

function fieldOf(fn: () => void): string | undefined {
	try {
		fn();
	} catch (err) {
		expect(err).toBeInstanceOf(BusinessRuleError);
		return (err as BusinessRuleError).data[0].field;
	}
	throw new Error("expected a 422");
}

describe("employee views", () => {
	it("show sensitive fields only when asked, and never the tenant", () => {
		const full = employeeJSON(doc, true);
		expect(full).toMatchObject({ id: "e1", nationalId: "N-1", birthDate: "1990-01-01", homeAddress: "1 Road" });
		expect(full).not.toHaveProperty("tenantId");
		expect(full).not.toHaveProperty("_id");
		const row = listItemJSON(doc);
		for (const field of ["nationalId", "birthDate", "homeAddress", "tenantId"]) expect(row).not.toHaveProperty(field);
		expect(row).toMatchObject({ id: "e1", phone: "+1 555", managerId: "m1" });
	});

	it("summaries carry exactly the contract's fields", () => {
		expect(summaryJSON(doc)).toEqual({
			id: "e1",
			employeeNumber: "E000001",
			firstName: "Ada",
			lastName: "Lovelace",
			workEmail: "ada@x.test",
			phone: "+1 555",
			departmentId: null,
			positionId: null,
			managerId: "m1",
			status: "active",
			userId: null,
			hireDate: "2020-01-01",
			terminationDate: null
		});
	});
});

describe("change records", () => {
	it("keep changed fields with old and new values, and leave sensitive values out", () => {
		expect(diffFields(doc, { lastName: "Byron", phone: null, nationalId: "N-2", firstName: "Ada", departmentId: undefined })).toEqual({
			lastName: { from: "Lovelace", to: "Byron" },
			phone: { from: "+1 555", to: null },
			nationalId: { redacted: true }
		});
	});

	it("record a hire as changes from nothing, skipping empty fields", () => {
		expect(diffFields({}, { firstName: "Ada", managerId: null, birthDate: "1990-01-01" })).toEqual({
			firstName: { from: null, to: "Ada" },
			birthDate: { redacted: true }
		});
	});

	it("take only the values that differ into the write", () => {
		expect(changedValues(doc, { lastName: "Lovelace", phone: null, managerId: undefined, homeAddress: "2 Road" })).toEqual({
			phone: null,
			homeAddress: "2 Road"
		});
	});
});

describe("lifecycle", () => {
	const terminated = { ...doc, status: "terminated" as const, terminationDate: "2023-06-30", terminationReason: "Left" };

	it("transfers only an active employee, from the hire date on", () => {
		expect(() => checkTransfer(terminated, "2024-01-01")).toThrow(ConflictError);
		expect(fieldOf(() => checkTransfer(doc, "2019-12-31"))).toBe("effectiveDate");
		expect(() => checkTransfer(doc, "2020-01-01")).not.toThrow();
	});

	it("terminates only an active employee, not before the hire", () => {
		expect(() => checkTerminate(terminated, "2024-01-01")).toThrow(ConflictError);
		expect(fieldOf(() => checkTerminate(doc, "2019-06-01"))).toBe("date");
		expect(() => checkTerminate(doc, "2020-01-01")).not.toThrow();
	});

	it("rehires only a terminated employee, after the termination", () => {
		expect(() => checkRehire(doc, "2024-01-01")).toThrow(ConflictError);
		expect(fieldOf(() => checkRehire(terminated, "2023-06-30"))).toBe("date");
		expect(() => checkRehire(terminated, "2023-07-01")).not.toThrow();
	});

	it("keeps a corrected hire date before the termination, and birth dates in the past", () => {
		expect(fieldOf(() => checkHireDate(terminated, "2023-07-01"))).toBe("hireDate");
		expect(() => checkHireDate(terminated, "2021-01-01")).not.toThrow();
		expect(() => checkHireDate(doc, "2030-01-01")).not.toThrow();
		expect(fieldOf(() => checkBirthDate("2024-01-02", "2024-01-01"))).toBe("birthDate");
		expect(() => checkBirthDate(null)).not.toThrow();
	});
});

describe("who may do what", () => {
	it("staff see everyone, everyone sees themself, and only managers need the reporting line", () => {
		for (const role of ["owner", "admin", "hr"] as const) expect(directRelation(user(role), "e1")).toBe("staff");
		expect(directRelation(user("employee", "e1"), "e1")).toBe("self");
		expect(directRelation(user("employee", "e1"), "e2")).toBe("none");
		expect(directRelation(user("manager", "e1"), "e2")).toBeUndefined();
		expect(directRelation(user("manager", null), "e2")).toBe("none");
		expect(mayManage(user("manager", "e1"))).toBe(true);
		expect(mayManage(user("employee", "e1"))).toBe(false);
	});

	it("sensitive fields are for staff and self", () => {
		expect([seesSensitive("staff"), seesSensitive("self"), seesSensitive("manager"), seesSensitive("none")]).toEqual([true, true, false, false]);
	});

	it("employees change only their contact fields", () => {
		expect(staffOnlyFields(["phone", "homeAddress"])).toEqual([]);
		expect(staffOnlyFields(["phone", "lastName", "userId"])).toEqual(["lastName", "userId"]);
	});

	it("formats assigned employee numbers so they sort as text", () => {
		expect(formatAssignedNumber(1)).toBe("E000001");
		expect(formatAssignedNumber(42)).toBe("E000042");
		expect(ASSIGNED_NUMBER.test(formatAssignedNumber(7))).toBe(true);
		expect(ASSIGNED_NUMBER.test("X-7")).toBe(false);
	});
});
