/**
 * A data node that fails while it stays in the cluster: its link to PostgreSQL is cut (a TCP
 * proxy in front of the database, tcp-proxy.ts), so it still sends heartbeats and nobody
 * declares it gone, but every call to it fails. Under a steady stream of reads through a
 * gateway, the gateway's circuit breaker for that node opens, calls stop reaching it, and once
 * the link is back the breaker closes again (lib/circuit-breaker.ts). Then both data nodes lose
 * the database, and the headcount report answers its last value, marked stale, from whichever
 * application node the gateway asks (services/app/reports.service.ts). Last, a data node
 * SIGKILLed under the stream leaves no request pending at the gateway once it is declared gone,
 * so the gateway then stops at once (middlewares/remote-timeout.middleware.ts).
 *
 * Real runner processes from dist/ on a NATS, a Redis and a PostgreSQL schema of the suite's own.
 */
import { ServiceBroker } from "moleculer";
import type { BreakerState, NodeState } from "../../lib/node-state";
import { STALE_WARNING } from "../../services/app/reports.parts/last-report";
import { type ClusterNode, clusterNamespace, itWithLogs, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { hire } from "../support/employees";
import { describeWith } from "../support/external";
import { signup } from "../support/http";
import { scrape, valueOf } from "../support/metrics";
import { type NatsServer, startNatsServer } from "../support/nats-server";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";
import { failed, startReadStream, summarize } from "../support/read-stream";
import { type RedisServer, startRedisServer } from "../support/redis-server";
import { type TcpProxy, startTcpProxy, throughProxy } from "../support/tcp-proxy";

jest.setTimeout(180_000);

/** Reads a second through the gateway: about 30 a second to each data node's employees.get. */
const RATE = 60;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describeWith(["nats", "redis", "postgres"], "a data node that fails while it stays in the cluster", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("breaker");
	const nodes = new Map<string, ClusterNode>();
	const proxies = new Map<string, TcpProxy>();
	let nats: NatsServer;
	let redis: RedisServer;
	let gateway: string;
	let metricsPort: number;
	let token: string;
	let owner: Awaited<ReturnType<typeof signup>>;
	let paths: string[];
	let observer: ServiceBroker;

	const nodeId = (name: string) => `${name}-${namespace}`;
	const logs = () => [...nodes.values()].map(n => `--- ${n.name} ---\n${n.output().slice(-3000)}`).join("\n");

	function serving(name: string): boolean {
		return observer.registry.getServiceList({ onlyAvailable: true, skipInternal: true }).some(s => s.nodeID === nodeId(name));
	}

	/** The gateway's breaker for `action` on data-1; Moleculer forgets one that saw no call for a whole window, which is closed. */
	async function breaker(action: string): Promise<BreakerState | undefined> {
		const state = await observer.call<NodeState, object>("$nodeState.get", {}, { nodeID: nodeId("gateway"), timeout: 2000 });
		return state.breakers.find(b => b.nodeID === nodeId("data-1") && b.action === action);
	}

	/** Packets data-1 has received over NATS: requests, and every node's heartbeats. */
	async function packetsAtData1(): Promise<number> {
		return valueOf((await scrape(metricsPort)).samples, "moleculer_transporter_packets_received_total") ?? 0;
	}

	async function packetRate(ms: number): Promise<number> {
		const before = await packetsAtData1();
		await sleep(ms);
		return ((await packetsAtData1()) - before) / (ms / 1000);
	}

	function stream(durationMs: number) {
		return startReadStream({ gateways: [gateway], paths, token, ratePerSecond: RATE, durationMs, clientTimeoutMs: 15_000 });
	}

	/** An `it` whose failure also prints the tail of every node's log. */
	const scenario = (title: string, body: () => Promise<void>) => itWithLogs(title, logs, body);

	beforeAll(async () => {
		nats = await startNatsServer();
		redis = await startRedisServer(await freePort());
		const pg = new URL(databaseUrl);
		for (const name of ["data-1", "data-2"]) proxies.set(name, await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) }));
		const port = await freePort();
		metricsPort = await freePort();
		gateway = `http://127.0.0.1:${port}`;
		const env = { TRANSPORTER: nats.url, CACHER: redis.url, DATABASE_URL: databaseUrl, RATE_LIMIT_ANONYMOUS: "1000000", RATE_LIMIT_USER: "1000000" };
		observer = new ServiceBroker({
			namespace,
			nodeID: `observer-${namespace}`,
			transporter: nats.url,
			logger: false,
			heartbeatInterval: 1,
			heartbeatTimeout: 3
		});
		await observer.start();
		const start = (name: string, services: string, extra: Record<string, string> = {}) =>
			nodes.set(name, startNode(name, services, { namespace, env: { ...env, ...extra } }));
		try {
			// One data node first: it makes the schema's tables, then the second joins it.
			start("data-1", "data", { DATABASE_URL: throughProxy(databaseUrl, proxies.get("data-1")!), METRICS_PORT: String(metricsPort) });
			await waitFor("data-1 serving", async () => serving("data-1"), 60_000);
			start("data-2", "data", { DATABASE_URL: throughProxy(databaseUrl, proxies.get("data-2")!) });
			start("app-1", "app");
			start("app-2", "app");
			start("gateway", "gateway/api", { PORT: String(port) });
			await waitFor("every node serving", async () => [...nodes.keys()].every(serving), 60_000);
			await waitForGateway(gateway);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${logs()}`);
		}
		owner = await signup(gateway, "Breaker Inc");
		const employee = await hire(gateway, owner);
		token = owner.accessToken;
		paths = ["/api/v1/me", `/api/v1/employees/${employee.id}`];
	});

	afterAll(async () => {
		await Promise.all([...nodes.values()].map(n => n.stop()));
		await observer?.stop().catch(() => undefined);
		for (const proxy of proxies.values()) await proxy.stop();
		await nats?.stop();
		await redis?.kill();
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	scenario("the breaker opens within seconds for a node whose every call fails, calls stop reaching it, and it closes once the node recovers", async () => {
		const proxy = proxies.get("data-1")!;
		const s = stream(20_000);
		await sleep(1000);
		const healthyRate = await packetRate(2000);
		const cutAt = s.elapsed();
		await proxy.cut();
		let openedAfter = 0;
		try {
			await waitFor(
				"the gateway's breaker for employees.get on data-1 to open",
				async () => {
					const b = await breaker("employees.get");
					if (b?.state !== "open") throw new Error(JSON.stringify(b));
					openedAfter = s.elapsed() - cutAt;
					return true;
				},
				10_000
			);
			// data-1 still takes heartbeats and the trial calls of a half-open breaker, no longer the stream.
			const failingRate = await packetRate(2000);
			const restoredAt = s.elapsed();
			await proxy.restore();
			let closedAfter = 0;
			await waitFor(
				"the breaker closed again, with calls going to data-1",
				async () => {
					const b = await breaker("employees.get");
					if (b?.state !== "close" || b.count === 0) throw new Error(JSON.stringify(b));
					closedAfter = s.elapsed() - restoredAt;
					return true;
				},
				15_000
			);
			// Every breaker of data-1's actions closes on its own trial call, one after another: the
			// node's whole share comes back over a few seconds, not at once.
			let recoveredRate = 0;
			await waitFor(
				"data-1's traffic back to half its healthy rate or more",
				async () => {
					recoveredRate = await packetRate(1000);
					if (recoveredRate <= healthyRate / 2) throw new Error(`${recoveredRate.toFixed(0)} packets/s`);
					return true;
				},
				6000
			).catch(() => undefined);
			const samples = await s.done;
			const summary = summarize(samples);
			const failures = samples.filter(failed);
			const openAt = cutAt + openedAfter;
			const beforeOpen = failures.filter(x => x.at < openAt).length;
			const whileOpen = failures.filter(x => x.at >= openAt && x.at < restoredAt).length;
			const afterClose = failures.filter(x => x.at > restoredAt + closedAfter);
			console.log(
				`breaker: opened ${openedAfter} ms after the cut, closed ${closedAfter} ms after the restore; ` +
					`packets/s at data-1: ${healthyRate.toFixed(0)} healthy, ${failingRate.toFixed(0)} while its breaker was open, ${recoveredRate.toFixed(0)} recovered; ` +
					`${summary.requests} requests, ${summary.failed} failed (${JSON.stringify(summary.failures)}): ${beforeOpen} before the breaker opened, ` +
					`${whileOpen} while it was open (${restoredAt - openAt} ms), ${afterClose.length} after it closed; p99 ${summary.p99} ms`
			);
			expect(openedAfter).toBeLessThan(5000);
			expect(failingRate).toBeLessThan(healthyRate / 3);
			expect(recoveredRate).toBeGreaterThan(healthyRate / 2);
			// While open, only a trial call of a half-open breaker (one per halfOpenTime per breaker) may fail.
			expect(whileOpen).toBeLessThanOrEqual(4);
			expect(afterClose).toEqual([]);
		} finally {
			await proxy.restore().catch(() => undefined);
			s.stop();
			await s.done;
		}
	});

	scenario("with the database gone from both data nodes, the headcount report answers its last value, stale, from either application node", async () => {
		const report = () => fetch(`${gateway}/api/v1/reports/headcount`, { headers: { Authorization: `Bearer ${token}` } });
		await waitFor("a fresh headcount", async () => (await report()).status === 200);
		const fresh = (await (await report()).json()) as { stale?: boolean; totals: { total: number } };
		expect(fresh.stale).toBeUndefined();
		// A change: the cached report no longer holds, so the next one must read the data nodes.
		await hire(gateway, owner);
		for (const proxy of proxies.values()) await proxy.cut();
		try {
			// Round-robin over the two application nodes: each answers, though only one computed the last value.
			for (let i = 0; i < 6; i++) {
				const res = await report();
				expect(res.status).toBe(200);
				expect(res.headers.get("warning")).toBe(STALE_WARNING);
				expect(await res.json()).toMatchObject({ stale: true, totals: fresh.totals });
			}
		} finally {
			for (const proxy of proxies.values()) await proxy.restore();
		}
		await waitFor(
			"a fresh headcount again, with the new employee",
			async () => {
				const res = await report();
				const body = (await res.json()) as { totals?: { total: number } };
				if (res.headers.get("warning") || body.totals?.total !== fresh.totals.total + 1) throw new Error(JSON.stringify(body));
				return true;
			},
			20_000
		);
	});

	scenario("a data node SIGKILLed under the stream leaves nothing pending at the gateway once it is gone, and the gateway then stops at once", async () => {
		const s = stream(20_000);
		await sleep(3000);
		nodes.get("data-1")!.process.kill("SIGKILL");
		await waitFor("data-1 declared gone", async () => !serving("data-1"), 15_000);
		await sleep(1000);
		s.stop();
		const summary = summarize(await s.done);
		let state: NodeState | undefined;
		await waitFor(
			"nothing in flight at the gateway",
			async () => {
				state = await observer.call<NodeState, object>("$nodeState.get", {}, { nodeID: nodeId("gateway"), timeout: 2000 });
				if (state.inFlight.calling > 0 || state.inFlight.awaitingReply > 0) throw new Error(JSON.stringify(state.inFlight));
				return true;
			},
			5000
		);
		const stopping = Date.now();
		await nodes.get("gateway")!.stop();
		const stoppedIn = Date.now() - stopping;
		console.log(
			`after the SIGKILL: ${summary.requests} requests, ${summary.failed} failed; the gateway then held ${JSON.stringify(state!.inFlight)} and stopped in ${stoppedIn} ms`
		);
		expect(state!.inFlight.oldest).toEqual([]);
		// Its shutdownTimeout is 10 s: a gateway still tracking a call to the dead node would wait all of it.
		expect(stoppedIn).toBeLessThan(3000);
	});
});
