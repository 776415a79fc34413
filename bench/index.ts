/**
 * Every figure issues #8 and #9 ask for, from one command:
 *
 *   npm run bench        (builds once; each part also runs alone: npm run bench:<part>)
 *
 * Each part runs in a process of its own, one after the other, so none measures while another
 * loads the machine. The parts take their own variables (ROUNDS, DURATION, RUNS...); see each
 * file's header. docs/benchmarks.md records the figures.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

const PARTS: Array<{ file: string; title: string }> = [
	{ file: "gateway.ts", title: "Gateway: raw http, bare moleculer-web, Roster in one process and over NATS; CPU and memory per process" },
	{ file: "cold-start.ts", title: "Cold start of the one-process system" },
	{ file: "hedged-read.ts", title: "Hedged reads with one data node frozen" },
	{ file: "data-volume.ts", title: "One tenant of 100,000 employees on PostgreSQL" },
	{ file: "short-links.ts", title: "Short-link redirects (GET /s/:code) against a raw http 302" },
	{ file: "events.ts", title: "Durable events through JetStream (and in process): publish → handled, per second and p99" },
	{ file: "realtime.ts", title: "10,000 WebSocket clients on one realtime node, and a tenant-wide broadcast to them" }
];

let failed = 0;
for (const part of PARTS) {
	console.log(`\n=== ${part.title} (bench/${part.file}) ===\n`);
	const run = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, part.file)], { stdio: "inherit", env: process.env });
	if (run.status !== 0) {
		failed++;
		console.log(`bench/${part.file} failed (exit ${run.status ?? run.signal})`);
	}
}
process.exit(failed > 0 ? 1 : 0);
