/** The audit record's changes: before and after per field, bookkeeping left out, secrets redacted at any depth. */
import { actingAs, auditCreation, auditRemoval, auditUpdate, diffChanges, onBehalfOf, systemAudit } from "../../lib/audit/record";
import { isSecretField, redactValue } from "../../lib/audit/redact";
import { AuditEvents } from "../../lib/names/audit";

const ctx = {
	meta: { user: { id: "u1", tenantId: "t1", roles: ["admin" as const, "hr" as const], employeeId: null, sessionId: "s" }, clientIp: "10.0.0.7" },
	requestID: "req-1",
	action: { name: "org.updateDepartment" }
};

describe("audit records", () => {
	it("lists each changed field from its old value to its new one, and nothing unchanged or bookkeeping", () => {
		const before = { _id: "d1", tenantId: "t1", name: "Sales", parentId: null, updatedAt: "x", _outboxSeq: 3 };
		expect(diffChanges(before, { name: "Sales EU", parentId: null, updatedAt: "y" })).toEqual({ name: { from: "Sales", to: "Sales EU" } });
		expect(diffChanges(null, { _id: "d1", name: "A", createdAt: "x" })).toEqual({ name: { from: null, to: "A" } });
		expect(diffChanges({ _id: "d1", name: "A" }, null)).toEqual({ name: { from: "A", to: null } });
	});

	it("never holds a password, hash, token, link, URL or national id in clear, at any depth", () => {
		for (const field of [
			"password",
			"passwordHash",
			"token",
			"refreshToken",
			"tokenHash",
			"nationalId",
			"national_id",
			"link",
			"activationLink",
			"url",
			"shortUrl",
			"secret",
			"code"
		]) {
			expect(isSecretField(field)).toBe(true);
		}
		for (const field of ["name", "role", "status", "phone", "departmentId", "country"]) expect(isSecretField(field)).toBe(false);
		const changes = diffChanges(
			{ _id: "a", passwordHash: "$argon2id$old", profile: { nationalId: "NID-1", city: "Berlin" } },
			{ passwordHash: "$argon2id$new", profile: { nationalId: "NID-2", city: "Bonn" }, links: [{ url: "https://x/activate?token=abc" }] }
		);
		expect(changes).toEqual({
			passwordHash: { from: "changed", to: "changed" },
			profile: { from: { nationalId: "changed", city: "Berlin" }, to: { nationalId: "changed", city: "Bonn" } },
			links: { from: null, to: "changed" }
		});
		expect(JSON.stringify(changes)).not.toMatch(/argon|NID-|abc|https/);
		expect(redactValue("token", null)).toBeNull();
	});

	it("carries who, what, where from and the target, on the audit channel", () => {
		const created = auditCreation(ctx, "department", { _id: "d1", tenantId: "t1", name: "A" } as never);
		expect(created.channel).toBe(AuditEvents.recorded);
		expect(created.event).toMatchObject({
			tenantId: "t1",
			actor: { userId: "u1", role: "admin", roles: ["admin", "hr"] },
			action: "org.updateDepartment",
			operation: "created",
			target: { type: "department", id: "d1" },
			requestId: "req-1",
			clientIp: "10.0.0.7",
			changes: { name: { from: null, to: "A" } }
		});
		expect(auditUpdate(ctx, "department", { _id: "d1", tenantId: "t1" }, { name: "B" }).event).toMatchObject({ operation: "updated" });
		const system = auditRemoval({ meta: { user: { id: "system", tenantId: "t1", roles: ["hr"], employeeId: null, sessionId: "system" } } }, "holiday", {
			_id: "h1",
			tenantId: "t1"
		});
		expect(system.event).toMatchObject({
			operation: "removed",
			actor: { userId: "system", role: "system" },
			action: "system",
			requestId: null,
			clientIp: null
		});
	});

	it("names who acted when no token says so: the person signing in, a job, a saga's undo step for the staff member", () => {
		const signingIn = auditCreation(
			actingAs(
				{ meta: { clientIp: "10.0.0.8" }, requestID: "req-2", action: { name: "identity.login" } },
				{ _id: "u2", tenantId: "t1", role: "manager" }
			),
			"session",
			{ _id: "s1", tenantId: "t1" }
		);
		expect(signingIn.event).toMatchObject({
			actor: { userId: "u2", role: "manager", roles: ["manager"] },
			action: "identity.login",
			requestId: "req-2",
			clientIp: "10.0.0.8"
		});

		const job = auditUpdate(systemAudit("leave.leaveRollover"), "leaveEntitlement", { _id: "e1", tenantId: "t1", days: 1 }, { days: 2 });
		expect(job.event).toMatchObject({
			actor: { userId: "system", role: "system", roles: [], job: "leave.leaveRollover" },
			action: "leave.leaveRollover",
			requestId: null
		});

		const undo = auditRemoval(onBehalfOf({ ...ctx, action: { name: "employees.undoHire" } }, "onboarding.undoHire"), "employee", {
			_id: "x1",
			tenantId: "t1"
		});
		expect(undo.event).toMatchObject({
			actor: { userId: "system", role: "system", job: "onboarding.undoHire", onBehalfOf: "u1" },
			action: "employees.undoHire",
			requestId: "req-1",
			clientIp: "10.0.0.7"
		});
		// A person's own action names no job.
		expect(auditCreation(ctx, "department", { _id: "d1", tenantId: "t1" }).event).not.toHaveProperty("actor.job");
	});
});
