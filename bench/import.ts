/**
 * Employee import throughput (issue #10: ≥ 5,000 rows/s on the embedded default), in rows per
 * second from the upload to the import's `done`, on the embedded default (NeDB in memory, the
 * in-process channel adapter) and on PostgreSQL (a fresh schema at 127.0.0.1:5432; skipped when
 * it does not answer).
 *
 *   npm run bench:import        (ROWS=5000 ROUNDS=3; STORES=embedded skips PostgreSQL)
 *
 * Besides rows per second of wall time it prints rows per second of the process's CPU time
 * (user + system): on a machine shared with other work the wall figure drops with the load,
 * the CPU figure much less.
 *
 * Each scenario runs in its own child process (the store is chosen from the environment when a
 * process loads its configuration); the services are the real ones in one broker, driven by
 * broker calls as a staff user of a new company (the gateway is not what is measured here).
 */
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { ServiceBroker } from "moleculer";
import { Client } from "pg";
import { loadConfig } from "../lib/config";
import type { ImportJSON } from "../lib/names/imports";
import { brokerOptions } from "../moleculer.config";
import { readdirSync } from "node:fs";
import path from "node:path";
import type { ServiceSchema } from "moleculer";
import { answers } from "./support";

const ROWS = Number(process.env.ROWS ?? 5000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const STORES = process.env.STORES ?? "embedded,postgres";
const POSTGRES = process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/roster_test";

/** Every service but the gateways (as test/support/local-system.ts, which needs jest around it). */
function domainServices(): ServiceSchema[] {
	const dir = path.resolve(__dirname, "../services");
	return readdirSync(dir, { recursive: true, encoding: "utf8" })
		.filter(file => file.endsWith(".service.ts") && !file.startsWith("gateway"))
		.sort()
		.map(file => {
			// Loaded by path at run time, as moleculer-runner loads service files.
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const mod = require(path.join(dir, file));
			return (mod.default ?? mod) as ServiceSchema;
		});
}

function csv(rows: number, tag: string): string {
	const lines = ["employeeNumber,firstName,lastName,workEmail,hireDate,employmentType"];
	for (let i = 0; i < rows; i++) lines.push(`${tag}-${i},Bench,Person${i},p${i}.${tag}@bench.test,2024-06-01,full_time`);
	return lines.join("\n") + "\n";
}

/** In the child: imports ROWS rows ROUNDS times (a new company each time) and reports rows/s. */
async function measure(): Promise<void> {
	const broker = new ServiceBroker({ ...brokerOptions(loadConfig({ ...process.env, TRANSPORTER: "", CACHER: "" })), logger: false });
	for (const schema of domainServices()) broker.createService(schema);
	await broker.start();
	const results: Round[] = [];
	for (let round = 0; round < ROUNDS; round++) {
		const user = { id: randomUUID(), tenantId: randomUUID(), roles: ["owner"], employeeId: null, sessionId: randomUUID() };
		const body = csv(ROWS, `r${round}`);
		const started = performance.now();
		const cpu = process.cpuUsage();
		const { id } = await broker.call<{ id: string }, Readable>("imports.uploadEmployees", Readable.from([Buffer.from(body)]), { meta: { user } });
		let state: ImportJSON;
		for (;;) {
			state = await broker.call("imports.get", { id }, { meta: { user } });
			if (state.status === "done" || state.status === "failed") break;
			await new Promise(resolve => setTimeout(resolve, 20));
		}
		const seconds = (performance.now() - started) / 1000;
		const { user: cpuUser, system: cpuSystem } = process.cpuUsage(cpu);
		if (state.counts.imported !== ROWS) throw new Error(`imported ${state.counts.imported} of ${ROWS}: ${JSON.stringify(state.errors.slice(0, 3))}`);
		results.push({ wall: ROWS / seconds, cpu: ROWS / ((cpuUser + cpuSystem) / 1e6) });
	}
	await broker.stop();
	process.send!({ results });
}

interface Round {
	wall: number;
	cpu: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function scenario(env: Record<string, string>): Promise<Round[]> {
	return new Promise((resolve, reject) => {
		const child = fork(__filename, ["--child"], {
			env: { ...process.env, LOG_LEVEL: "error", ...env },
			execArgv: ["--import", "tsx", ...(process.env.PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/importprof"] : [])]
		});
		child.once("message", (m: { results: Round[] }) => resolve(m.results));
		child.once("exit", code => (code ? reject(new Error(`scenario exited with ${code}`)) : undefined));
	});
}

async function main(): Promise<void> {
	console.log(`Employee import: ${ROWS} new employees per round, ${ROUNDS} rounds per store (node ${process.version})`);
	const print = (name: string, results: Round[]) => {
		const wall = results.map(r => r.wall);
		const cpu = results.map(r => r.cpu);
		console.log(
			`  ${name.padEnd(34)} ${wall.map(r => `${Math.round(r)}`).join(", ")} rows/s   median ${Math.round(median(wall))} rows/s` +
				`   (per CPU second: median ${Math.round(median(cpu))} rows)`
		);
	};
	if (STORES.includes("embedded")) print("embedded (NeDB, in-process)", await scenario({ DATABASE_URL: "", MONGO_URI: "" }));
	if (!STORES.includes("postgres")) return;
	if (await answers(POSTGRES, 5432)) {
		const schema = `bench_import_${process.pid}`;
		const url = new URL(POSTGRES);
		url.searchParams.set("schema", schema);
		try {
			print("PostgreSQL (one fresh schema)", await scenario({ DATABASE_URL: url.href }));
		} finally {
			const admin = new Client({ connectionString: POSTGRES });
			await admin.connect();
			await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => admin.end());
		}
	} else console.log(`  PostgreSQL: skipped (${POSTGRES} does not answer)`);
}

if (process.argv.includes("--child"))
	measure().catch(err => {
		console.error(err);
		process.exit(1);
	});
else
	main().catch(err => {
		console.error(err);
		process.exit(1);
	});
