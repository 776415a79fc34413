/** Helpers for the suites that hire employees and link users to them over HTTP. */
import request from "supertest";
import { type Session, bearer, createUser, uniqueEmail } from "./http";

export { startRoomySystem } from "./local-system";

export interface HiredEmployee {
	id: string;
	firstName: string;
	lastName: string;
	workEmail: string;
	employeeNumber: string;
	managerId: string | null;
	departmentId: string | null;
	positionId: string | null;
	status: "active" | "terminated";
	hireDate: string;
	[field: string]: unknown;
}

/** A valid hire body with a unique work email; `overrides` win. */
export function employeeBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return { firstName: "Erin", lastName: "Example", workEmail: uniqueEmail("erin"), hireDate: "2024-01-15", ...overrides };
}

/** Hires as `by`, and fails loudly unless the answer is 201. */
export async function hire(url: string, by: Session, overrides: Record<string, unknown> = {}): Promise<HiredEmployee> {
	const res = await request(url).post("/api/v1/employees").set(bearer(by.accessToken)).send(employeeBody(overrides));
	if (res.status !== 201) throw new Error(`hire failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body;
}

/** A user with `role` invited as the employee's account, who accepted and is signed in. */
export function linkedUser(url: string, owner: Session, role: string, employeeId: string): Promise<{ id: string; email: string } & Session> {
	return createUser(url, owner, role, employeeId);
}

export async function createDepartment(url: string, by: Session, name: string): Promise<string> {
	const res = await request(url).post("/api/v1/departments").set(bearer(by.accessToken)).send({ name });
	if (res.status !== 201) throw new Error(`department failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body.id;
}

export async function createPosition(url: string, by: Session, title: string): Promise<string> {
	const res = await request(url).post("/api/v1/positions").set(bearer(by.accessToken)).send({ title });
	if (res.status !== 201) throw new Error(`position failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body.id;
}
