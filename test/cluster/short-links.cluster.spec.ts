/**
 * Short links on two real shorturl nodes over NATS, one PostgreSQL database and one Redis
 * cache: codes made in parallel on both never collide (a two-character code space, set for
 * this test only, makes collisions certain, so the retry is what is tested), every code
 * redirects through the gateway, both nodes count clicks into the same totals, and a removed
 * link stops on both at once.
 */
import { randomUUID } from "node:crypto";
import { ServiceBroker } from "moleculer";
import type { AuthUser } from "../../lib/meta";
import { ShortUrlActions, type ShortLink, type ShortLinkWithClicks } from "../../lib/names";
import { type ClusterNode, clusterNamespace, itWithLogs, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { NATS_URL, REDIS_URL, describeWith } from "../support/external";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

jest.setTimeout(180_000);

/** 62^2 = 3,844 codes for 1,000 links: about 130 first draws collide, and the last ones do one time in four. */
const CODE_LENGTH = 2;
const PER_NODE = 500;

describeWith(["nats", "redis", "postgres"], "short links on two shorturl nodes", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("short");
	let nodes: ClusterNode[] = [];
	let broker: ServiceBroker;
	let url: string;
	const node = (i: number) => `shorturl-${i}-${namespace}`;
	const user: AuthUser = { id: randomUUID(), tenantId: randomUUID(), roles: ["owner"], employeeId: null, sessionId: "cluster-test" };
	const logs = () => nodes.map(n => `--- ${n.name} ---\n${n.output().slice(-3000)}`).join("\n");

	beforeAll(async () => {
		const port = await freePort();
		const env = { DATABASE_URL: databaseUrl, CACHER: REDIS_URL, TEST_SHORT_LINK_CODE_LENGTH: String(CODE_LENGTH), RATE_LIMIT_ANONYMOUS: "1000000" };
		nodes = [
			startNode("shorturl-1", "data/shorturl", { namespace, env }),
			startNode("shorturl-2", "data/shorturl", { namespace, env }),
			startNode("gateway", "gateway/api", { namespace, env: { ...env, PORT: String(port), READY_SERVICES: "shorturl" } })
		];
		url = `http://127.0.0.1:${port}`;
		broker = new ServiceBroker({ namespace, nodeID: `test-client-${namespace}`, transporter: NATS_URL, logger: false });
		try {
			await broker.start();
			await waitForGateway(url);
			await waitFor("both shorturl nodes", async () => {
				const services: Array<{ name: string; nodes?: string[] }> = await broker.call("$node.services", { onlyAvailable: true, skipInternal: true });
				return [1, 2].every(i => services.some(s => s.name === "shorturl" && s.nodes?.includes(node(i))));
			});
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${logs()}`);
		}
	});

	afterAll(async () => {
		await broker?.stop().catch(() => undefined);
		await Promise.all(nodes.map(n => n.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	const create = (target: string, i: number) => broker.call<ShortLink, object>(ShortUrlActions.create, { url: target }, { meta: { user }, nodeID: node(i) });
	const follow = (code: string) => fetch(`${url}/s/${code}`, { redirect: "manual" });

	/** Runs `work` over `items`, `width` at a time: a thousand sockets at once would test the machine, not us. */
	async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
		const out: R[] = [];
		for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(work))));
		return out;
	}

	/**
	 * create, as a client does when told the database is busy (503 SERVICE_BUSY with Retry-After:
	 * a thousand creations at once can outrun a slow disk's commits): again after the wait.
	 */
	async function createPatiently(target: string, i: number): Promise<ShortLink> {
		for (let attempt = 1; ; attempt++) {
			try {
				return await create(target, i);
			} catch (err) {
				const busy = err as { type?: string; data?: { retryAfter?: number } };
				if (busy.type !== "SERVICE_BUSY" || attempt === 5) throw err;
				await new Promise(resolve => setTimeout(resolve, (busy.data?.retryAfter ?? 1) * 1000));
			}
		}
	}

	itWithLogs("gives 500 links made on each node at once distinct codes, each of which redirects to its own URL", logs, async () => {
		const made = await Promise.allSettled(Array.from({ length: PER_NODE * 2 }, (_, n) => createPatiently(`https://example.com/page/${n}`, (n % 2) + 1)));
		const failures = made.filter(m => m.status === "rejected").map(m => (m as PromiseRejectedResult).reason.message);
		expect(failures).toEqual([]);
		const links = made.map(m => (m as PromiseFulfilledResult<ShortLink>).value);
		expect(links.every(l => new RegExp(`^[0-9A-Za-z]{${CODE_LENGTH}}$`).test(l.code))).toBe(true);
		expect(new Set(links.map(l => l.code)).size).toBe(PER_NODE * 2);

		const targets = await inBatches(links, 50, async link => {
			const res = await follow(link.code);
			return `${res.status} ${res.headers.get("location")}`;
		});
		expect(targets).toEqual(links.map(l => `302 ${l.url}`));
	});

	itWithLogs("counts clicks served by both nodes into one total", logs, async () => {
		const link = await create("https://example.com/counted", 1);
		// Straight to each node, twenty times each: the redirect's own action, as the gateway calls it.
		await Promise.all(
			Array.from({ length: 40 }, (_, n) => broker.call(ShortUrlActions.follow, { code: link.code }, { meta: {}, nodeID: node((n % 2) + 1) }))
		);
		let shown: ShortLinkWithClicks | undefined;
		await waitFor(
			"40 clicks to be stored",
			async () => {
				shown = await broker.call<ShortLinkWithClicks, object>(ShortUrlActions.get, { id: link.id }, { meta: { user } });
				return shown.totalClicks >= 40;
			},
			15_000
		);
		// Flushed once, not twice: a second more adds nothing.
		await new Promise(resolve => setTimeout(resolve, 2500));
		shown = await broker.call<ShortLinkWithClicks, object>(ShortUrlActions.get, { id: link.id }, { meta: { user } });
		expect(shown.totalClicks).toBe(40);
		expect(shown.clicksByDay.length).toBeGreaterThanOrEqual(1);
	});

	itWithLogs("stops a removed link on both nodes at once, though both had it cached", logs, async () => {
		const link = await create("https://example.com/withdrawn", 2);
		for (const i of [1, 2]) {
			await expect(broker.call(ShortUrlActions.resolve, { code: link.code }, { nodeID: node(i) })).resolves.toMatchObject({ url: link.url });
		}
		await broker.call(ShortUrlActions.remove, { id: link.id }, { meta: { user }, nodeID: node(1) });
		for (const i of [1, 2]) {
			await expect(broker.call(ShortUrlActions.resolve, { code: link.code }, { nodeID: node(i) })).rejects.toMatchObject({ code: 404 });
		}
		expect((await follow(link.code)).status).toBe(404);
	});
});
