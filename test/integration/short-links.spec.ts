/**
 * Short links over HTTP: staff make them, anyone follows GET /s/:code, which redirects, expires,
 * and is counted per day; bad input is a 422 naming the field; tenants and roles are kept apart.
 */
import request from "supertest";
import { mailTo } from "../support/mail";
import { type Signup, bearer, createUser, signup, uniqueEmail } from "../support/http";
import { config } from "../../lib/config";
import { itInProcess } from "../support/cluster-topology";
import { type RunningSystem, startLocalSystem, startRoomySystem } from "../support/local-system";

const CODE = /^[0-9A-Za-z]{8}$/;

describe("short links", () => {
	let system: RunningSystem;
	let url: string;
	let acme: Signup;
	let globex: Signup;

	const create = (body: object, as: { accessToken: string } = acme) => request(url).post("/api/v1/short-links").set(bearer(as.accessToken)).send(body);
	const show = (id: string, as: { accessToken: string } = acme) => request(url).get(`/api/v1/short-links/${id}`).set(bearer(as.accessToken));
	const follow = (code: string) => request(url).get(`/s/${code}`).redirects(0);

	async function link(target: string, expiresAt?: string): Promise<{ id: string; code: string; shortUrl: string }> {
		const res = await create(expiresAt ? { url: target, expiresAt } : { url: target });
		expect(res.status).toBe(201);
		return res.body;
	}

	/** Clicks are stored about a second after they happen; waits until the link shows `total`. */
	async function clicksOf(id: string, total: number): Promise<{ totalClicks: number; clicksByDay: Array<{ day: string; clicks: number }> }> {
		const deadline = Date.now() + 10_000;
		for (;;) {
			const res = await show(id);
			expect(res.status).toBe(200);
			if (res.body.totalClicks >= total || Date.now() > deadline) return res.body;
			await new Promise(resolve => setTimeout(resolve, 200));
		}
	}

	beforeAll(async () => {
		system = await startRoomySystem();
		url = system.url;
		[acme, globex] = await Promise.all([signup(url, "Acme"), signup(url, "Globex")]);
	});
	afterAll(() => system?.stop());

	it("makes a random 8-character code and answers 201 with the short URL", async () => {
		const expiresAt = new Date(Date.now() + 3600_000).toISOString();
		const res = await create({ url: "https://example.com/jobs/42?ref=sms", expiresAt });
		expect(res.status).toBe(201);
		expect(res.headers.location).toBe(`/api/v1/short-links/${res.body.id}`);
		expect(res.body).toMatchObject({ url: "https://example.com/jobs/42?ref=sms", expiresAt });
		expect(res.body.code).toMatch(CODE);
		expect(res.body.shortUrl).toMatch(new RegExp(`/s/${res.body.code}$`));
		expect(typeof res.body.createdAt).toBe("string");
		// Two links to the same place are two codes, and codes do not follow one another.
		const again = await link("https://example.com/jobs/42?ref=sms");
		expect(again.code).not.toBe(res.body.code);
	});

	it("redirects with 302, the target in Location, and a private cache bounded by the expiry", async () => {
		const target = "https://example.com/welcome?x=1#part";
		const forever = await link(target);
		const res = await follow(forever.code);
		expect(res.status).toBe(302);
		expect(res.headers.location).toBe(target);
		expect(res.headers["cache-control"]).toBe("private, max-age=60");
		expect(res.headers["referrer-policy"]).toBe("no-referrer");

		const soon = await link("https://example.com/soon", new Date(Date.now() + 20_000).toISOString());
		const bounded = await follow(soon.code);
		expect(bounded.status).toBe(302);
		const maxAge = Number(/max-age=(\d+)/.exec(bounded.headers["cache-control"])?.[1]);
		expect(maxAge).toBeGreaterThan(0);
		expect(maxAge).toBeLessThanOrEqual(20);
	});

	it("answers HEAD as GET, without a body and without counting a click", async () => {
		const made = await link("https://example.com/checked-first");
		const head = await request(url).head(`/s/${made.code}`).redirects(0);
		expect(head.status).toBe(302);
		expect(head.headers.location).toBe("https://example.com/checked-first");
		expect(head.headers["cache-control"]).toBe((await follow(made.code)).headers["cache-control"]);
		expect((await request(url).head("/s/zzzzzzzz")).status).toBe(404);
		// Only the GET was a click.
		expect((await clicksOf(made.id, 1)).totalClicks).toBe(1);
		await new Promise(resolve => setTimeout(resolve, 1500));
		expect((await show(made.id)).body.totalClicks).toBe(1);
	});

	it("ignores tracking parameters added to a shared short link", async () => {
		const { code } = await link("https://example.com/tracked");
		const res = await request(url).get(`/s/${code}?utm_source=newsletter`).redirects(0);
		expect(res.status).toBe(302);
		expect(res.headers.location).toBe("https://example.com/tracked");
	});

	it("answers 410 once the link has expired, even when the redirect was cached before", async () => {
		const { code } = await link("https://example.com/brief", new Date(Date.now() + 1500).toISOString());
		expect((await follow(code)).status).toBe(302);
		await new Promise(resolve => setTimeout(resolve, 1600));
		const res = await follow(code);
		expect(res.status).toBe(410);
		expect(res.body.type).toBe("SHORT_LINK_EXPIRED");
		expect(res.headers.location).toBeUndefined();
	});

	itInProcess("redirects from the cache: a followed code needs no database read the next time", async () => {
		const { code } = await link("https://example.com/cached");
		expect((await follow(code)).status).toBe(302);
		const shorturl = system.broker.getLocalService("shorturl") as unknown as { adapter: { findOne: (...args: unknown[]) => Promise<unknown> } };
		const read = jest.spyOn(shorturl.adapter, "findOne");
		try {
			const again = await follow(code);
			expect(again.status).toBe(302);
			expect(again.headers.location).toBe("https://example.com/cached");
			expect(read).not.toHaveBeenCalled();
		} finally {
			read.mockRestore();
		}
	});

	it("answers 404 for an unknown code and for a malformed one", async () => {
		// "%ZZ" and "%" are no percent-encoding at all: still a code that names no link.
		for (const code of ["zzzzzzzz", "no-such!", "a".repeat(200), "%00", "%ZZ", "%", "%E2%82"]) {
			const res = await follow(code);
			expect(res.status).toBe(404);
			expect(res.headers.location).toBeUndefined();
		}
		expect((await request(url).get("/s/abc/def").redirects(0)).status).toBe(404);
		expect((await request(url).head("/s/%ZZ")).status).toBe(404);
		// So is such an id under /api/v1: a 404 as its route documents, not an undocumented 400.
		expect((await show("%ZZ")).status).toBe(404);
	});

	it("stops redirecting at once when staff remove the link", async () => {
		const made = await link("https://example.com/withdrawn");
		expect((await follow(made.code)).status).toBe(302);
		const removed = await request(url).delete(`/api/v1/short-links/${made.id}`).set(bearer(acme.accessToken));
		expect(removed.status).toBe(204);
		expect((await follow(made.code)).status).toBe(404);
		expect((await show(made.id)).status).toBe(404);
	});

	describe("refuses bad input with a 422 naming the field, storing nothing", () => {
		const refusedUrls: Array<[string, string]> = [
			["a javascript: URL", "javascript:alert(1)"],
			["a data: URL", "data:text/html,<script>alert(1)</script>"],
			["an ftp: URL", "ftp://example.com/file"],
			["a relative path", "/relative/path"],
			["no URL at all", "not a url"],
			["credentials in the URL", "https://user:secret@example.com/"],
			["more than 2048 characters", `https://example.com/${"a".repeat(2100)}`],
			["2048 characters only once percent-encoded", `https://example.com/${"é".repeat(700)}`]
		];
		it.each(refusedUrls)("%s", async (_why, target) => {
			const before = await request(url).get("/api/v1/short-links").set(bearer(acme.accessToken));
			const res = await create({ url: target });
			expect(res.status).toBe(422);
			expect(res.body.data.map((e: { field: string }) => e.field)).toEqual(["url"]);
			const after = await request(url).get("/api/v1/short-links").set(bearer(acme.accessToken));
			expect(after.body.total).toBe(before.body.total);
		});

		it("an expiry in the past, no time at all, a day that does not exist, or a time without its offset", async () => {
			for (const expiresAt of [
				new Date(Date.now() - 1000).toISOString(),
				"tomorrow",
				"2030-13-45T00:00:00Z",
				"2030-02-30T00:00:00Z",
				"2030-01-01T00:00"
			]) {
				const res = await create({ url: "https://example.com/", expiresAt });
				expect(res.status).toBe(422);
				expect(res.body.data.map((e: { field: string }) => e.field)).toEqual(["expiresAt"]);
			}
		});

		it("an unknown field", async () => {
			const res = await create({ url: "https://example.com/", code: "chosen1" });
			expect(res.status).toBe(422);
		});
	});

	it("keeps each company's links to itself: another tenant's id is a 404", async () => {
		const made = await link("https://example.com/acme-only");
		expect((await show(made.id, globex)).status).toBe(404);
		expect((await request(url).delete(`/api/v1/short-links/${made.id}`).set(bearer(globex.accessToken))).status).toBe(404);
		const list = await request(url).get("/api/v1/short-links").set(bearer(globex.accessToken));
		expect(list.status).toBe(200);
		expect(list.body.rows.map((r: { id: string }) => r.id)).not.toContain(made.id);
		// The code itself is public: anyone with it is redirected, whichever company made it.
		expect((await follow(made.code)).status).toBe(302);
	});

	it("refuses a role below staff with 403, and anyone unsigned with 401", async () => {
		const employee = await createUser(url, acme, "employee");
		const made = await link("https://example.com/staff-only");
		expect((await create({ url: "https://example.com/" }, employee)).status).toBe(403);
		expect((await show(made.id, employee)).status).toBe(403);
		expect((await request(url).post("/api/v1/short-links").send({ url: "https://example.com/" })).status).toBe(401);
	});

	it("counts clicks per day, and only redirects that happened", async () => {
		const made = await link("https://example.com/counted");
		await Promise.all(Array.from({ length: 5 }, () => follow(made.code).expect(302)));
		await follow("zzzzzzzz").expect(404);
		const shown = await clicksOf(made.id, 5);
		const today = new Date().toISOString().slice(0, 10);
		expect(shown.totalClicks).toBe(5);
		// A click just before midnight UTC may land on the day before.
		expect(shown.clicksByDay.reduce((sum, d) => sum + d.clicks, 0)).toBe(5);
		expect(shown.clicksByDay.map(d => d.day).every(day => day <= today)).toBe(true);
		// A second later nothing more has been added: each click is counted once.
		await new Promise(resolve => setTimeout(resolve, 1500));
		expect((await show(made.id)).body.totalClicks).toBe(5);
	});

	it("puts a short link that leads to the activation page into invitation mail", async () => {
		const email = uniqueEmail("invitee");
		const invited = await request(url).post("/api/v1/users").set(bearer(acme.accessToken)).send({ email, name: "Ivy Invitee", role: "employee" });
		expect(invited.status).toBe(201);
		const mail = await mailTo(email, "invitation");
		expect(mail.shortLink).toMatch(/\/s\/[0-9A-Za-z]{8}$/);
		expect(mail.text).toContain(mail.shortLink);
		expect(mail.text).not.toContain("#token=");
		const res = await request(url).get(new URL(mail.shortLink!).pathname).redirects(0);
		expect(res.status).toBe(302);
		expect(res.headers.location).toBe(mail.link);
		// A mailed link holds a secret: it is no company's short link to list or show.
		const list = await request(url).get("/api/v1/short-links?pageSize=100").set(bearer(acme.accessToken));
		expect(list.body.rows.map((r: { url: string }) => r.url)).not.toContain(mail.link);
	});

	it("puts a short link into signup (activation) mail", async () => {
		const email = uniqueEmail("founder");
		await request(url).post("/api/v1/auth/signup").send({ company: "Initech", name: "Fay Founder", email, password: "Sturdy-Password-42" }).expect(202);
		const mail = await mailTo(email, "signup");
		expect(mail.text).toContain(mail.shortLink);
		const res = await request(url).get(new URL(mail.shortLink!).pathname).redirects(0);
		expect(res.status).toBe(302);
		expect(res.headers.location).toBe(mail.link);
	});

	describe("with the anonymous per-IP limit of an unroomy gateway", () => {
		let limited: RunningSystem;
		const LIMIT = 8;

		beforeAll(async () => {
			const cfg = config();
			limited = await startLocalSystem({ roster: { ...cfg, rateLimit: { ...cfg.rateLimit, anonymousPoints: LIMIT } } });
		});
		afterAll(() => limited?.stop());

		it("counts redirects against it like any anonymous request: 429 with Retry-After, no Location", async () => {
			// The signup and its activation spend two of the IP's points.
			const owner = await signup(limited.url, "Limited");
			const made = await request(limited.url).post("/api/v1/short-links").set(bearer(owner.accessToken)).send({ url: "https://example.com/limited" });
			expect(made.status).toBe(201);
			const answers = [];
			for (let i = 0; i < LIMIT + 2; i++) answers.push(await request(limited.url).get(`/s/${made.body.code}`).redirects(0));
			const statuses = answers.map(a => a.status);
			const firstRefused = statuses.indexOf(429);
			expect(firstRefused).toBeGreaterThan(0);
			expect(statuses.slice(0, firstRefused).every(s => s === 302)).toBe(true);
			expect(statuses.slice(firstRefused).every(s => s === 429)).toBe(true);
			expect(Number(answers[firstRefused].headers["retry-after"])).toBeGreaterThan(0);
			expect(answers[firstRefused].headers.location).toBeUndefined();
			expect(answers[0].headers["ratelimit-limit"]).toBe(String(LIMIT));
		});
	});
});
