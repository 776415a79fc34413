/**
 * The gateway's REST contract, driven over HTTP. It runs twice: against the one-process broker
 * (gateway.spec.ts) and against a gateway node and an identity node over NATS (test/cluster).
 */
import { type JWTPayload, SignJWT, decodeJwt } from "jose";
import request from "supertest";
import { PASSWORD, type Signup, bearer, createUser, login, signup, uniqueEmail } from "../support/http";
import { mailTo, tokenOf } from "../support/mail";

export interface GatewayTarget {
	url: string;
	jwtSecret: string;
	/** Takes the identity service away, as when its last node dies. */
	stopIdentity(): Promise<void>;
	stop(): Promise<void>;
}

/**
 * A token the gateway issued, its claims changed by `change` and signed again with the real
 * secret: what a holder of the secret (another service sharing it, a leaked test key) could make.
 */
async function resigned(secret: string, token: string, change: (claims: JWTPayload) => void): Promise<string> {
	const claims = decodeJwt(token);
	change(claims);
	return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
}

function expiredToken(secret: string, owner: Signup): Promise<string> {
	const issuedAt = Math.floor(Date.now() / 1000) - 3600;
	return resigned(secret, owner.accessToken, claims => {
		claims.iat = issuedAt;
		claims.exp = issuedAt + 60;
	});
}

export function defineGatewaySuite(title: string, start: () => Promise<GatewayTarget>): void {
	describe(title, () => {
		let target: GatewayTarget;
		let url: string;

		beforeAll(async () => {
			target = await start();
			url = target.url;
		});
		afterAll(() => target?.stop());

		describe("signup and login", () => {
			it("signs a company up once the mailed link is followed: 201 with its tenant, owner and a token pair", async () => {
				const email = uniqueEmail();
				const asked = await request(url).post("/api/v1/auth/signup").send({ company: "Acme", name: "Ann", email, password: PASSWORD });
				expect(asked.status).toBe(202);
				expect(asked.body).toMatchObject({ status: "pending" });
				// Nothing exists until the mailbox owner follows the link.
				expect((await request(url).post("/api/v1/auth/login").send({ email, password: PASSWORD })).status).toBe(401);
				const token = tokenOf(await mailTo(email, "signup"));
				const res = await request(url).post("/api/v1/auth/activate").send({ token, password: PASSWORD });
				expect(res.status).toBe(201);
				expect(res.body.tenant).toMatchObject({ name: "Acme" });
				expect(res.body.user).toMatchObject({ email, role: "owner", tenantId: res.body.tenant.id, status: "active" });
				expect(res.body.user).not.toHaveProperty("passwordHash");
				expect(res.body).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: "Bearer" });
				const me = await request(url).get("/api/v1/me").set(bearer(res.body.accessToken));
				expect(me.status).toBe(200);
				expect(me.body).toMatchObject({ id: res.body.user.id, tenant: { id: res.body.tenant.id } });
			});

			it("answers a signup with a known email as any other, and its link opens a second company for the same account", async () => {
				const first = await signup(url);
				const fresh = await request(url).post("/api/v1/auth/signup").send({ company: "Copy", name: "X", email: uniqueEmail(), password: PASSWORD });
				const known = await request(url)
					.post("/api/v1/auth/signup")
					.send({ company: "Copy", name: "X", email: first.email.toUpperCase(), password: "Another-Sturdy-Phrase-77" });
				expect(known.status).toBe(202);
				expect(known.body).toEqual(fresh.body);
				// Someone else's signup with this address changes nothing: the first password still works.
				const me = await request(url)
					.get("/api/v1/me")
					.set(bearer((await login(url, first.email)).accessToken));
				expect(me.body.tenant.name).toBe("Acme");
				expect(me.body.companies).toHaveLength(1);
				const mail = await mailTo(first.email, "signupExisting");
				const opened = await request(url)
					.post("/api/v1/auth/activate")
					.send({ token: tokenOf(mail) });
				expect(opened.status).toBe(201);
				expect(opened.body.tenant.name).toBe("Copy");
				expect((await request(url).post("/api/v1/auth/login").send({ email: first.email, password: "Another-Sturdy-Phrase-77" })).status).toBe(401);
				const again = await request(url).post("/api/v1/auth/login").send({ email: first.email, password: PASSWORD });
				expect(again.body.companies.map((c: { name: string }) => c.name).sort()).toEqual(["Acme", "Copy"]);
			});

			it("answers wrong credentials with the same 401 whether the email exists or not", async () => {
				const owner = await signup(url);
				const wrongPassword = await request(url).post("/api/v1/auth/login").send({ email: owner.email, password: "Not-The-Password-1" });
				const unknownEmail = await request(url).post("/api/v1/auth/login").send({ email: uniqueEmail(), password: "Not-The-Password-1" });
				expect(wrongPassword.status).toBe(401);
				expect(unknownEmail.status).toBe(401);
				expect(unknownEmail.body).toEqual(wrongPassword.body);
				expect(wrongPassword.headers["www-authenticate"]).toBe("Bearer");
			});

			it("rejects a weak password naming the field, and creates nothing", async () => {
				const email = uniqueEmail();
				const res = await request(url).post("/api/v1/auth/signup").send({ company: "Weak", name: "W", email, password: "short" });
				expect(res.status).toBe(422);
				expect(res.body.data).toEqual([expect.objectContaining({ field: "password" })]);
				expect((await request(url).post("/api/v1/auth/login").send({ email, password: "short" })).status).toBe(401);
			});
		});

		describe("access tokens", () => {
			let owner: Signup;
			beforeAll(async () => {
				owner = await signup(url);
			});

			it("401 with WWW-Authenticate: Bearer when the token is missing", async () => {
				const res = await request(url).get("/api/v1/me");
				expect(res.status).toBe(401);
				expect(res.headers["www-authenticate"]).toBe("Bearer");
				expect(res.body).toMatchObject({ name: "UnauthorizedError", code: 401, type: "NO_TOKEN" });
				expect(res.body).not.toHaveProperty("stack");
			});

			it.each([
				["another scheme", "Basic dXNlcjpwYXNz"],
				["Bearer alone", "Bearer"],
				["two words", "Bearer abc def"]
			])("401 NO_TOKEN with a plain WWW-Authenticate: Bearer for an Authorization header that holds no Bearer token (%s)", async (_case, header) => {
				const res = await request(url).get("/api/v1/me").set("Authorization", header);
				expect(res.status).toBe(401);
				expect({ type: res.body.type, challenge: res.headers["www-authenticate"] }).toEqual({ type: "NO_TOKEN", challenge: "Bearer" });
			});

			it("401 for a tampered token", async () => {
				const [head, payload, signature] = owner.accessToken.split(".");
				const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
				const forged = Buffer.from(JSON.stringify({ ...claims, roles: ["owner"], tid: "someone-else" })).toString("base64url");
				const res = await request(url)
					.get("/api/v1/me")
					.set(bearer(`${head}.${forged}.${signature}`));
				expect(res.status).toBe(401);
				expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
				expect((await request(url).get("/api/v1/me").set(bearer("not-a-jwt"))).status).toBe(401);
			});

			it("401 for an expired token", async () => {
				const res = await request(url)
					.get("/api/v1/me")
					.set(bearer(await expiredToken(target.jwtSecret, owner)));
				expect(res.status).toBe(401);
				expect(res.body.type).toBe("TOKEN_EXPIRED");
			});

			it("accepts its own token signed again unchanged (what the cases below change one claim of)", async () => {
				const res = await request(url)
					.get("/api/v1/me")
					.set(bearer(await resigned(target.jwtSecret, owner.accessToken, () => {})));
				expect(res.status).toBe(200);
			});

			it.each<[string, (claims: JWTPayload) => void]>([
				["no expiry (exp)", claims => delete claims.exp],
				["no issue time (iat)", claims => delete claims.iat],
				["another audience", claims => (claims.aud = "another-api")],
				["no audience", claims => delete claims.aud],
				["another issuer", claims => (claims.iss = "someone-else")],
				["no issuer", claims => delete claims.iss]
			])("401 for a token with the right signature but %s", async (_case, change) => {
				const res = await request(url)
					.get("/api/v1/me")
					.set(bearer(await resigned(target.jwtSecret, owner.accessToken, change)));
				expect(res.status).toBe(401);
				expect(res.body).toMatchObject({ name: "UnauthorizedError", type: "INVALID_TOKEN" });
				expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
			});

			it("logout (204) ends both the access and the refresh token", async () => {
				const session = await login(url, owner.email);
				const out = await request(url).post("/api/v1/auth/logout").set(bearer(session.accessToken)).send({ refreshToken: session.refreshToken });
				expect(out.status).toBe(204);
				expect((await request(url).get("/api/v1/me").set(bearer(session.accessToken))).status).toBe(401);
				expect((await request(url).post("/api/v1/auth/refresh").send({ refreshToken: session.refreshToken })).status).toBe(401);
				// Other sessions of the same user go on.
				expect((await request(url).get("/api/v1/me").set(bearer(owner.accessToken))).status).toBe(200);
			});

			it("a disabled user's tokens stop working at once", async () => {
				const employee = await createUser(url, owner, "employee");
				expect((await request(url).get("/api/v1/me").set(bearer(employee.accessToken))).status).toBe(200);
				expect((await request(url).delete(`/api/v1/users/${employee.id}`).set(bearer(owner.accessToken))).status).toBe(204);
				expect((await request(url).get("/api/v1/me").set(bearer(employee.accessToken))).status).toBe(401);
				expect((await request(url).post("/api/v1/auth/refresh").send({ refreshToken: employee.refreshToken })).status).toBe(401);
				expect((await request(url).post("/api/v1/auth/login").send({ email: employee.email, password: PASSWORD })).status).toBe(401);
			});
		});

		describe("refresh tokens", () => {
			it("rotate on every use", async () => {
				const owner = await signup(url);
				const res = await request(url).post("/api/v1/auth/refresh").send({ refreshToken: owner.refreshToken });
				expect(res.status).toBe(200);
				expect(res.body.refreshToken).not.toBe(owner.refreshToken);
				expect((await request(url).get("/api/v1/me").set(bearer(res.body.accessToken))).status).toBe(200);
				const again = await request(url).post("/api/v1/auth/refresh").send({ refreshToken: res.body.refreshToken });
				expect(again.status).toBe(200);
			});

			it("reusing a rotated token revokes the whole family", async () => {
				const owner = await signup(url);
				const rotated = (await request(url).post("/api/v1/auth/refresh").send({ refreshToken: owner.refreshToken })).body;
				const reuse = await request(url).post("/api/v1/auth/refresh").send({ refreshToken: owner.refreshToken });
				expect(reuse.status).toBe(401);
				expect(reuse.body.type).toBe("REFRESH_TOKEN_REUSED");
				// The thief's copy and the rightful holder's newer token both die.
				expect((await request(url).post("/api/v1/auth/refresh").send({ refreshToken: rotated.refreshToken })).status).toBe(401);
				expect((await request(url).get("/api/v1/me").set(bearer(rotated.accessToken))).status).toBe(401);
			});

			it("401 for a made-up refresh token", async () => {
				const res = await request(url).post("/api/v1/auth/refresh").send({ refreshToken: "garbage" });
				expect(res.status).toBe(401);
			});
		});

		describe("users, roles and tenants", () => {
			let acme: Signup;
			let globex: Signup;
			beforeAll(async () => {
				[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
			});

			it("hr creates an employee; the employee cannot create or list users (403)", async () => {
				const hr = await createUser(url, acme, "hr");
				const employee = await createUser(url, hr, "employee");
				const create = await request(url)
					.post("/api/v1/users")
					.set(bearer(employee.accessToken))
					.send({ email: uniqueEmail(), name: "N", role: "employee" });
				expect(create.status).toBe(403);
				expect(create.body).toMatchObject({ name: "ForbiddenError", code: 403 });
				expect((await request(url).get("/api/v1/users").set(bearer(employee.accessToken))).status).toBe(403);
				expect((await request(url).get(`/api/v1/users/${employee.id}`).set(bearer(employee.accessToken))).status).toBe(200);
				expect((await request(url).get(`/api/v1/users/${hr.id}`).set(bearer(employee.accessToken))).status).toBe(403);
			});

			it("nobody grants a role above their own", async () => {
				const hr = await createUser(url, acme, "hr");
				const res = await request(url).post("/api/v1/users").set(bearer(hr.accessToken)).send({ email: uniqueEmail(), name: "N", role: "admin" });
				expect(res.status).toBe(403);
			});

			it("another tenant's user is 404 on every route", async () => {
				const acmeUser = await createUser(url, acme, "employee");
				const as = bearer(globex.accessToken);
				expect((await request(url).get(`/api/v1/users/${acmeUser.id}`).set(as)).status).toBe(404);
				expect((await request(url).patch(`/api/v1/users/${acmeUser.id}`).set(as).send({ name: "Hijacked" })).status).toBe(404);
				expect((await request(url).delete(`/api/v1/users/${acmeUser.id}`).set(as)).status).toBe(404);
				const still = await request(url).get(`/api/v1/users/${acmeUser.id}`).set(bearer(acme.accessToken));
				expect(still.body).toMatchObject({ name: "A employee", status: "active" });
				const list = await request(url).get("/api/v1/users").set(as);
				expect(list.body.rows.map((u: { tenantId: string }) => u.tenantId)).toEqual(list.body.rows.map(() => globex.tenant.id));
			});

			it("ignores a tenant id sent by the client in body, query or header", async () => {
				const email = uniqueEmail();
				const res = await request(url)
					.post(`/api/v1/users?tenantId=${acme.tenant.id}`)
					.set({ ...bearer(globex.accessToken), "X-Tenant-Id": acme.tenant.id })
					.send({ email, name: "Sneaky", role: "employee", tenantId: acme.tenant.id });
				expect(res.status).toBe(201);
				expect(res.body.tenantId).toBe(globex.tenant.id);
				const acmeList = await request(url).get("/api/v1/users").query({ search: email }).set(bearer(acme.accessToken));
				expect(acmeList.body.total).toBe(0);
			});

			it("lists with paging, filters and sort, in the list shape", async () => {
				const res = await request(url)
					.get("/api/v1/users")
					.query({ page: 1, pageSize: 2, sort: "-createdAt", role: "owner" })
					.set(bearer(acme.accessToken));
				expect(res.status).toBe(200);
				expect(res.body).toMatchObject({ page: 1, pageSize: 2, total: 1, totalPages: 1 });
				expect(res.body.rows[0]).toMatchObject({ id: acme.user.id, role: "owner" });
				const badSort = await request(url).get("/api/v1/users").query({ sort: "passwordHash" }).set(bearer(acme.accessToken));
				expect(badSort.status).toBe(422);
				expect(badSort.body.data[0].field).toBe("sort");
				const badFilter = await request(url).get("/api/v1/users").query({ salary: 1 }).set(bearer(acme.accessToken));
				expect(badFilter.status).toBe(422);
				expect(badFilter.body.data[0].field).toBe("salary");
				const tooBig = await request(url).get("/api/v1/users").query({ pageSize: 1000 }).set(bearer(acme.accessToken));
				expect(tooBig.status).toBe(422);
			});

			it("updates a user, and a duplicate email is 409", async () => {
				const employee = await createUser(url, acme, "employee");
				const res = await request(url).patch(`/api/v1/users/${employee.id}`).set(bearer(acme.accessToken)).send({ name: "Renamed", role: "manager" });
				expect(res.status).toBe(200);
				expect(res.body).toMatchObject({ name: "Renamed", role: "manager" });
				const dup = await request(url)
					.post("/api/v1/users")
					.set(bearer(acme.accessToken))
					.send({ email: employee.email.toUpperCase(), name: "Dup", role: "employee" });
				expect(dup.status).toBe(409);
				expect(dup.body.data).toEqual({ field: "email" });
			});
		});

		describe("bad input changes nothing", () => {
			let owner: Signup;
			beforeAll(async () => {
				owner = await signup(url);
			});

			it("malformed JSON is 400", async () => {
				const res = await request(url)
					.post("/api/v1/users")
					.set(bearer(owner.accessToken))
					.set("Content-Type", "application/json")
					.send('{"email": "x@y.z",');
				expect(res.status).toBe(400);
				expect(res.body).toMatchObject({ name: "BadRequestError", code: 400, type: "INVALID_JSON" });
				// Valid JSON, but no object: the message must not call it invalid JSON.
				const nothing = await request(url).post("/api/v1/users").set(bearer(owner.accessToken)).set("Content-Type", "application/json").send("null");
				expect(nothing.status).toBe(400);
				expect(nothing.body).toMatchObject({ type: "INVALID_JSON", message: "The request body is not a JSON object or array" });
			});

			it("a body in another charset than UTF-8 is 415, and an empty PATCH changes nothing", async () => {
				const before = (await request(url).get("/api/v1/me").set(bearer(owner.accessToken))).body;
				const utf16 = await request(url)
					.patch(`/api/v1/users/${owner.user.id}`)
					.set(bearer(owner.accessToken))
					.set("Content-Type", "application/json; charset=utf-16")
					.send("{");
				expect(utf16.status).toBe(415);
				const empty = await request(url).patch(`/api/v1/users/${owner.user.id}`).set(bearer(owner.accessToken)).send({});
				expect(empty.status).toBe(200);
				expect((await request(url).get("/api/v1/me").set(bearer(owner.accessToken))).body).toEqual(before);
			});

			it("an oversized body is 413", async () => {
				const res = await request(url)
					.post("/api/v1/auth/signup")
					.send({ company: "x".repeat(200_000), name: "n", email: uniqueEmail(), password: PASSWORD });
				expect(res.status).toBe(413);
				expect(res.body.type).toBe("PAYLOAD_TOO_LARGE");
			});

			it("unknown fields are 422 naming the field", async () => {
				const res = await request(url).patch(`/api/v1/users/${owner.user.id}`).set(bearer(owner.accessToken)).send({ name: "New", isAdmin: true });
				expect(res.status).toBe(422);
				expect(res.body.data).toEqual([expect.objectContaining({ field: "isAdmin" })]);
				const me = await request(url).get("/api/v1/me").set(bearer(owner.accessToken));
				expect(me.body.name).toBe("Olivia Owner");
			});

			it("an operator object where a string belongs is 422", async () => {
				const res = await request(url)
					.post("/api/v1/auth/login")
					.send({ email: owner.email, password: { $ne: "" } });
				expect(res.status).toBe(422);
				expect(res.body.data).toEqual([expect.objectContaining({ field: "password" })]);
				const byEmail = await request(url)
					.post("/api/v1/auth/login")
					.send({ email: { $gt: "" }, password: PASSWORD });
				expect(byEmail.status).toBe(422);
			});

			it("an unknown route is 404", async () => {
				expect((await request(url).get("/api/v1/nothing-here").set(bearer(owner.accessToken))).status).toBe(404);
			});
		});

		describe("request ids, CORS and health", () => {
			it("returns the client's X-Request-Id, or makes one", async () => {
				const given = await request(url).get("/health/live").set("X-Request-Id", "client-req-42");
				expect(given.headers["x-request-id"]).toBe("client-req-42");
				const made = await request(url).get("/api/v1/me");
				expect(made.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
				const hostile = await request(url).get("/health/live").set("X-Request-Id", "<script>");
				expect(hostile.headers["x-request-id"]).not.toBe("<script>");
			});

			it("answers a CORS preflight", async () => {
				const res = await request(url).options("/api/v1/me").set("Origin", "https://app.example.test").set("Access-Control-Request-Method", "GET");
				expect(res.status).toBe(204);
				expect(res.headers["access-control-allow-origin"]).toBeDefined();
			});

			it("is live and ready", async () => {
				expect((await request(url).get("/health/live")).body).toEqual({ status: "ok" });
				const ready = await request(url).get("/health/ready");
				expect(ready.status).toBe(200);
				expect(ready.body.checks.identity).toBe("ok");
			});
		});

		describe("no cache keeps a token", () => {
			it("Cache-Control: no-store on what signup, activation, login, switch and refresh answer, and on their errors", async () => {
				const email = uniqueEmail();
				const asked = await request(url).post("/api/v1/auth/signup").send({ company: "Cacheless", name: "C", email, password: PASSWORD });
				const activated = await request(url)
					.post("/api/v1/auth/activate")
					.send({ token: tokenOf(await mailTo(email, "signup")), password: PASSWORD });
				const answers: Array<[string, request.Response]> = [
					["signup", asked],
					["activation", activated],
					[
						"activation of a used link",
						await request(url)
							.post("/api/v1/auth/activate")
							.send({ token: tokenOf(await mailTo(email, "signup")) })
					],
					[
						"signup with a weak password",
						await request(url).post("/api/v1/auth/signup").send({ company: "Weak", name: "W", email: uniqueEmail(), password: "short" })
					],
					["login", await request(url).post("/api/v1/auth/login").send({ email, password: PASSWORD })],
					["login with a wrong password", await request(url).post("/api/v1/auth/login").send({ email, password: "Not-The-Password-1" })],
					[
						"switch",
						await request(url).post("/api/v1/auth/switch").set(bearer(activated.body.accessToken)).send({ companyId: activated.body.tenantId })
					],
					["refresh", await request(url).post("/api/v1/auth/refresh").send({ refreshToken: activated.body.refreshToken })],
					["refresh with a made-up token", await request(url).post("/api/v1/auth/refresh").send({ refreshToken: "garbage" })]
				];
				const seen = answers.map(([what, res]) => ({ what, status: res.status, cacheControl: res.headers["cache-control"] }));
				expect(seen.map(s => s.status)).toEqual([202, 201, 410, 422, 200, 401, 200, 200, 401]);
				expect(seen).toEqual(seen.map(s => ({ ...s, cacheControl: "no-store" })));
			});
		});

		describe("HEAD", () => {
			it("answers as GET does on every GET route, status and headers, without a body; a path without GET is still 405", async () => {
				const owner = await signup(url);
				const as = bearer(owner.accessToken);
				for (const path of ["/api/v1/me", "/api/v1/employees?pageSize=1", "/api/v1/no-such-route"]) {
					const [head, get] = [await request(url).head(path).set(as), await request(url).get(path).set(as)];
					expect({ path, status: head.status, type: head.headers["content-type"], body: head.text ?? "" }).toEqual({
						path,
						status: get.status,
						type: get.headers["content-type"],
						body: ""
					});
				}
				const logout = await request(url).head("/api/v1/auth/logout").set(as);
				expect(logout.status).toBe(405);
				expect(logout.headers.allow).toContain("POST");
			});
		});

		describe("answers that hold someone's data", () => {
			it("Cache-Control: private, no-store on whatever a request with credentials gets, errors included; none on anonymous health", async () => {
				const owner = await signup(url);
				const as = bearer(owner.accessToken);
				const hired = await request(url)
					.post("/api/v1/employees")
					.set(as)
					.send({ firstName: "P", lastName: "Q", workEmail: uniqueEmail(), hireDate: "2024-01-01" });
				for (const res of [
					await request(url).get(`/api/v1/employees/${hired.body.id}`).set(as),
					await request(url).get("/api/v1/me").set(as),
					await request(url).get("/api/v1/employees/export.csv").set(as),
					await request(url).get("/api/v1/employees/no-such-id").set(as)
				]) {
					expect({ status: res.status, cacheControl: res.headers["cache-control"] }).toEqual({
						status: res.status,
						cacheControl: "private, no-store"
					});
				}
				expect((await request(url).get("/health/live")).headers["cache-control"]).toBeUndefined();
			});
		});

		describe("headers on every response", () => {
			it("X-Content-Type-Options: nosniff on successes, errors, 404s outside any route, preflights and health", async () => {
				const owner = await signup(url);
				const as = bearer(owner.accessToken);
				const answers: Array<[string, Promise<request.Response>]> = [
					["GET /health/live", request(url).get("/health/live")],
					["GET /health/ready", request(url).get("/health/ready")],
					["GET /me", request(url).get("/api/v1/me").set(as)],
					[
						"POST /auth/signup",
						request(url).post("/api/v1/auth/signup").send({ company: "Sniff", name: "S", email: uniqueEmail(), password: PASSWORD })
					],
					["GET /me without a token", request(url).get("/api/v1/me")],
					["PATCH /users/:id with an unknown field", request(url).patch(`/api/v1/users/${owner.user.id}`).set(as).send({ isAdmin: true })],
					["GET /users/:id of nobody", request(url).get("/api/v1/users/no-such-user").set(as)],
					["malformed JSON", request(url).post("/api/v1/users").set(as).set("Content-Type", "application/json").send('{"email": ')],
					["a text/plain body", request(url).post("/api/v1/users").set(as).set("Content-Type", "text/plain").send("hello")],
					[
						"an oversized body",
						request(url)
							.post("/api/v1/auth/signup")
							.send({ company: "x".repeat(200_000), name: "n", email: uniqueEmail(), password: PASSWORD })
					],
					["an unknown API path", request(url).get("/api/v1/nothing-here").set(as)],
					["a path outside every route", request(url).get("/nothing-here")],
					[
						"a CORS preflight",
						request(url).options("/api/v1/me").set("Origin", "https://app.example.test").set("Access-Control-Request-Method", "GET")
					]
				];
				const seen = await Promise.all(
					answers.map(async ([what, answer]) => {
						const res = await answer;
						return { what, status: res.status, nosniff: res.headers["x-content-type-options"] };
					})
				);
				expect(seen.map(s => s.status)).toEqual([200, 200, 200, 202, 401, 422, 404, 400, 415, 413, 404, 404, 204]);
				expect(seen).toEqual(seen.map(s => ({ ...s, nosniff: "nosniff" })));
			});
		});

		describe("methods a path does not take", () => {
			let owner: Signup;
			beforeAll(async () => {
				owner = await signup(url);
			});

			it("405 with Allow naming the methods the path takes (HEAD wherever GET), in the error shape; an unknown path stays 404", async () => {
				const as = bearer(owner.accessToken);
				const answers = await Promise.all([
					request(url).delete("/api/v1/me").set(as),
					request(url).put("/api/v1/users").set(as).send({ name: "X" }),
					// A parameter path, matched as moleculer-web matches it.
					request(url).post(`/api/v1/users/${owner.user.id}`).set(as).send({ name: "X" }),
					request(url).put("/api/v1/users/").set(as).send({ name: "X" })
				]);
				expect(answers.map(res => [res.status, res.headers.allow])).toEqual([
					[405, "GET, HEAD"],
					[405, "GET, HEAD, POST"],
					[405, "DELETE, GET, HEAD, PATCH"],
					[405, "GET, HEAD, POST"]
				]);
				expect(answers[0].body).toEqual({
					name: "MethodNotAllowedError",
					message: "DELETE is not allowed on /api/v1/me; it takes GET, HEAD",
					code: 405,
					type: "METHOD_NOT_ALLOWED",
					data: { allow: ["GET", "HEAD"] }
				});
				// The refused call changed nothing.
				expect((await request(url).get("/api/v1/me").set(as)).body).toMatchObject({ id: owner.user.id, name: "Olivia Owner" });
				const unknown = await request(url).delete("/api/v1/nothing-here").set(as);
				expect(unknown.status).toBe(404);
				expect(unknown.headers).not.toHaveProperty("allow");
			});

			it("a plain OPTIONS (no CORS preflight) answers 204 with Allow, and runs no action", async () => {
				const as = bearer(owner.accessToken);
				const answers = await Promise.all([
					request(url).options("/api/v1/me").set(as),
					request(url).options(`/api/v1/users/${owner.user.id}`).set(as),
					request(url).options("/api/v1/auth/login")
				]);
				expect(answers.map(res => [res.status, res.headers.allow, res.text])).toEqual([
					[204, "GET, HEAD, OPTIONS", ""],
					[204, "DELETE, GET, HEAD, PATCH, OPTIONS", ""],
					[204, "POST, OPTIONS", ""]
				]);
			});

			it("a CORS preflight for a method the path does not take still answers 204", async () => {
				const res = await request(url).options("/api/v1/me").set("Origin", "https://app.example.test").set("Access-Control-Request-Method", "DELETE");
				expect(res.status).toBe(204);
				expect(res.headers["access-control-allow-origin"]).toBeDefined();
			});
		});

		describe("one spelling of X-Request-Id", () => {
			it("on successes, errors, 404s, 405s, 415s, preflights and health alike", async () => {
				const owner = await signup(url);
				const as = bearer(owner.accessToken);
				const answers = await Promise.all([
					request(url).get("/health/live"),
					request(url).get("/health/ready"),
					request(url).get("/api/v1/me").set(as),
					request(url).get("/api/v1/me"),
					request(url).patch(`/api/v1/users/${owner.user.id}`).set(as).send({ isAdmin: true }),
					request(url).get("/api/v1/nothing-here").set(as),
					request(url).get("/nothing-here"),
					request(url).delete("/api/v1/me").set(as),
					request(url).post("/api/v1/users").set(as).set("Content-Type", "text/plain").send("hello"),
					request(url).options("/api/v1/me").set("Origin", "https://app.example.test").set("Access-Control-Request-Method", "GET")
				]);
				expect(answers.map(res => res.status)).toEqual([200, 200, 200, 401, 422, 404, 404, 405, 415, 204]);
				// Header names as sent on the wire: supertest's `headers` lower-cases them.
				const spellings = answers.map(res => {
					const raw = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
					return raw.filter((_, i) => i % 2 === 0 && raw[i].toLowerCase() === "x-request-id");
				});
				expect(spellings).toEqual(answers.map(() => ["X-Request-Id"]));
			});
		});

		// Last: it takes the identity service away.
		describe("when no node serves an action", () => {
			it("answers 503 and says it is not ready", async () => {
				const owner = await signup(url);
				await target.stopIdentity();
				const res = await request(url).get("/api/v1/users").set(bearer(owner.accessToken));
				expect(res.status).toBe(503);
				expect(res.body).toMatchObject({ name: "ServiceUnavailableError", code: 503 });
				expect(res.headers["x-content-type-options"]).toBe("nosniff");
				const login = await request(url).post("/api/v1/auth/login").send({ email: owner.email, password: PASSWORD });
				expect(login.status).toBe(503);
				// The gone service's routes are kept: a method they never took is still a 405, not a 404.
				const wrongMethod = await request(url).delete("/api/v1/users").set(bearer(owner.accessToken));
				expect([wrongMethod.status, wrongMethod.headers.allow]).toEqual([405, "GET, HEAD, POST"]);
				expect((await request(url).get("/health/ready")).status).toBe(503);
			});
		});
	});
}
