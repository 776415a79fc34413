/**
 * What the gateway costs, as a ratio of raw Node http measured in the same run (issue #8).
 *
 *   npm run bench:gateway        (builds first; ROUNDS=3 DURATION=10 CONNECTIONS=50)
 *
 * Each scenario runs in a process of its own, driven by autocannon from this one, for ROUNDS
 * rounds of DURATION seconds at CONNECTIONS connections (keep-alive), taking turns so that a
 * noisy minute of a shared machine falls on every scenario alike. Printed: median requests per
 * second, its ratio to raw http, and median p50/p99 latency; then, per server process, the CPU
 * time it spent per request (user + system, from /proc: what a busy machine disturbs least)
 * and its resident memory idle (before the first round) and under load (the most seen while
 * the rounds ran); last, each scenario's CPU budget: that CPU per request summed over every
 * process it runs on this machine (nats-server, redis-server and this process's autocannon
 * included) and the two ceilings it sets, all cores and one Node thread.
 * - raw http: node:http answering a small JSON body;
 * - bare moleculer-web: one route to a local action, no authentication;
 * - Roster, one process: the embedded defaults, an authenticated GET /api/v1/employees/:id;
 * - Roster, gateway → data node over NATS (127.0.0.1:4222, skipped when it does not answer),
 *   sharing the Redis cache at 127.0.0.1:6379 as compose does (without it when it does not answer),
 *   each node with the image's Node.js flags (bench/support.ts, IMAGE_NODE_OPTIONS).
 * ONLY=nats (or bare, one) keeps raw http, the baseline, and the scenarios whose name holds it:
 * what a profile of one scenario needs (NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof").
 * Rate limits are raised for Roster: every request is still counted, none is refused. The nodes
 * log at LOG_LEVEL=warn unless it is set, so no access line is written (what one costs:
 * docs/benchmarks.md, "What the access log costs").
 */
import { type ChildProcess, fork } from "node:child_process";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { NATS, answers, cpuMicros, freePort, gatewayAndDataNode, gatewayReady, median, pidOf, rssMb, send, signup, startRoster, stopNode } from "./support";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const ONLY = process.env.ONLY?.toLowerCase();
const wanted = (name: string) => !ONLY || name.toLowerCase().includes(ONLY);

interface Scenario {
	name: string;
	url: string;
	headers?: Record<string, string>;
	/** The server processes, by the name the table gives them. */
	processes: Record<string, ChildProcess>;
	/** The machine's own servers it talks to (nats-server, redis-server), by pid: their CPU is in its budget. */
	servers?: Record<string, number>;
	stop(): Promise<void>;
}

interface Sample {
	rps: number;
	p50: number;
	p99: number;
	errors: number;
	cpuPerRequest: Record<string, number>;
}

/** A bench server of bench/servers/, run with tsx, ready when it says so. */
async function startServer(file: string): Promise<{ port: number; child: ChildProcess }> {
	const port = await freePort();
	const child = fork(path.join(__dirname, "servers", file), [], { env: { ...process.env, PORT: String(port) }, execArgv: ["--import", "tsx"] });
	await new Promise<void>((resolve, reject) => {
		child.once("message", () => resolve());
		child.once("exit", code => reject(new Error(`${file} exited with ${code}`)));
	});
	return { port, child };
}

/** A company with one employee, and its owner's token: what GET /api/v1/employees/:id reads. */
async function employeeToRead(port: number, company: string): Promise<{ path: string; token: string }> {
	const owner = await signup(port, company);
	const hired = await send(
		port,
		false,
		"POST",
		"/api/v1/employees",
		{ firstName: "Ada", lastName: "Lovelace", workEmail: `ada-${company}@bench.test`, hireDate: "2024-01-01" },
		owner.accessToken
	);
	if (hired.status !== 201) throw new Error(`hire failed: ${hired.status} ${hired.body}`);
	return { path: `/api/v1/employees/${JSON.parse(hired.body).id}`, token: owner.accessToken };
}

async function rosterOneProcess(): Promise<Scenario> {
	const port = await freePort();
	const node = await startRoster({ PORT: String(port) }, gatewayReady(port));
	const { path: urlPath, token } = await employeeToRead(port, "OneProcess").catch(async err => {
		await stopNode(node);
		throw err;
	});
	return {
		name: "Roster, one process",
		url: `http://127.0.0.1:${port}${urlPath}`,
		headers: { authorization: `Bearer ${token}` },
		processes: { "one process": node },
		stop: () => stopNode(node)
	};
}

async function rosterOverNats(): Promise<Scenario> {
	const cluster = await gatewayAndDataNode("gateway", "identity,employees", port => employeeToRead(port, "OverNats"));
	return {
		name: "Roster, gateway → data over NATS",
		url: `http://127.0.0.1:${cluster.port}${cluster.prepared.path}`,
		headers: { authorization: `Bearer ${cluster.prepared.token}` },
		processes: { "data node": cluster.data, "gateway node": cluster.gateway },
		servers: sharedServers(),
		stop: cluster.stop
	};
}

async function serverScenario(name: string, file: string, urlPath: string): Promise<Scenario> {
	const { port, child } = await startServer(file);
	return { name, url: `http://127.0.0.1:${port}${urlPath}`, processes: { [name]: child }, stop: () => stopNode(child) };
}

/** NATS and Redis when they run on this machine (they do here, as in compose): their CPU is the cluster's too. */
function sharedServers(): Record<string, number> {
	const found = ["nats-server", "redis-server"].map(command => [command, pidOf(command)] as const);
	return Object.fromEntries(found.filter((entry): entry is [string, number] => entry[1] !== undefined));
}

/** autocannon runs in this process: what the client costs is on the same cores as the servers. */
const LOAD_GENERATOR = "load generator (autocannon)";
const selfCpuMicros = () => {
	const { user, system } = process.cpuUsage();
	return user + system;
};

/** The most memory each process held while under load, by process name. */
const rssUnderLoad = new Map<string, number>();

async function measure(scenario: Scenario): Promise<Sample> {
	const processes = Object.entries(scenario.processes);
	const counted: [string, () => number][] = [
		...processes.map(([name, child]) => [name, () => cpuMicros(child.pid!)] as [string, () => number]),
		...Object.entries(scenario.servers ?? {}).map(([name, pid]) => [name, () => cpuMicros(pid)] as [string, () => number]),
		[LOAD_GENERATOR, selfCpuMicros]
	];
	const cpuBefore = counted.map(([, cpu]) => cpu());
	const watchMemory = setInterval(() => {
		for (const [name, child] of processes) rssUnderLoad.set(name, Math.max(rssUnderLoad.get(name) ?? 0, rssMb(child.pid!)));
	}, 500);
	const result = await Promise.resolve(autocannon({ url: scenario.url, headers: scenario.headers, connections: CONNECTIONS, duration: DURATION })).finally(
		() => clearInterval(watchMemory)
	);
	const errors = result.errors + result.timeouts + result.non2xx;
	for (const [name, child] of processes)
		if (child.exitCode !== null || child.signalCode !== null) console.log(`${name} exited (${child.exitCode ?? child.signalCode}) during the round`);
	const cpuPerRequest = Object.fromEntries(counted.map(([name, cpu], i) => [name, (cpu() - cpuBefore[i]) / Math.max(1, result.requests.total)]));
	return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors, cpuPerRequest };
}

async function main(): Promise<void> {
	const scenarios: Scenario[] = [];
	try {
		scenarios.push(await serverScenario("raw Node http", "raw-http.ts", "/"));
		if (wanted("bare moleculer-web")) scenarios.push(await serverScenario("bare moleculer-web, no auth", "bare-web.ts", "/api/people/1"));
		if (wanted("Roster, one process")) scenarios.push(await rosterOneProcess());
		if (wanted("Roster over NATS")) {
			if (await answers(NATS, 4222)) scenarios.push(await rosterOverNats());
			else console.log(`NATS does not answer at ${NATS}: the cluster scenario is left out.`);
		}

		const rssIdle = new Map(scenarios.flatMap(s => Object.entries(s.processes)).map(([name, child]) => [name, rssMb(child.pid!)]));
		console.log(`${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s per scenario, taking turns\n`);
		const samples = new Map<string, Sample[]>(scenarios.map(s => [s.name, []]));
		for (let round = 1; round <= ROUNDS; round++) {
			for (const scenario of scenarios) {
				const sample = await measure(scenario);
				samples.get(scenario.name)!.push(sample);
				console.log(
					`round ${round}: ${scenario.name.padEnd(34)} ${sample.rps.toFixed(0).padStart(8)} req/s  p99 ${sample.p99} ms  errors ${sample.errors}`
				);
			}
		}

		const raw = median(samples.get(scenarios[0].name)!.map(s => s.rps));
		const oneProcess = median(samples.get("Roster, one process")?.map(s => s.rps) ?? [NaN]);
		console.log(`\n${"scenario".padEnd(34)} ${"req/s".padStart(8)} ${"of raw".padStart(7)} ${"p50".padStart(6)} ${"p99".padStart(6)}`);
		for (const scenario of scenarios) {
			const list = samples.get(scenario.name)!;
			const rps = median(list.map(s => s.rps));
			const row = `${scenario.name.padEnd(34)} ${rps.toFixed(0).padStart(8)} ${(rps / raw).toFixed(2).padStart(7)} ${`${median(list.map(s => s.p50))}ms`.padStart(6)} ${`${median(list.map(s => s.p99))}ms`.padStart(6)}`;
			console.log(scenario.name.includes("NATS") ? `${row}   (${(rps / oneProcess).toFixed(2)} of one process)` : row);
		}
		console.log(`\n${"process".padEnd(34)} ${"CPU µs/request".padStart(15)} ${"RSS idle".padStart(9)} ${"RSS load".padStart(9)}`);
		for (const scenario of scenarios) {
			for (const name of Object.keys(scenario.processes)) {
				const cpu = median(samples.get(scenario.name)!.map(s => s.cpuPerRequest[name]));
				console.log(
					`${name.padEnd(34)} ${cpu.toFixed(0).padStart(15)} ${`${rssIdle.get(name)!.toFixed(0)} MB`.padStart(9)} ${`${(rssUnderLoad.get(name) ?? 0).toFixed(0)} MB`.padStart(9)}`
				);
			}
		}
		printCpuBudget(scenarios, samples);
	} finally {
		for (const scenario of scenarios) await scenario.stop().catch(() => undefined);
	}
}

/**
 * What the machine can give each scenario at most: every process it runs here (servers, NATS,
 * Redis, the load generator) shares these cores, and a Node process answers on one thread. A
 * scenario near either ceiling is bound by it, whatever the others cost.
 */
function printCpuBudget(scenarios: Scenario[], samples: Map<string, Sample[]>): void {
	const cores = os.availableParallelism();
	console.log(
		`\n${"CPU per request, every process".padEnd(34)} ${"µs".padStart(6)} ${`${cores} cores at most`.padStart(17)}   busiest Node process (one thread) at most`
	);
	for (const scenario of scenarios) {
		const list = samples.get(scenario.name)!;
		const cpu = (name: string) => median(list.map(s => s.cpuPerRequest[name]));
		const total = Object.keys(list[0].cpuPerRequest).reduce((sum, name) => sum + cpu(name), 0);
		const [busiest, busiestCpu] = Object.keys(scenario.processes)
			.map(name => [name, cpu(name)] as const)
			.reduce((a, b) => (b[1] > a[1] ? b : a));
		const parts = Object.keys(list[0].cpuPerRequest)
			.map(name => `${name} ${cpu(name).toFixed(0)}`)
			.join(" + ");
		console.log(
			`${scenario.name.padEnd(34)} ${total.toFixed(0).padStart(6)} ${`${((cores * 1e6) / total).toFixed(0)} req/s`.padStart(17)}   ${busiest}: ${(1e6 / busiestCpu).toFixed(0)} req/s`
		);
		console.log(`${"".padEnd(34)} ${parts}`);
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
