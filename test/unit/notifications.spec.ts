/** The plain parts of notifications: channel choice, message text, the system caller. */
import { SYSTEM_USER_ID, systemCaller } from "../../lib/meta";
import { smsText } from "../../lib/notifications/messages";
import { DEFAULT_PREFERENCES, channelsFor } from "../../lib/notifications/preferences";
import { notificationId } from "../../services/data/notifications.parts/shared";

describe("notifications", () => {
	it("a type's own choice wins over the general one, channel by channel", () => {
		const prefs = { email: false, sms: true, types: { "leave.decided": { email: true }, "employee.hired": { sms: false } } };
		expect(channelsFor(prefs, "leave.decided")).toEqual({ email: true, sms: true });
		expect(channelsFor(prefs, "employee.hired")).toEqual({ email: false, sms: false });
		expect(channelsFor(prefs, "interview.scheduled")).toEqual({ email: false, sms: true });
		expect(channelsFor(DEFAULT_PREFERENCES, "leave.requested")).toEqual({ email: true, sms: false });
	});

	it("a text message fits one SMS", () => {
		expect(smsText({ title: "Hi", body: "short" })).toBe("Hi: short");
		const long = smsText({ title: "Leave request to decide", body: "x".repeat(300) });
		expect(long).toHaveLength(160);
		expect(long.endsWith("…")).toBe(true);
	});

	it("an entry's id is the same for the same event and recipient, and differs otherwise", () => {
		expect(notificationId("e1", "u1")).toBe(notificationId("e1", "u1"));
		expect(notificationId("e1", "u1")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
		expect(new Set([notificationId("e1", "u1"), notificationId("e1", "u2"), notificationId("e2", "u1"), notificationId("e1u", "1")]).size).toBe(4);
	});

	it("the system caller is of the tenant, acts as hr, and is no user", () => {
		expect(systemCaller("t1")).toEqual({ user: { id: SYSTEM_USER_ID, tenantId: "t1", roles: ["hr"], employeeId: null, sessionId: SYSTEM_USER_ID } });
		expect(SYSTEM_USER_ID).not.toMatch(/^[0-9a-f-]{36}$/);
	});
});
