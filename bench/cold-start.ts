/**
 * Cold start of the one-process system: from `node` starting moleculer-runner on the built
 * dist/ (the build is not counted) to the first 200 of GET /health/ready, when every service
 * has its routes. Issue #8's target: under 3 s.
 *
 *   npm run bench:cold-start     (builds first; RUNS=5)
 *
 * Each run starts a fresh process on the embedded defaults (NeDB in memory, no transporter),
 * polls readiness every 10 ms, and stops it. Printed: every run, and their median. For
 * comparison, the same for a bare `node -e ""` (what Node itself takes here) and for a process
 * that only loads Moleculer and starts an empty broker.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { ROOT, freePort, gatewayReady, median, stopNode } from "./support";

const RUNS = Number(process.env.RUNS ?? 5);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** ms from spawning `args` until `ready` answers true, or until the process exits 0 when there is no `ready`. */
async function timeToReady(args: string[], env: Record<string, string>, ready?: () => Promise<boolean>): Promise<number> {
	const started = performance.now();
	const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env } });
	if (!ready) {
		await new Promise(resolve => child.once("exit", resolve));
		return performance.now() - started;
	}
	try {
		for (;;) {
			if (child.exitCode !== null) throw new Error(`the node exited with ${child.exitCode}`);
			if (await ready().catch(() => false)) return performance.now() - started;
			if (performance.now() - started > 60_000) throw new Error("not ready within 60 s");
			await sleep(10);
		}
	} finally {
		await stopNode(child);
	}
}

async function roster(): Promise<number> {
	const port = await freePort();
	const env = {
		PORT: String(port),
		SERVICEDIR: "dist/services",
		LOG_LEVEL: "warn",
		TRANSPORTER: "",
		CACHER: "",
		DATABASE_URL: "",
		MONGO_URI: "",
		DATA_DIR: "",
		JWT_SECRET: randomBytes(24).toString("hex")
	};
	return timeToReady([path.join(ROOT, "node_modules/moleculer/bin/moleculer-runner.js"), "--config", "dist/moleculer.config.js"], env, gatewayReady(port));
}

const emptyBroker = () => timeToReady(["-e", 'new (require("moleculer").ServiceBroker)({ logger: false }).start().then(() => process.exit(0))'], {});
const bareNode = () => timeToReady(["-e", ""], {});

async function main(): Promise<void> {
	const rows: Array<[string, () => Promise<number>]> = [
		['node -e ""', bareNode],
		["an empty Moleculer broker", emptyBroker],
		["Roster, one process, to ready", roster]
	];
	console.log(`${RUNS} runs each, in turn\n`);
	const times = new Map<string, number[]>(rows.map(([name]) => [name, []]));
	for (let run = 0; run < RUNS; run++) {
		for (const [name, measure] of rows) times.get(name)!.push(await measure());
	}
	for (const [name, list] of times) {
		console.log(`${name.padEnd(34)} median ${median(list).toFixed(0).padStart(5)} ms   (${list.map(t => t.toFixed(0)).join(", ")})`);
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
