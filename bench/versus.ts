/**
 * The one-process system of another checkout against this one, taking turns: CPU time per
 * request (user + system from /proc, what a busy machine disturbs least), requests per second
 * and p99 of an authenticated GET /api/v1/employees/:id, 50 connections.
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && ln -s "$PWD/node_modules" . && npm run build)
 *   npm run build && OTHER=/tmp/before npx tsx bench/versus.ts     (ROUNDS=3 DURATION=5)
 *
 * PROF_DIR=/tmp/prof also writes a CPU profile of each node there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import autocannon from "autocannon";
import { MAIL_DIR, ROOT, cpuMicros, freePort, gatewayReady, median, send, signup, stopNode } from "./support";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 5);

async function startAt(root: string, port: number): Promise<ChildProcess> {
	const profile = process.env.PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROF_DIR}`] : [];
	const node = spawn(
		process.execPath,
		[...profile, path.join(root, "node_modules/moleculer/bin/moleculer-runner.js"), "--config", "dist/moleculer.config.js"],
		{
			cwd: root,
			stdio: ["ignore", "ignore", "inherit"],
			env: {
				...process.env,
				PORT: String(port),
				// Both sides run at once: each its own realtime port.
				REALTIME_PORT: "0",
				SERVICEDIR: "dist/services",
				LOG_LEVEL: "error",
				TRANSPORTER: "",
				CACHER: "",
				MAIL_DIR,
				RATE_LIMIT_ANONYMOUS: "1000000",
				RATE_LIMIT_USER: "1000000",
				JWT_SECRET: "versus-bench-secret-0123456789-abcdefghijklmnop"
			}
		}
	);
	for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise(resolve => setTimeout(resolve, 200))) {
		if (node.exitCode !== null) break;
		if (await gatewayReady(port)().catch(() => false)) return node;
	}
	throw new Error(`the node of ${root} did not come up`);
}

interface Side {
	name: string;
	node: ChildProcess;
	url: string;
	headers: Record<string, string>;
	cpu: number[];
	rps: number[];
	p99: number[];
}

async function side(name: string, root: string): Promise<Side> {
	const port = await freePort();
	const node = await startAt(root, port);
	const owner = await signup(port, `Versus${name}`);
	const hired = await send(
		port,
		false,
		"POST",
		"/api/v1/employees",
		{ firstName: "Ada", lastName: "Lovelace", workEmail: `ada-${name}@bench.test`, hireDate: "2024-01-01" },
		owner.accessToken
	);
	if (hired.status !== 201) throw new Error(`hire failed at ${root}: ${hired.status} ${hired.body}`);
	const url = `http://127.0.0.1:${port}/api/v1/employees/${JSON.parse(hired.body).id}`;
	return { name, node, url, headers: { authorization: `Bearer ${owner.accessToken}` }, cpu: [], rps: [], p99: [] };
}

async function main(): Promise<void> {
	if (!process.env.OTHER) throw new Error("OTHER names the checkout to compare with (built, with node_modules)");
	const sides = [await side("other", path.resolve(process.env.OTHER)), await side("this", ROOT)];
	try {
		for (const s of sides) await autocannon({ url: s.url, headers: s.headers, connections: 50, duration: 3 });
		for (let round = 0; round < ROUNDS; round++) {
			for (const s of sides) {
				const before = cpuMicros(s.node.pid!);
				const result = await autocannon({ url: s.url, headers: s.headers, connections: 50, duration: DURATION });
				s.cpu.push((cpuMicros(s.node.pid!) - before) / Math.max(1, result.requests.total));
				s.rps.push(result.requests.average);
				s.p99.push(result.latency.p99);
			}
		}
		for (const s of sides) {
			console.log(
				`${s.name.padEnd(6)} CPU ${median(s.cpu).toFixed(0).padStart(4)} µs/request (${s.cpu.map(c => c.toFixed(0)).join(", ")}), ${median(s.rps).toFixed(0)} req/s, p99 ${median(s.p99)} ms`
			);
		}
	} finally {
		for (const s of sides) await stopNode(s.node);
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
