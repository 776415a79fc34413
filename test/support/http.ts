/** HTTP helpers shared by the suites that drive the gateway. */
import { randomUUID } from "node:crypto";
import request from "supertest";

export const PASSWORD = "Sturdy-Password-42";

export interface Session {
	accessToken: string;
	refreshToken: string;
}

export interface Signup extends Session {
	tenant: { id: string; name: string };
	user: { id: string; tenantId: string; email: string; role: string };
	email: string;
}

export function uniqueEmail(prefix = "user"): string {
	return `${prefix}-${randomUUID().slice(0, 8)}@example.test`;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export async function signup(url: string, company = "Acme"): Promise<Signup> {
	const email = uniqueEmail("owner");
	const res = await request(url).post("/api/v1/auth/signup").send({ company, name: "Olivia Owner", email, password: PASSWORD });
	if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
	return { ...res.body, email };
}

export async function login(url: string, email: string, password = PASSWORD): Promise<Session> {
	const res = await request(url).post("/api/v1/auth/login").send({ email, password });
	if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body;
}

/** Creates a user with `role` as `by`, and logs them in. */
export async function createUser(url: string, by: Session, role: string): Promise<{ id: string; email: string } & Session> {
	const email = uniqueEmail(role);
	const res = await request(url).post("/api/v1/users").set(bearer(by.accessToken)).send({ email, name: `A ${role}`, role, password: PASSWORD });
	if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${JSON.stringify(res.body)}`);
	return { id: res.body.id, email, ...(await login(url, email)) };
}
