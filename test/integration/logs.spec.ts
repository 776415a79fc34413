/**
 * LOG_FORMAT=json as an operator reads it: the whole system in one broker whose pino lines go
 * to a stream here instead of stdout, at level debug so that the most lines a request can
 * cause are written. Each line must carry the request it was written for, the gateway writes
 * exactly one line per request whatever its status, and no credential reaches any line.
 */
import { Writable } from "node:stream";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import request from "supertest";
import { loadConfig } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";
import ApiService from "../../services/gateway/api.service";
import { PASSWORD, type Signup, bearer, signup, uniqueEmail } from "../support/http";
import { domainServices } from "../support/local-system";
import { eventually } from "../support/cluster-topology";

interface Line {
	level: string;
	msg: string;
	nodeID: string;
	mod: string;
	requestId?: string;
	tenant?: string;
	user?: string;
	route?: string;
	status?: number;
	method?: string;
	[key: string]: unknown;
}

describe("JSON logs", () => {
	let raw = "";
	const lines = (): Line[] =>
		raw
			.split("\n")
			.filter(Boolean)
			.map(l => JSON.parse(l) as Line);
	const sink = new Writable({
		write(chunk: Buffer, _encoding, done) {
			raw += chunk.toString();
			done();
		}
	});

	let broker: ServiceBroker;
	let url: string;
	let owner: Signup;

	beforeAll(async () => {
		const cfg = loadConfig({ ...process.env, TRANSPORTER: "", CACHER: "", LOG_FORMAT: "json", LOG_LEVEL: "debug" });
		broker = new ServiceBroker(brokerOptions(cfg, { logDestination: sink }));
		const aliasesReady = new Promise<void>(resolve => {
			broker.createService({ name: "test-aliases-watch", events: { "$api.aliases.regenerated": () => resolve() } });
		});
		for (const schema of domainServices()) broker.createService(schema);
		const roster = { ...cfg, rateLimit: { ...cfg.rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } };
		const api = broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0, roster } } as ServiceSchema);
		await broker.start();
		await aliasesReady;
		const { port } = (api as unknown as { server: { address(): { port: number } } }).server.address();
		url = `http://127.0.0.1:${port}`;
		owner = await signup(url, "Logs Inc");
	});

	afterAll(() => broker?.stop());

	let counter = 0;
	/** Sends a request with a fresh request id; answers its status and every line written from its start to its access line. */
	async function traced(send: (id: string) => PromiseLike<{ status: number }>): Promise<{ id: string; status: number; lines: Line[] }> {
		const id = `logs-test-${++counter}-${Date.now()}`;
		const from = lines().length;
		const { status } = await send(id);
		let written: Line[] = [];
		await eventually(() => {
			written = lines().slice(from);
			expect(written.some(l => l.requestId === id && l.route !== undefined)).toBe(true);
		});
		return { id, status, lines: written };
	}

	it("writes JSON with the node id on every line, also outside any request", () => {
		const all = lines();
		expect(all.length).toBeGreaterThan(0);
		for (const line of all) expect(line.nodeID).toBe(broker.nodeID);
	});

	it("keeps the routes out of the info level (they buried the REPL prompt) but writes them at debug, and the listening address at info", () => {
		const api = lines().filter(l => l.mod === "api");
		const routeLines = api.filter(l => /=> api\.live|Generate aliases for '\/api\/v1'/.test(l.msg));
		expect(routeLines.length).toBeGreaterThan(1);
		expect(routeLines.filter(l => l.level !== "debug")).toEqual([]);
		expect(api).toContainEqual(expect.objectContaining({ level: "info", msg: expect.stringMatching(/^API Gateway listening on http:/) }));
	});

	describe("every line written while serving a request carries its request id", () => {
		it("an authenticated read: the gateway's lines and the identity service's, with tenant and user once known", async () => {
			const { id, status, lines: written } = await traced(rid => request(url).get("/api/v1/me").set(bearer(owner.accessToken)).set("X-Request-Id", rid));
			expect(status).toBe(200);
			expect(written.filter(l => l.requestId !== id)).toEqual([]);
			// Lines from the gateway and from the session check in the identity service.
			expect(written.some(l => l.mod === "api")).toBe(true);
			expect(written.some(l => l.mod !== "api")).toBe(true);
			const access = written.find(l => l.route !== undefined)!;
			expect(access).toMatchObject({ method: "GET", route: "/api/v1/me", status: 200, tenant: owner.tenant.id, user: owner.user.id });
		});

		it("a service's own warning (a refresh token reused) carries the request that caused it", async () => {
			const first = await request(url).post("/api/v1/auth/refresh").send({ refreshToken: owner.refreshToken });
			expect(first.status).toBe(200);
			const {
				id,
				status,
				lines: written
			} = await traced(rid => request(url).post("/api/v1/auth/refresh").set("X-Request-Id", rid).send({ refreshToken: owner.refreshToken }));
			expect(status).toBe(401);
			expect(written.filter(l => l.requestId !== id)).toEqual([]);
			expect(written).toContainEqual(
				expect.objectContaining({ mod: "identity", level: "warn", msg: expect.stringMatching(/^Refresh token reuse/), requestId: id })
			);
		});
	});

	describe("one line per request at the gateway", () => {
		let session: Signup;
		beforeAll(async () => {
			session = await signup(url, "Lines Ltd");
		});

		it.each([
			["a 200", 200, "GET", "/api/v1/me", (rid: string) => request(url).get("/api/v1/me").set(bearer(session.accessToken)).set("X-Request-Id", rid)],
			["a 401", 401, "GET", "/api/v1/me", (rid: string) => request(url).get("/api/v1/me").set("X-Request-Id", rid)],
			["a 404 outside any route", 404, "GET", "/nothing/here", (rid: string) => request(url).get("/nothing/here?token=abc").set("X-Request-Id", rid)],
			["a 422", 422, "POST", "/api/v1/auth/login", (rid: string) => request(url).post("/api/v1/auth/login").set("X-Request-Id", rid).send({ email: 42 })]
		])("%s", async (_what, expected, method, route, send) => {
			const { id, status, lines: written } = await traced(send);
			expect(status).toBe(expected);
			const access = lines().filter(l => l.requestId === id && l.route !== undefined);
			expect(access).toHaveLength(1);
			expect(access[0]).toMatchObject({ level: "info", method, route, status: expected, requestId: id });
			expect(typeof access[0].ms).toBe("number");
			expect(written.filter(l => l.requestId !== id)).toEqual([]);
		});
	});

	it("writes no error for a client's body that is not what its Content-Encoding says: a 400 and its access line only", async () => {
		const {
			id,
			status,
			lines: written
		} = await traced(rid =>
			request(url)
				.post("/api/v1/auth/login")
				.set("X-Request-Id", rid)
				.set("Content-Type", "application/json")
				.set("Content-Encoding", "gzip")
				.send('{"email":"not@gzip.test"}')
		);
		expect(status).toBe(400);
		expect(written.filter(l => l.level === "error" || l.level === "fatal")).toEqual([]);
		expect(lines().filter(l => l.requestId === id && l.route !== undefined)).toHaveLength(1);
	});

	it("never holds a token, a password or a refresh token: signup, activation, login, refresh, 401 and 422", async () => {
		const secrets: string[] = [];
		const email = uniqueEmail("secrets");
		const person = await signup(url, "Secrets SA", email);
		secrets.push(PASSWORD, person.accessToken, person.refreshToken);

		const login = await request(url).post("/api/v1/auth/login").send({ email, password: PASSWORD });
		expect(login.status).toBe(200);
		secrets.push(login.body.accessToken, login.body.refreshToken);

		const refreshed = await request(url).post("/api/v1/auth/refresh").send({ refreshToken: login.body.refreshToken });
		expect(refreshed.status).toBe(200);
		secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);

		const wrongPassword = "Wrong-Password-Unique-7731";
		expect((await request(url).post("/api/v1/auth/login").send({ email, password: wrongPassword })).status).toBe(401);
		secrets.push(wrongPassword);

		const forged = `${person.accessToken.slice(0, -4)}AAAA`;
		expect((await request(url).get("/api/v1/me").set(bearer(forged))).status).toBe(401);
		secrets.push(forged);

		// 422s whose bodies hold a password: a field missing beside it, and one too short for the rule.
		const unvalidated = "Unvalidated-Password-Unique-5519";
		expect((await request(url).post("/api/v1/auth/signup").send({ name: "N", email: uniqueEmail(), password: unvalidated })).status).toBe(422);
		const tooShort = "Xq7#short";
		const shortAnswer = await request(url).post("/api/v1/auth/signup").send({ company: "C", name: "N", email: uniqueEmail(), password: tooShort });
		expect(shortAnswer.status).toBe(422);
		const changeAnswer = await request(url)
			.post("/api/v1/auth/password")
			.set(bearer(refreshed.body.accessToken))
			.send({ currentPassword: PASSWORD, newPassword: "Brand-New-Password-Unique-8812", extra: true });
		expect(changeAnswer.status).toBe(422);
		secrets.push(unvalidated, tooShort, "Brand-New-Password-Unique-8812");

		await eventually(() => expect(lines().filter(l => l.route === "/api/v1/auth/password").length).toBeGreaterThan(0));
		for (const secret of secrets) expect(raw).not.toContain(secret);
	});
});
