/**
 * A data node's start on PostgreSQL: ms from spawning `SERVICES=data` (every data service, over
 * NATS, from dist/) until Moleculer logs its services started, on a fresh schema (it makes every
 * table and index), then again on that schema (everything exists: a restart, or a node added),
 * then two nodes at once on it (until both have started), as a cluster starts.
 *
 *   npm run build && tsx bench/data-node-start.ts [root …]      (RUNS=5)
 *
 * Each root is a checkout with a built dist/ (default this one): give an older build as well,
 * e.g. `git archive <commit> | tar -x -C /tmp/before` and `npm run build` there, and the two
 * alternate within each run, so both see the same load. Printed: every start, and the medians.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { NATS_URL } from "../test/support/external";
import { dropSchema, freshSchemaUrl } from "../test/support/postgres";
import { ROOT, median, stopNode } from "./support";

const RUNS = Number(process.env.RUNS ?? 5);
const roots = process.argv.length > 2 ? process.argv.slice(2).map(root => path.resolve(root)) : [ROOT];

/** ms until `count` nodes started at once have all logged that their services started; they are stopped before this answers. */
async function startTime(root: string, databaseUrl: string, count = 1): Promise<number> {
	return Math.max(...(await Promise.all(Array.from({ length: count }, () => startOne(root, databaseUrl)))));
}

async function startOne(root: string, databaseUrl: string): Promise<number> {
	const started = performance.now();
	const child = spawn(process.execPath, [path.join(root, "node_modules/moleculer/bin/moleculer-runner.js"), "--config", "dist/moleculer.config.js"], {
		cwd: root,
		stdio: ["ignore", "pipe", "pipe"],
		env: {
			...process.env,
			NODE_ENV: "test",
			NAMESPACE: `bench-${randomUUID().slice(0, 8)}`,
			TRANSPORTER: NATS_URL,
			SERVICEDIR: "dist/services",
			SERVICES: "data",
			DATABASE_URL: databaseUrl,
			MONGO_URI: "",
			CACHER: "",
			LOG_LEVEL: "info",
			JWT_SECRET: "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
		}
	});
	let log = "";
	try {
		return await new Promise<number>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`not started within 120 s:\n${log.slice(-2000)}`)), 120_000);
			const read = (chunk: Buffer) => {
				log += chunk.toString("utf8");
				if (/service\(s\) started successfully/.test(log)) {
					clearTimeout(timer);
					resolve(performance.now() - started);
				}
			};
			child.stdout.on("data", read);
			child.stderr.on("data", read);
			child.once("exit", code => reject(new Error(`the node exited with ${code}:\n${log.slice(-2000)}`)));
		});
	} finally {
		await stopNode(child);
	}
}

async function main(): Promise<void> {
	const fresh = new Map<string, number[]>(roots.map(root => [root, []]));
	const again = new Map<string, number[]>(roots.map(root => [root, []]));
	const pair = new Map<string, number[]>(roots.map(root => [root, []]));
	for (let run = 1; run <= RUNS; run++) {
		for (const root of roots) {
			const url = freshSchemaUrl("bench_start");
			try {
				const first = await startTime(root, url);
				const second = await startTime(root, url);
				const both = await startTime(root, url, 2);
				fresh.get(root)!.push(first);
				again.get(root)!.push(second);
				pair.get(root)!.push(both);
				console.log(
					`run ${run} ${root}: fresh schema ${Math.round(first)} ms, existing schema ${Math.round(second)} ms, two nodes at once ${Math.round(both)} ms`
				);
			} finally {
				await dropSchema(url);
			}
		}
	}
	for (const root of roots) {
		console.log(
			`${root}: median of ${RUNS}, fresh schema ${Math.round(median(fresh.get(root)!))} ms, existing schema ${Math.round(median(again.get(root)!))} ms, two nodes at once ${Math.round(median(pair.get(root)!))} ms`
		);
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
