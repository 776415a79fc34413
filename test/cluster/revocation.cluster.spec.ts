/**
 * Revocation reaches every gateway at once: two gateway processes and two identity processes
 * sharing PostgreSQL and a Redis cache. Each session is first checked (and so cached) on both
 * gateways; after a logout, a disabled user, a reused refresh token, a password change or a
 * role change on one of them, the very next request on either sees it.
 */
import request from "supertest";
import { type ClusterNode, clusterNamespace, startNode, waitForGateway } from "../support/cluster-system";
import { REDIS_URL, describeWith } from "../support/external";
import { PASSWORD, type Session, type Signup, bearer, createUser, signup } from "../support/http";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

jest.setTimeout(90_000);

describeWith(["nats", "redis", "postgres"], "revocation across gateways", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("revoke");
	const nodes: ClusterNode[] = [];
	let gateways: string[] = [];
	let owner: Signup;

	const me = (url: string, as: Session) => request(url).get("/api/v1/me").set(bearer(as.accessToken));
	const users = (url: string, as: Session) => request(url).get("/api/v1/users").set(bearer(as.accessToken));

	/** The session works on both gateways, so both have checked it (and the check is cached). */
	async function warm(as: Session): Promise<void> {
		for (const url of gateways) {
			for (let i = 0; i < 2; i++) expect((await me(url, as)).status).toBe(200);
		}
	}

	async function expectRefusedEverywhere(as: Session): Promise<void> {
		const answers = [];
		for (const url of [...gateways, ...gateways]) answers.push((await me(url, as)).status);
		expect(answers).toEqual([401, 401, 401, 401]);
	}

	beforeAll(async () => {
		const env = { DATABASE_URL: databaseUrl, CACHER: REDIS_URL, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
		const ports = await Promise.all([freePort(), freePort()]);
		nodes.push(startNode("identity-1", "data/identity", { namespace, env }), startNode("identity-2", "data/identity", { namespace, env }));
		ports.forEach((port, i) =>
			nodes.push(startNode(`gateway-${i + 1}`, "gateway/api", { namespace, env: { ...env, PORT: String(port), READY_SERVICES: "identity" } }))
		);
		gateways = ports.map(port => `http://127.0.0.1:${port}`);
		try {
			await Promise.all(gateways.map(url => waitForGateway(url)));
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output()}`).join("\n")}`);
		}
		owner = await signup(gateways[0], "Revoke Ltd");
	});

	afterAll(async () => {
		await Promise.allSettled(nodes.map(node => node.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	it("a logged-out token is refused on the next request at both gateways", async () => {
		const user = await createUser(gateways[0], owner, "employee");
		await warm(user);
		expect((await request(gateways[0]).post("/api/v1/auth/logout").set(bearer(user.accessToken)).send({ refreshToken: user.refreshToken })).status).toBe(
			204
		);
		await expectRefusedEverywhere(user);
	});

	it("a disabled user is refused on the next request at both gateways", async () => {
		const user = await createUser(gateways[0], owner, "employee");
		await warm(user);
		expect((await request(gateways[1]).delete(`/api/v1/users/${user.id}`).set(bearer(owner.accessToken))).status).toBe(204);
		await expectRefusedEverywhere(user);
	});

	it("a session revoked by a reused refresh token is refused on the next request at both gateways", async () => {
		const user = await createUser(gateways[0], owner, "employee");
		const rotated = await request(gateways[1]).post("/api/v1/auth/refresh").send({ refreshToken: user.refreshToken });
		expect(rotated.status).toBe(200);
		const current: Session = { accessToken: rotated.body.accessToken, refreshToken: rotated.body.refreshToken };
		await warm(current);
		const reused = await request(gateways[0]).post("/api/v1/auth/refresh").send({ refreshToken: user.refreshToken });
		expect(reused.body.type).toBe("REFRESH_TOKEN_REUSED");
		await expectRefusedEverywhere(current);
	});

	it("a password change ends the person's other sessions at both gateways, the caller's goes on", async () => {
		const user = await createUser(gateways[0], owner, "employee");
		const other = (await request(gateways[1]).post("/api/v1/auth/login").send({ email: user.email, password: PASSWORD })).body as Session;
		await warm(user);
		await warm(other);
		const changed = await request(gateways[1])
			.post("/api/v1/auth/password")
			.set(bearer(user.accessToken))
			.send({ currentPassword: PASSWORD, newPassword: "Brand-New-Phrase-2031" });
		expect(changed.status).toBe(204);
		await expectRefusedEverywhere(other);
		for (const url of gateways) expect((await me(url, user)).status).toBe(200);
	});

	it("a role taken away is gone on the next request at both gateways", async () => {
		const hr = await createUser(gateways[0], owner, "hr");
		for (const url of gateways) expect((await users(url, hr)).status).toBe(200);
		expect((await request(gateways[0]).patch(`/api/v1/users/${hr.id}`).set(bearer(owner.accessToken)).send({ role: "employee" })).status).toBe(200);
		for (const url of [...gateways, ...gateways]) expect((await users(url, hr)).status).toBe(403);
	});
});
