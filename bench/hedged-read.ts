/**
 * What hedged reads buy while a data node is frozen, as a ratio to no hedging in the same run.
 *
 *   npm run bench:hedged-read      (builds first; RATE=40 DURATION=25 FREEZE_AT=6 FREEZE=10)
 *
 * Two data nodes sharing one PostgreSQL schema (made for the run in 127.0.0.1:5432/postgres,
 * dropped after; DATABASE_URL to use another database), and two gateways over NATS
 * (127.0.0.1:4222, NATS_URL): one hedging its reads (the default), one with HEDGED_READS=false.
 * The same open-loop stream of authenticated reads (GET /api/v1/employees/:id and /api/v1/me,
 * RATE a second each) goes through each gateway for DURATION seconds, and one data node is
 * frozen (SIGSTOP) from FREEZE_AT for FREEZE seconds. Printed per gateway: failures and latency
 * over the run, during the freeze, and in its first 2 s (before any gateway can have dropped the
 * node, so the balancer still sends it half the reads), then the hedged gateway's backups.
 */
import { randomUUID } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { Client } from "pg";
import { deleteStreams } from "../test/support/jetstream";
import { parseSamples, samplesOf } from "../test/support/metrics";
import { type Sample, startReadStream, summarize } from "../test/support/read-stream";
import { freePort, gatewayReady, send, signup, startRoster, stopNode } from "./support";

const RATE = Number(process.env.RATE ?? 40);
const DURATION_MS = Number(process.env.DURATION ?? 25) * 1000;
const FREEZE_AT_MS = Number(process.env.FREEZE_AT ?? 6) * 1000;
const FREEZE_MS = Number(process.env.FREEZE ?? 10) * 1000;
/** No gateway drops the frozen node sooner (its last heartbeat at most 1 s before, dropped 3 s after). */
const STILL_ROUTED_MS = 2000;
const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const DATABASE = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Ready when the node's HEALTH_PORT says its services have started. */
const healthReady = (port: number) => async () => (await send(port, false, "GET", "/health/ready")).status === 200;

async function dropSchema(url: string, schema: string): Promise<void> {
	const client = new Client({ connectionString: url });
	await client.connect();
	try {
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
	} finally {
		await client.end();
	}
}

function row(name: string, samples: Sample[], frozenAt: number, thawedAt: number): string[] {
	const all = summarize(samples);
	const frozen = summarize(samples.filter(s => s.at >= frozenAt && s.at < thawedAt));
	const early = samples.filter(s => s.at >= frozenAt && s.at < frozenAt + STILL_ROUTED_MS);
	const first = summarize(early);
	const waited = early.filter(s => s.ms >= 1000).length;
	return [
		name,
		`${all.requests}`,
		`${all.failed}`,
		`${all.p50}`,
		`${all.p99}`,
		`${frozen.p50}`,
		`${frozen.p99}`,
		`${first.p50}`,
		`${first.p99}`,
		`${waited}/${early.length}`
	];
}

function table(rows: string[][]): string {
	const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
	return rows.map(r => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ")).join("\n");
}

async function main(): Promise<void> {
	const schema = `bench_hedge_${randomUUID().replace(/-/g, "").slice(0, 8)}`;
	const databaseUrl = `${DATABASE}${DATABASE.includes("?") ? "&" : "?"}schema=${schema}`;
	// The nodes' retry warnings would bury the table: errors only, unless LOG_LEVEL says otherwise.
	const cluster = {
		TRANSPORTER: NATS,
		NAMESPACE: `bench-hedge-${process.pid}`,
		JWT_SECRET: randomUUID() + randomUUID(),
		DATABASE_URL: databaseUrl,
		LOG_LEVEL: process.env.LOG_LEVEL ?? "error"
	};
	const nodes: ChildProcess[] = [];
	let frozen: ChildProcess | undefined;
	try {
		// One data node first: it makes the schema's tables, then the second joins it.
		for (const name of ["data-1", "data-2"]) {
			const health = await freePort();
			const node = await startRoster(
				{ ...cluster, NODE_ID: `${name}-${process.pid}`, SERVICES: "data", HEALTH_PORT: String(health) },
				healthReady(health)
			);
			nodes.push(node);
			frozen = node;
		}
		const gateways: Array<{ name: string; port: number; metrics: number }> = [];
		for (const [name, hedged] of [
			["hedging on", "true"],
			["hedging off", "false"]
		] as const) {
			const port = await freePort();
			const metrics = await freePort();
			const env = {
				...cluster,
				SERVICES: "gateway/api",
				PORT: String(port),
				METRICS_PORT: String(metrics),
				READY_SERVICES: "identity,employees",
				HEDGED_READS: hedged
			};
			nodes.push(await startRoster(env, gatewayReady(port)));
			gateways.push({ name, port, metrics });
		}
		const owner = await signup(gateways[0].port, "HedgeBench");
		const hired = await send(
			gateways[0].port,
			false,
			"POST",
			"/api/v1/employees",
			{ firstName: "Ada", lastName: "Lovelace", workEmail: `ada-${process.pid}@bench.test`, hireDate: "2024-01-01" },
			owner.accessToken
		);
		if (hired.status !== 201) throw new Error(`hire failed: ${hired.status} ${hired.body}`);
		const paths = [`/api/v1/employees/${JSON.parse(hired.body).id}`, "/api/v1/me"];

		console.log(
			`${RATE} requests a second through each gateway for ${DURATION_MS / 1000} s; data-2 frozen from ${FREEZE_AT_MS / 1000} s for ${FREEZE_MS / 1000} s\n`
		);
		const streams = gateways.map(g =>
			startReadStream({
				gateways: [`http://127.0.0.1:${g.port}`],
				paths,
				token: owner.accessToken,
				ratePerSecond: RATE,
				durationMs: DURATION_MS,
				clientTimeoutMs: 15_000
			})
		);
		await sleep(FREEZE_AT_MS - streams[0].elapsed());
		const frozenAt = streams[0].elapsed();
		frozen!.kill("SIGSTOP");
		await sleep(FREEZE_MS);
		frozen!.kill("SIGCONT");
		const thawedAt = streams[0].elapsed();
		const results = await Promise.all(streams.map(s => s.done));

		const header = ["gateway", "requests", "failed", "p50", "p99", "frozen p50", "frozen p99", "first 2 s p50", "first 2 s p99", "waited ≥ 1 s"];
		console.log(table([header, ...gateways.map((g, i) => row(g.name, results[i], frozenAt, thawedAt))]));
		const during = results.map(samples => summarize(samples.filter(s => s.at >= frozenAt && s.at < thawedAt)));
		const early = results.map(samples => summarize(samples.filter(s => s.at >= frozenAt && s.at < frozenAt + STILL_ROUTED_MS)));
		console.log(
			`\non / off, while frozen: p50 ${(during[0].p50 / during[1].p50).toFixed(2)}, p99 ${(during[0].p99 / during[1].p99).toFixed(2)}; ` +
				`in its first 2 s: p50 ${(early[0].p50 / early[1].p50).toFixed(2)}, p99 ${(early[0].p99 / early[1].p99).toFixed(2)}  (latencies in ms)`
		);

		const scraped = parseSamples((await send(gateways[0].metrics, false, "GET", "/metrics")).body);
		const total = (name: string) => samplesOf(scraped, name).reduce((sum, s) => sum + s.value, 0);
		const calls = total("roster_hedged_calls_total");
		const backups = total("roster_hedged_backups_total");
		console.log(
			`backups: ${backups} of ${calls} hedgeable calls (${((100 * backups) / Math.max(1, calls)).toFixed(1)} %), ` +
				`${total("roster_hedged_backups_won_total")} answered first; ${total("roster_hedged_over_budget_total")} calls found the budget spent`
		);
	} finally {
		frozen?.kill("SIGCONT");
		for (const node of nodes.reverse()) await stopNode(node).catch(() => undefined);
		await deleteStreams([cluster.NAMESPACE], NATS).catch(() => undefined);
		await dropSchema(DATABASE, schema).catch(err => console.error(`could not drop schema ${schema}: ${(err as Error).message}`));
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
