/** HTTP helpers shared by the suites that drive the gateway. */
import { randomUUID } from "node:crypto";
import request from "supertest";
import { mailTo, tokenOf } from "./mail";

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

/** Signs up as a new owner and follows the mailed link, as a person does; answers the signed-in owner. */
export async function signup(url: string, company = "Acme", email = uniqueEmail("owner")): Promise<Signup> {
	const asked = await request(url).post("/api/v1/auth/signup").send({ company, name: "Olivia Owner", email, password: PASSWORD });
	if (asked.status !== 202) throw new Error(`signup failed: ${asked.status} ${JSON.stringify(asked.body)}`);
	const token = tokenOf(await mailTo(email, "signup"));
	// The password chosen at signup, asked again: it proves the one who follows the link signed up.
	const res = await request(url).post("/api/v1/auth/activate").send({ token, password: PASSWORD });
	if (res.status !== 201) throw new Error(`activation failed: ${res.status} ${JSON.stringify(res.body)}`);
	return { ...res.body, email };
}

/**
 * Follows the newest invitation to `email`, choosing `password` (null: the person has one
 * already); answers the activation's body (user and tokens).
 */
export async function acceptInvitation(url: string, email: string, password: string | null = PASSWORD) {
	const token = tokenOf(await mailTo(email, "invitation"));
	const res = await request(url)
		.post("/api/v1/auth/activate")
		.send(password === null ? { token } : { token, password });
	if (res.status !== 200) throw new Error(`accepting the invitation failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body;
}

export async function login(url: string, email: string, password = PASSWORD): Promise<Session> {
	const res = await request(url).post("/api/v1/auth/login").send({ email, password });
	if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body;
}

/** Invites a user with `role` as `by` (linked to `employeeId` when given); they accept and are signed in. */
export async function createUser(url: string, by: Session, role: string, employeeId?: string): Promise<{ id: string; email: string } & Session> {
	const email = uniqueEmail(role);
	const res = await request(url)
		.post("/api/v1/users")
		.set(bearer(by.accessToken))
		.send({ email, name: `A ${role}`, role, ...(employeeId ? { employeeId } : {}) });
	if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${JSON.stringify(res.body)}`);
	const accepted = await acceptInvitation(url, email);
	return { id: res.body.id, email, accessToken: accepted.accessToken, refreshToken: accepted.refreshToken };
}
