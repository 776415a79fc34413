/** Helpers for the leave suites: people linked to employees, leave fixtures, and a leave-event listener. */
import type { ServiceBroker } from "moleculer";
import request from "supertest";
import type { AuthUser } from "../../lib/meta";
import { LeaveEvents } from "../../lib/names/leave";
import { hire, linkedUser } from "./employees";
import { type Session, type Signup, bearer } from "./http";
import { subscribed } from "./channels";

export type As = { accessToken: string };

/** Thin supertest wrappers under /api/v1 with a bearer token. */
export function client(url: string) {
	const at = (path: string) => `/api/v1${path}`;
	return {
		get: (path: string, as: As, query: Record<string, unknown> = {}) => request(url).get(at(path)).query(query).set(bearer(as.accessToken)),
		post: (path: string, as: As, body: object = {}) => request(url).post(at(path)).set(bearer(as.accessToken)).send(body),
		patch: (path: string, as: As, body: object = {}) => request(url).patch(at(path)).set(bearer(as.accessToken)).send(body),
		del: (path: string, as: As) => request(url).delete(at(path)).set(bearer(as.accessToken))
	};
}

function expectStatus(what: string, res: request.Response, status = 201): void {
	if (res.status !== status) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** An employee with a user of `role` linked to it, logged in after the link (the token carries employeeId). */
export interface Person extends Session {
	employeeId: string;
	userId: string;
}

export async function person(url: string, owner: Signup, role: string, managerId: string | null = null): Promise<Person> {
	const employee = await hire(url, owner, { managerId });
	const user = await linkedUser(url, owner, role, employee.id);
	return { employeeId: employee.id, userId: user.id, accessToken: user.accessToken, refreshToken: user.refreshToken };
}

export interface LeaveTypeBody {
	name: string;
	paid?: boolean;
	yearlyAllowance?: number;
	carryOverCap?: number;
	allowNegative?: boolean;
}

export async function leaveType(url: string, by: As, body: LeaveTypeBody): Promise<{ id: string; name: string }> {
	const res = await client(url).post("/leave-types", by, { paid: true, yearlyAllowance: 20, ...body });
	expectStatus("leave type", res);
	return res.body;
}

export async function entitle(url: string, by: As, employeeId: string, leaveTypeId: string, year: number, days: number, carriedOver = 0): Promise<string> {
	const res = await client(url).post("/leave-entitlements", by, { employeeId, leaveTypeId, year, days, carriedOver });
	expectStatus("entitlement", res);
	return res.body.id;
}

export async function holiday(url: string, by: As, date: string, name = "Holiday"): Promise<string> {
	const res = await client(url).post("/holidays", by, { date, name });
	expectStatus("holiday", res);
	return res.body.id;
}

export interface RequestBody {
	leaveTypeId: string;
	startDate: string;
	endDate: string;
	employeeId?: string;
	halfDayStart?: boolean;
	halfDayEnd?: boolean;
	reason?: string | null;
}

/** Makes a request that must be accepted; answers the stored request. */
export async function requestLeave(url: string, by: As, body: RequestBody): Promise<{ id: string; days: number; status: string; employeeId: string }> {
	const res = await client(url).post("/leave-requests", by, body);
	expectStatus("leave request", res);
	return res.body;
}

const DAY_MS = 86_400_000;
/** Monday, 7 January 2030. */
const FIRST_MONDAY = Date.UTC(2030, 0, 7);

/** The date `weekday` days (0 = Monday) into week `week` of 2030, counting from 7 January. */
export function day(week: number, weekday = 0): string {
	return new Date(FIRST_MONDAY + (week * 7 + weekday) * DAY_MS).toISOString().slice(0, 10);
}

/** Monday to Friday of week `week` of 2030. */
export function workWeek(week: number): { startDate: string; endDate: string } {
	return { startDate: day(week, 0), endDate: day(week, 4) };
}

/** The signed-in user a broker call carries, as the gateway would set it. */
export function metaUser(owner: Signup): AuthUser {
	return { id: owner.user.id, tenantId: owner.tenant.id, roles: ["owner"], employeeId: null, sessionId: "test-session" };
}

export interface LeaveEvent {
	event: string;
	payload: Record<string, unknown>;
}

export interface LeaveEventLog {
	events: LeaveEvent[];
	/** The first event (already seen or still to come) that matches. */
	next(match: (e: LeaveEvent) => boolean): Promise<LeaveEvent>;
	/** Every event seen so far about a request. */
	about(requestId: string): LeaveEvent[];
}

/** A consumer group of the test's own that records every leave event the system publishes. */
export async function listenToLeaveEvents(broker: ServiceBroker): Promise<LeaveEventLog> {
	const events: LeaveEvent[] = [];
	const waiters: Array<{ match: (e: LeaveEvent) => boolean; resolve: (e: LeaveEvent) => void }> = [];
	const record = (event: string) => (payload: Record<string, unknown>) => {
		const entry = { event, payload };
		events.push(entry);
		for (const waiter of waiters.filter(w => w.match(entry))) {
			waiters.splice(waiters.indexOf(waiter), 1);
			waiter.resolve(entry);
		}
	};
	const name = "leave-test-listener";
	broker.createService({
		name,
		channels: {
			[LeaveEvents.requestDecided]: { handler: record(LeaveEvents.requestDecided) },
			[LeaveEvents.requested]: { handler: record(LeaveEvents.requested) }
		}
	});
	await Promise.all([subscribed(broker, name, LeaveEvents.requestDecided), subscribed(broker, name, LeaveEvents.requested)]);
	return {
		events,
		next: match => {
			const seen = events.find(match);
			return seen ? Promise.resolve(seen) : new Promise(resolve => waiters.push({ match, resolve }));
		},
		about: requestId => events.filter(e => e.payload.requestId === requestId)
	};
}
