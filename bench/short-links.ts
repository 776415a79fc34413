/**
 * Redirect throughput of GET /s/:code, as a ratio of raw Node http answering the same 302 in
 * the same run (issue #10).
 *
 *   npm run bench:short-links        (builds first; ROUNDS=3 DURATION=10 CONNECTIONS=50)
 *
 * Scenarios take turns for ROUNDS rounds of DURATION seconds, driven by autocannon from this
 * process (keep-alive, CONNECTIONS connections), so a noisy minute falls on each alike:
 * - raw Node http: a fixed 302 (bench/servers/raw-redirect.ts);
 * - Roster, one process: the embedded defaults (memory cacher, NeDB), GET /s/:code of a link
 *   made through the API;
 * - Roster, gateway → data node over NATS (skipped when 127.0.0.1:4222 does not answer), with
 *   the Redis cache at 127.0.0.1:6379 when it answers, as compose runs it.
 * Every redirect is counted (clicks are flushed once a second); rate limits are raised so none
 * is refused. Printed: median requests per second, its ratio to raw http, median p50 and p99,
 * and the clicks the link shows afterwards against the redirects autocannon saw answered.
 */
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import autocannon from "autocannon";
import { NATS, answers, freePort, gatewayAndDataNode, gatewayReady, median, send, signup, startRoster, stopNode } from "./support";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);

interface Scenario {
	name: string;
	url: string;
	/** The clicks the link shows now (Roster only). */
	clicks?(): Promise<number>;
	stop(): Promise<void>;
}

interface Sample {
	rps: number;
	p50: number;
	p99: number;
	redirects: number;
	errors: number;
}

async function rawRedirect(): Promise<Scenario> {
	const port = await freePort();
	const child: ChildProcess = fork(path.join(__dirname, "servers", "raw-redirect.ts"), [], {
		env: { ...process.env, PORT: String(port) },
		execArgv: ["--import", "tsx"]
	});
	await new Promise<void>((resolve, reject) => {
		child.once("message", () => resolve());
		child.once("exit", code => reject(new Error(`raw-redirect exited with ${code}`)));
	});
	return { name: "raw Node http, 302", url: `http://127.0.0.1:${port}/s/abcdefgh`, stop: () => stopNode(child) };
}

/** A short link made by a new company's owner, and a way to read its clicks. */
async function shortLink(port: number, company: string): Promise<Pick<Scenario, "url" | "clicks">> {
	const owner = await signup(port, company);
	const made = await send(port, false, "POST", "/api/v1/short-links", { url: "https://example.com/jobs/42?ref=sms" }, owner.accessToken);
	if (made.status !== 201) throw new Error(`creating the short link failed: ${made.status} ${made.body}`);
	const { id, code } = JSON.parse(made.body) as { id: string; code: string };
	return {
		url: `http://127.0.0.1:${port}/s/${code}`,
		async clicks() {
			const shown = await send(port, false, "GET", `/api/v1/short-links/${id}`, undefined, owner.accessToken);
			return (JSON.parse(shown.body) as { totalClicks: number }).totalClicks;
		}
	};
}

async function rosterOneProcess(): Promise<Scenario> {
	const port = await freePort();
	const node = await startRoster({ PORT: String(port) }, gatewayReady(port));
	const link = await shortLink(port, "OneProcess").catch(async err => {
		await stopNode(node);
		throw err;
	});
	return { name: "Roster, one process", ...link, stop: () => stopNode(node) };
}

async function rosterOverNats(): Promise<Scenario> {
	const cluster = await gatewayAndDataNode("short", "identity,shorturl", port => shortLink(port, "OverNats"));
	return { name: "Roster, gateway → data over NATS", ...cluster.prepared, stop: cluster.stop };
}

async function measure(scenario: Scenario): Promise<Sample> {
	const result = await autocannon({ url: scenario.url, connections: CONNECTIONS, duration: DURATION });
	const redirects = result["3xx"];
	return {
		rps: result.requests.average,
		p50: result.latency.p50,
		p99: result.latency.p99,
		redirects,
		errors: result.errors + result.timeouts + (result.non2xx - redirects)
	};
}

async function main(): Promise<void> {
	const scenarios: Scenario[] = [];
	try {
		scenarios.push(await rawRedirect());
		scenarios.push(await rosterOneProcess());
		if (await answers(NATS, 4222)) scenarios.push(await rosterOverNats());
		else console.log(`NATS does not answer at ${NATS}: the cluster scenario is left out.`);

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
		// The last second of clicks is flushed a second after it happens.
		await new Promise(resolve => setTimeout(resolve, 2500));

		const raw = median(samples.get(scenarios[0].name)!.map(s => s.rps));
		console.log(
			`\n${"scenario".padEnd(34)} ${"req/s".padStart(8)} ${"of raw".padStart(7)} ${"p50".padStart(6)} ${"p99".padStart(6)}  clicks counted / redirects`
		);
		for (const scenario of scenarios) {
			const list = samples.get(scenario.name)!;
			const rps = median(list.map(s => s.rps));
			const redirects = list.reduce((sum, s) => sum + s.redirects, 0);
			const counted = scenario.clicks ? `${await scenario.clicks()} / ${redirects}` : "";
			console.log(
				`${scenario.name.padEnd(34)} ${rps.toFixed(0).padStart(8)} ${(rps / raw).toFixed(2).padStart(7)} ${`${median(list.map(s => s.p50))}ms`.padStart(6)} ${`${median(list.map(s => s.p99))}ms`.padStart(6)}  ${counted}`
			);
		}
	} finally {
		for (const scenario of scenarios) await scenario.stop().catch(() => undefined);
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
