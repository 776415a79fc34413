/**
 * WebSocket clients held on one realtime node, and how fast a tenant-wide broadcast reaches them
 * (issue #9: 10,000 clients with the node under 400 MB; broadcast p99 under 250 ms).
 *
 *   npm run bench:realtime       (builds first; CLIENTS=10000 PROCESSES=4 BROADCASTS=10)
 *
 * Over NATS at 127.0.0.1:4222 (NATS_URL), as a cluster runs: one node with the REST gateway and
 * identity (signup, and the session check of every connect), one realtime node alone in its
 * process (SERVICES=gateway/realtime), and Redis for the cache and the connection slots when it
 * answers at 127.0.0.1:6379. The clients live in PROCESSES child processes
 * (bench/realtime-clients.ts), all signed in as one user whose cap is raised; this process joins
 * the bus as a plain broker and broadcasts RealtimeEvents.push to the tenant, as a
 * notification would be, BROADCASTS times half a second apart, after a first one that is printed
 * apart (the node's first broadcast after the connection storm is slower: its code paths are
 * not optimised yet). Each client measures the time from the broadcast's `sentAt` to its message
 * event (one machine, one clock).
 *
 * Printed: the realtime node's RSS idle, with every client connected, and at most during the
 * broadcasts; connect time; and broadcast latency p50, p99 and max over every client of every
 * broadcast, with the p99 of each broadcast.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ServiceBroker } from "moleculer";
import { RealtimeEvents, type RealtimePush } from "../lib/names/notifications";
import { deleteStreams } from "../test/support/jetstream";
import { answers, freePort, gatewayReady, percentile, rssMb, send, signup, startRoster, stopNode } from "./support";

const CLIENTS = Number(process.env.CLIENTS ?? 10_000);
const PROCESSES = Number(process.env.PROCESSES ?? 4);
const BROADCASTS = Number(process.env.BROADCASTS ?? 10);
const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const REDIS = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

type ChildMessage =
	| { type: "connected"; open: number; failed: number }
	| { type: "expecting"; round: number }
	| { type: "round"; round: number; latencies: number[]; missing: number };

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** The next message of each child that matches. */
function fromEach<T extends ChildMessage>(children: ChildProcess[], match: (m: ChildMessage) => m is T): Promise<T[]> {
	return Promise.all(
		children.map(
			child =>
				new Promise<T>((resolve, reject) => {
					const onExit = (code: number | null) => reject(new Error(`a client process exited with ${code}`));
					const onMessage = (m: ChildMessage) => {
						if (!match(m)) return;
						child.off("message", onMessage);
						child.off("exit", onExit);
						resolve(m);
					};
					child.on("message", onMessage);
					child.once("exit", onExit);
				})
		)
	);
}

async function main(): Promise<void> {
	if (!(await answers(NATS, 4222))) {
		console.log(`NATS does not answer at ${NATS}: the realtime bench needs it.`);
		process.exit(1);
	}
	const cluster = {
		TRANSPORTER: NATS,
		NAMESPACE: `bench-rt-${process.pid}`,
		JWT_SECRET: randomBytes(24).toString("hex"),
		CACHER: (await answers(REDIS, 6379)) ? REDIS : ""
	};
	const apiPort = await freePort();
	const realtimePort = await freePort();
	const nodes: ChildProcess[] = [];
	const children: ChildProcess[] = [];
	// The nodes' heartbeat settings (moleculer.config.ts): with the default 10 s they would drop this node as gone.
	const broker = new ServiceBroker({
		namespace: cluster.NAMESPACE,
		nodeID: `bench-${process.pid}`,
		transporter: NATS,
		logger: false,
		heartbeatInterval: 1,
		heartbeatTimeout: 3
	});
	const stop = async () => {
		for (const child of children) if (child.connected) child.send({ type: "close" });
		await broker.stop().catch(() => undefined);
		for (const node of nodes.reverse()) await stopNode(node);
		await deleteStreams([cluster.NAMESPACE], NATS).catch(() => undefined);
	};
	try {
		nodes.push(
			await startRoster({ ...cluster, SERVICES: "gateway/api,data/identity", PORT: String(apiPort), READY_SERVICES: "identity" }, gatewayReady(apiPort))
		);
		const realtime = await startRoster(
			{
				...cluster,
				SERVICES: "gateway/realtime",
				PORT: String(await freePort()),
				REALTIME_PORT: String(realtimePort),
				REALTIME_MAX_CONNECTIONS_PER_USER: String(CLIENTS * 2)
			},
			async () => (await send(realtimePort, false, "GET", "/health/ready")).status === 200
		);
		nodes.push(realtime);
		const owner = await signup(apiPort, "Realtime");
		const tenantId = JSON.parse(Buffer.from(owner.accessToken.split(".")[1], "base64url").toString()).tid as string;
		await broker.start();
		await broker.waitForServices(["realtime"], 10_000);
		await sleep(2000);
		const idle = rssMb(realtime.pid!);

		console.log(
			`${CLIENTS} clients in ${PROCESSES} processes → one realtime node (pid ${realtime.pid}) over NATS${cluster.CACHER ? ", Redis for cache and slots" : ", no Redis"}`
		);
		const connectStart = performance.now();
		const share = Math.ceil(CLIENTS / PROCESSES);
		for (let i = 0; i < PROCESSES; i++) {
			const count = Math.min(share, CLIENTS - i * share);
			if (count <= 0) break;
			children.push(
				fork(path.join(__dirname, "realtime-clients.ts"), [], {
					env: { ...process.env, RT_URL: `ws://127.0.0.1:${realtimePort}/realtime`, RT_TOKEN: owner.accessToken, RT_COUNT: String(count) },
					execArgv: ["--import", "tsx"]
				})
			);
		}
		const connected = await fromEach(children, (m): m is Extract<ChildMessage, { type: "connected" }> => m.type === "connected");
		const open = connected.reduce((n, c) => n + c.open, 0);
		const failed = connected.reduce((n, c) => n + c.failed, 0);
		const connectSeconds = (performance.now() - connectStart) / 1000;
		await sleep(2000);
		const held = rssMb(realtime.pid!);

		const all: number[] = [];
		const perRound: string[] = [];
		let missing = 0;
		let peak = held;
		let cold = "";
		// Round 0 is the node's first broadcast after the connection storm (its code paths not yet
		// optimised, the storm's garbage not yet collected): printed on its own, not in the figures.
		for (let round = 0; round <= BROADCASTS; round++) {
			const expecting = fromEach(children, (m): m is Extract<ChildMessage, { type: "expecting" }> => m.type === "expecting" && m.round === round);
			for (const child of children) child.send({ type: "expect", round });
			await expecting;
			const results = fromEach(children, (m): m is Extract<ChildMessage, { type: "round" }> => m.type === "round" && m.round === round);
			const push: RealtimePush = { tenantId, message: { type: "bench", round, sentAt: performance.timeOrigin + performance.now() } };
			broker.broadcast(RealtimeEvents.push, push);
			const sampler = setInterval(() => (peak = Math.max(peak, rssMb(realtime.pid!))), 20);
			const rounds = await results;
			clearInterval(sampler);
			const latencies = rounds.flatMap(r => r.latencies).sort((a, b) => a - b);
			missing += rounds.reduce((n, r) => n + r.missing, 0);
			if (round === 0) {
				cold = `p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}`;
				await sleep(500);
				continue;
			}
			all.push(...latencies);
			perRound.push(latencies.length ? percentile(latencies, 99).toFixed(0) : "-");
			await sleep(500);
		}
		all.sort((a, b) => a - b);

		console.log(`connected: ${open} of ${CLIENTS} (${failed} failed) in ${connectSeconds.toFixed(1)} s (${Math.round(open / connectSeconds)}/s)`);
		console.log(
			`realtime node RSS: idle ${idle.toFixed(0)} MB, ${open} connected ${held.toFixed(0)} MB, during broadcasts at most ${peak.toFixed(0)} MB (target < 400 MB)`
		);
		console.log(
			`broadcast to the tenant, ${BROADCASTS} times, measured at each client: p50 ${fmt(percentile(all, 50))}, p99 ${fmt(percentile(all, 99))}, max ${fmt(all[all.length - 1])} (target p99 < 250 ms); ${all.length} deliveries, ${missing} missing`
		);
		console.log(`p99 of each broadcast (ms): ${perRound.join(", ")}; the first broadcast after connecting (not counted): ${cold}`);
	} finally {
		await stop();
	}
}

main().then(
	() => process.exit(0),
	err => {
		console.error(err);
		process.exit(1);
	}
);
