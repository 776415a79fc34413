/**
 * Hedged reads on real processes over NATS: two data nodes on one PostgreSQL schema, and two
 * gateways in front of them, one hedging its reads (the default) and one with HEDGED_READS=false.
 * The same steady stream of authenticated reads goes through each while a data node is frozen
 * (SIGSTOP): both answer every request (ReadRetry moves a read that waited out its attempt on
 * the frozen node to the other), but in the seconds before the gateways drop the frozen node,
 * far fewer requests wait out an attempt at the hedged one, none once it has found the node
 * silent, and its backups stay within their budget. The counts come from the hedged gateway's
 * metrics scrape and its node state.
 */
import { ServiceBroker } from "moleculer";
import { type NodeState, NodeStateActions } from "../../lib/node-state";
import { type ClusterNode, clusterNamespace, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { hire } from "../support/employees";
import { NATS_URL, describeWith } from "../support/external";
import { signup } from "../support/http";
import { type Sample as MetricSample, samplesOf, scrape } from "../support/metrics";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";
import { type Sample, failed, startReadStream, summarize } from "../support/read-stream";

jest.setTimeout(150_000);

const RATE = 30;
const STREAM_MS = 24_000;
const FREEZE_AT_MS = 6_000;
const FREEZE_MS = 8_000;
/** A read attempt on the frozen node gives up after this (READ_ATTEMPT_TIMEOUT's default). */
const ATTEMPT_TIMEOUT_MS = 1000;
/**
 * Until this long after the freeze no gateway can have dropped the node: its last heartbeat
 * came at most a second before, and a node is dropped 3 s after its last (heartbeatTimeout).
 * Reads sent then meet the frozen node as often as the balancer picks it.
 */
const STILL_ROUTED_MS = 2000;
/**
 * By then the hedged gateway has found the frozen node silent (a read to it unanswered for 250 ms,
 * or four times the p90 if longer, then no PONG within 250 ms) and sends it no first attempt: what
 * it sends later waits for nothing.
 */
const FOUND_SILENT_MS = 1000;
/** The budget per action (middlewares/hedged-read.middleware.ts): a tenth of the calls, and a burst of ten. */
const BUDGET = { ratio: 0.1, burst: 10 };

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const sum = (samples: MetricSample[]) => samples.reduce((total, s) => total + s.value, 0);

describeWith(["nats", "postgres"], "hedged reads with a frozen data node", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("hedge");
	const nodes: ClusterNode[] = [];
	let hedged: { url: string; metrics: number };
	let plain: { url: string; metrics: number };
	let paths: string[];
	let token: string;
	/** A bare node of the namespace: it sees nodes join as the gateways do. */
	let observer: ServiceBroker | undefined;

	const logs = () => nodes.map(n => `--- ${n.name} ---\n${n.output().slice(-3000)}`).join("\n");

	async function gateway(name: string, env: Record<string, string>) {
		const port = await freePort();
		const metrics = await freePort();
		nodes.push(
			startNode(name, "gateway/api", {
				namespace,
				env: {
					PORT: String(port),
					METRICS_PORT: String(metrics),
					READY_SERVICES: "identity,employees",
					DATABASE_URL: databaseUrl,
					RATE_LIMIT_USER: "1000000",
					...env
				}
			})
		);
		return { url: `http://127.0.0.1:${port}`, metrics };
	}

	beforeAll(async () => {
		try {
			// One data node first: it makes the schema's tables, then the second joins it.
			const first = startNode("data-1", "data", { namespace, env: { DATABASE_URL: databaseUrl } });
			nodes.push(first);
			hedged = await gateway("gateway-hedged", {});
			plain = await gateway("gateway-plain", { HEDGED_READS: "false" });
			await waitForGateway(hedged.url);
			nodes.push(startNode("data-2", "data", { namespace, env: { DATABASE_URL: databaseUrl } }));
			await waitForGateway(plain.url);
			const owner = await signup(hedged.url, "Hedge Inc");
			const employee = await hire(hedged.url, owner);
			token = owner.accessToken;
			paths = [`/api/v1/employees/${employee.id}`, "/api/v1/me"];
			// Both data nodes serve: the observer has their services, so the gateways (which heard the same INFO) do too.
			const watcher = new ServiceBroker({ namespace, nodeID: `observer-${namespace}`, transporter: NATS_URL, logger: false });
			observer = watcher;
			await watcher.start();
			const serving = (name: string) =>
				watcher.registry
					.getServiceList({ onlyAvailable: true, skipInternal: true })
					.some(s => s.nodeID === `${name}-${namespace}` && s.name === "employees");
			await waitFor("both data nodes serving", async () => serving("data-1") && serving("data-2"), 60_000);
			// A few reads through each gateway before the stream: neither starts from nothing.
			for (let i = 0; i < 30; i++) {
				for (const url of [hedged.url, plain.url]) await fetch(`${url}${paths[i % 2]}`, { headers: { Authorization: `Bearer ${token}` } });
			}
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${logs()}`);
		}
	});

	afterAll(async () => {
		for (const node of nodes) node.process.kill("SIGCONT");
		await Promise.all(nodes.map(n => n.stop()));
		await observer?.stop();
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	it("a frozen node costs hedged reads no failure and fewer waits, and backups stay within their budget", async () => {
		const stream = (url: string) => startReadStream({ gateways: [url], paths, token, ratePerSecond: RATE, durationMs: STREAM_MS, clientTimeoutMs: 15_000 });
		const streams = [stream(hedged.url), stream(plain.url)];
		const frozen = nodes.find(n => n.name === "data-2")!;
		await sleep(FREEZE_AT_MS - streams[0].elapsed());
		const frozenAt = streams[0].elapsed();
		frozen.process.kill("SIGSTOP");
		await sleep(FREEZE_MS);
		frozen.process.kill("SIGCONT");
		const [withHedging, without] = await Promise.all(streams.map(s => s.done));

		const metrics = (await scrape(hedged.metrics)).samples;
		const calls = samplesOf(metrics, "roster_hedged_calls_total");
		const backups = sum(samplesOf(metrics, "roster_hedged_backups_total"));
		const won = sum(samplesOf(metrics, "roster_hedged_backups_won_total"));
		const overBudget = sum(samplesOf(metrics, "roster_hedged_over_budget_total"));
		const rerouted = sum(samplesOf(metrics, "roster_hedged_rerouted_total"));
		const plainMetrics = (await scrape(plain.metrics)).samples;

		const early = (samples: Sample[]) => samples.filter(s => s.at >= frozenAt && s.at < frozenAt + STILL_ROUTED_MS);
		const foundSilent = (samples: Sample[]) => samples.filter(s => s.at >= frozenAt + FOUND_SILENT_MS && s.at < frozenAt + FREEZE_MS);
		const slow = (samples: Sample[]) => samples.filter(s => s.ms >= ATTEMPT_TIMEOUT_MS).length;
		const line = (name: string, samples: Sample[]) => {
			const all = summarize(samples);
			const first = summarize(early(samples));
			return (
				`${name}: ${all.requests} requests, ${all.failed} failed, p50 ${all.p50} ms, p99 ${all.p99} ms, max ${all.max} ms; ` +
				`sent in the first ${STILL_ROUTED_MS} ms of the freeze: ${first.requests}, ${slow(early(samples))} took ${ATTEMPT_TIMEOUT_MS} ms or more, p50 ${first.p50} ms, p99 ${first.p99} ms`
			);
		};
		console.log(
			[
				line("hedged", withHedging),
				line("not hedged", without),
				`hedged gateway: ${sum(calls)} calls could have a backup, ${backups} backups (${won} won), ${overBudget} over budget, ${rerouted} sent away from a silent node; ` +
					calls.map(c => `${c.labels.action} ${c.value}`).join(", "),
				`gateway without hedging: ${sum(samplesOf(plainMetrics, "roster_hedged_calls_total"))} hedged calls`
			].join("\n")
		);

		expect(withHedging.filter(failed)).toEqual([]);
		expect(won).toBeGreaterThan(0);
		expect(backups).toBeLessThanOrEqual(BUDGET.ratio * sum(calls) + BUDGET.burst * calls.length);
		// Without hedging about three requests in four met the frozen node (two reads each, half of
		// them sent there) and waited out an attempt; backups spare well over a quarter of those.
		expect(slow(early(withHedging))).toBeLessThanOrEqual(0.75 * slow(early(without)));
		// Once found silent, the frozen node gets no first attempt from the hedged gateway: nothing
		// it sent from then until the node thawed waited out an attempt, where the other gateway's did.
		expect(rerouted).toBeGreaterThan(0);
		expect(foundSilent(withHedging).filter(s => s.ms >= ATTEMPT_TIMEOUT_MS)).toEqual([]);
		expect(slow(foundSilent(without))).toBeGreaterThan(0);
		expect(samplesOf(plainMetrics, "roster_hedged_calls_total")).toEqual([]);

		// The REPL's node state (`breakers`) shows the same counts, and the attempts that lost
		// left nothing behind: no call awaits a reply, none is still tracked.
		const state = await observer!.call<NodeState, object>(NodeStateActions.state, {}, { nodeID: `gateway-hedged-${namespace}` });
		expect(state.hedgedReads.reduce((total, h) => total + h.backups, 0)).toBe(backups);
		expect(state.hedgedReads.reduce((total, h) => total + h.won, 0)).toBe(won);
		expect(state.inFlight).toMatchObject({ calling: 0, awaitingReply: 0 });
	});
});
