/**
 * What the directory, its search and the headcount report cost for one big tenant (issue #8):
 * 100,000 employees on PostgreSQL, and 10,000 on the embedded NeDB store.
 *
 *   npm run bench:data-volume    (builds first; EMPLOYEES=100000 NEDB_EMPLOYEES=10000 SAMPLES=200
 *                                 HEADCOUNT_SAMPLES=50 ROUNDS=5 SCENARIO_SECONDS=60; DATABASE_URL names
 *                                 the database, postgres://postgres@127.0.0.1:5432/roster_bench by default)
 *
 * Each store runs Roster as one process (`npm run serve`, the memory cacher), as a deployment
 * runs it. The company is signed up and its departments and positions made through the API; the
 * employees are written in bulk straight into the store, shaped as the service writes them
 * (bench/volume-seed.ts). On PostgreSQL the bench works in a schema of its own, dropped at the
 * end. Then an owner's client sends each request one at a time over keep-alive, SAMPLES times
 * (or for SCENARIO_SECONDS at most), the scenarios taking turns in ROUNDS rounds so a noisy
 * minute of a shared machine falls on all alike, and the table shows p50, p99 and max latency.
 * The figures are of a node in its steady state: before the rounds, each scenario runs untimed
 * as many times at once as the node has database connections (DATABASE_POOL_SIZE), so that
 * each connection has read what the scenario reads. A PostgreSQL backend's first pass over a
 * table costs it far more than later ones (it maps each shared buffer on first touch); the
 * slowest of those first requests is shown as "first". The headcount
 * report is cached until the employees change, so every sample of it follows an (untimed) edit of
 * an employee's phone number: the report then recomputes, as it does after any real change.
 */
import { type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { freePort, gatewayReady, percentile, send, signup, startRoster, stopNode } from "./support";
import { type Tenant, generate, writeNedb, writePostgres } from "./volume-seed";

const EMPLOYEES = Number(process.env.EMPLOYEES ?? 100_000);
const NEDB_EMPLOYEES = Number(process.env.NEDB_EMPLOYEES ?? 10_000);
const SAMPLES = Number(process.env.SAMPLES ?? 200);
const HEADCOUNT_SAMPLES = Number(process.env.HEADCOUNT_SAMPLES ?? 50);
const SCENARIO_SECONDS = Number(process.env.SCENARIO_SECONDS ?? 60);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/roster_bench";
/** The node's database connections: its default, unless the environment (which the node inherits) says otherwise. */
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? 10);
const DEPARTMENTS = 60;
const POSITIONS = 40;
const PAGE_SIZE = 20;

interface System {
	port: number;
	token: string;
	tenant: Tenant;
	/** The department with the most people, for the filtered list. */
	bigDepartment: string;
	commonSurname: string;
	middleSurname: string;
	rareSurname: string;
	/** An employee whose phone the headcount samples edit. */
	editable: string;
	stop(): Promise<void>;
}

interface Scenario {
	name: string;
	path: string;
	samples: number;
	/** Untimed work before each sample. */
	before?: (i: number) => Promise<unknown>;
}

interface Result {
	name: string;
	samples: number;
	p50: number;
	p99: number;
	max: number;
	/** The slowest of the untimed first requests, one per database connection. */
	first: number;
	total: string;
}

/** What the scenarios read back: a list page or the headcount report. */
interface Answer {
	id: string;
	total?: number;
	totals?: { total: number };
	departments?: unknown[];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function call(port: number, method: string, urlPath: string, token: string, body?: object): Promise<Answer> {
	const reply = await send(port, agent, method, urlPath, body, token);
	if (reply.status >= 300) throw new Error(`${method} ${urlPath}: ${reply.status} ${reply.body}`);
	return JSON.parse(reply.body);
}

function claims(token: string): { sub: string; tid: string } {
	return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

/** The company, its department tree (a few top ones, the rest under them) and positions, through the API. */
async function company(port: number, name: string): Promise<{ token: string; tenant: Tenant }> {
	const { accessToken: token } = await signup(port, name);
	const { sub, tid } = claims(token);
	const departmentIds: string[] = [];
	for (let i = 0; i < DEPARTMENTS; i++) {
		const parentId = i < 8 ? null : departmentIds[i % 8];
		departmentIds.push((await call(port, "POST", "/api/v1/departments", token, { name: `Department ${i + 1}`, parentId })).id);
	}
	const positionIds: string[] = [];
	for (let i = 0; i < POSITIONS; i++) positionIds.push((await call(port, "POST", "/api/v1/positions", token, { title: `Position ${i + 1}` })).id);
	return { token, tenant: { tenantId: tid, ownerId: sub, departmentIds, positionIds } };
}

function describeSeed(seed: ReturnType<typeof generate>): Pick<System, "bigDepartment" | "commonSurname" | "middleSurname" | "rareSurname" | "editable"> {
	const sizes = new Map<string, number>();
	for (const doc of seed.employees) if (doc.departmentId) sizes.set(doc.departmentId, (sizes.get(doc.departmentId) ?? 0) + 1);
	const bigDepartment = [...sizes].sort((a, b) => b[1] - a[1])[0][0];
	const { commonSurname, middleSurname, rareSurname } = seed;
	return { bigDepartment, commonSurname, middleSurname, rareSurname, editable: seed.employees[0]._id };
}

/** Creates the bench database unless it exists. */
async function ensureDatabase(url: URL): Promise<void> {
	const name = decodeURIComponent(url.pathname.slice(1));
	const admin = new URL(url);
	admin.pathname = "/postgres";
	const client = new Client({ connectionString: admin.toString() });
	await client.connect();
	try {
		const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
		if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
	} finally {
		await client.end();
	}
}

async function dropSchema(connectionString: string, schema: string): Promise<void> {
	const client = new Client({ connectionString });
	await client.connect();
	try {
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
	} finally {
		await client.end();
	}
}

async function onPostgres(count: number): Promise<System> {
	const base = new URL(DATABASE_URL);
	base.searchParams.delete("schema");
	await ensureDatabase(base);
	const schema = `bench_volume_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
	const url = new URL(base);
	url.searchParams.set("schema", schema);
	const port = await freePort();
	let node: ChildProcess | undefined;
	const stop = async () => {
		if (node) await stopNode(node);
		await dropSchema(base.toString(), schema);
	};
	try {
		node = await startRoster({ PORT: String(port), DATABASE_URL: url.toString() }, gatewayReady(port));
		const { token, tenant } = await company(port, "VolumePostgres");
		const started = Date.now();
		const seed = generate(tenant, count);
		await writePostgres(base.toString(), schema, seed, tenant);
		console.log(
			`PostgreSQL: ${count.toLocaleString("en")} employees and ${seed.history.length.toLocaleString("en")} history entries written in ${((Date.now() - started) / 1000).toFixed(1)} s (schema ${schema})`
		);
		return { port, token, tenant, ...describeSeed(seed), stop };
	} catch (err) {
		await stop().catch(() => undefined);
		throw err;
	}
}

/** NeDB keeps its data in the node's memory: the files are written while the node is down, then it loads them. */
async function onNedb(count: number): Promise<System> {
	const dataDir = mkdtempSync(path.join(os.tmpdir(), "roster-bench-volume-"));
	const env = { DATA_DIR: dataDir, JWT_SECRET: randomBytes(24).toString("hex") };
	const port = await freePort();
	let node: ChildProcess | undefined;
	const stop = async () => {
		if (node) await stopNode(node);
		rmSync(dataDir, { recursive: true, force: true });
	};
	try {
		node = await startRoster({ ...env, PORT: String(port) }, gatewayReady(port));
		const { token, tenant } = await company(port, "VolumeNedb");
		await stopNode(node);
		const seed = generate(tenant, count);
		writeNedb(dataDir, seed, tenant);
		node = await startRoster({ ...env, PORT: String(port) }, gatewayReady(port));
		console.log(`NeDB: ${count.toLocaleString("en")} employees written to ${dataDir} and loaded`);
		return { port, token, tenant, ...describeSeed(seed), stop };
	} catch (err) {
		await stop().catch(() => undefined);
		throw err;
	}
}

function scenarios(system: System, count: number): Scenario[] {
	const list = "/api/v1/employees";
	const deepPage = Math.floor(count / 2 / PAGE_SIZE);
	return [
		{ name: "directory, first page", path: `${list}?pageSize=${PAGE_SIZE}`, samples: SAMPLES },
		{ name: `directory, page ${deepPage.toLocaleString("en")}`, path: `${list}?pageSize=${PAGE_SIZE}&page=${deepPage}`, samples: SAMPLES },
		{ name: "directory, sorted by -hireDate", path: `${list}?pageSize=${PAGE_SIZE}&sort=-hireDate`, samples: SAMPLES },
		{
			name: "directory, one department, active",
			path: `${list}?pageSize=${PAGE_SIZE}&departmentId=${system.bigDepartment}&status=active`,
			samples: SAMPLES
		},
		{ name: 'search, name prefix "mar"', path: `${list}?pageSize=${PAGE_SIZE}&search=mar`, samples: SAMPLES },
		{
			name: `search, common "${system.commonSurname.toLowerCase()}"`,
			path: `${list}?pageSize=${PAGE_SIZE}&search=${system.commonSurname.toLowerCase()}`,
			samples: SAMPLES
		},
		{
			name: `search, less common "${system.middleSurname.toLowerCase()}"`,
			path: `${list}?pageSize=${PAGE_SIZE}&search=${system.middleSurname.toLowerCase()}`,
			samples: SAMPLES
		},
		{
			name: `search, rare "${system.rareSurname.toLowerCase()}"`,
			path: `${list}?pageSize=${PAGE_SIZE}&search=${system.rareSurname.toLowerCase()}`,
			samples: SAMPLES
		},
		{
			name: "headcount report, uncached",
			path: "/api/v1/reports/headcount",
			samples: HEADCOUNT_SAMPLES,
			// Any change to an employee makes the next report recompute (lib/cache-generation.ts).
			before: i => call(system.port, "PATCH", `${list}/${system.editable}`, system.token, { phone: `+44 20 7946 ${String(i).padStart(4, "0")}` })
		}
	];
}

/** The scenario once per database connection, all at once, untimed but for the slowest: the node's first pass over its data. */
async function warmUp(system: System, scenario: Scenario): Promise<number> {
	const took = await Promise.all(
		Array.from({ length: POOL_SIZE }, async () => {
			const started = process.hrtime.bigint();
			const reply = await send(system.port, false, "GET", scenario.path, undefined, system.token);
			if (reply.status !== 200) throw new Error(`GET ${scenario.path}: ${reply.status} ${reply.body}`);
			return Number(process.hrtime.bigint() - started) / 1e6;
		})
	);
	return Math.max(...took);
}

/** Times `count` more samples of the scenario (at most `seconds`). */
async function measure(system: System, scenario: Scenario, count: number, seconds: number, times: number[]): Promise<Answer> {
	let last = await call(system.port, "GET", scenario.path, system.token);
	const deadline = Date.now() + seconds * 1000;
	for (let i = 0; i < count && Date.now() < deadline; i++) {
		await scenario.before?.(times.length);
		const started = process.hrtime.bigint();
		last = await call(system.port, "GET", scenario.path, system.token);
		times.push(Number(process.hrtime.bigint() - started) / 1e6);
	}
	return last;
}

/** The scenarios take turns, ROUNDS times each, so that a noisy minute of a shared machine falls on all of them alike. */
async function measureAll(system: System, list: Scenario[]): Promise<Result[]> {
	const times = list.map(() => [] as number[]);
	const answers: Answer[] = [];
	const firsts: number[] = [];
	for (const scenario of list) firsts.push(await warmUp(system, scenario));
	for (let round = 0; round < ROUNDS; round++) {
		for (const [i, scenario] of list.entries()) {
			answers[i] = await measure(system, scenario, Math.ceil(scenario.samples / ROUNDS), SCENARIO_SECONDS / ROUNDS, times[i]);
		}
		console.log(`  round ${round + 1} of ${ROUNDS} done`);
	}
	return list.map((scenario, i) => {
		const sorted = [...times[i]].sort((a, b) => a - b);
		const last = answers[i];
		const total = last.totals ? `${last.totals.total} in ${last.departments?.length} depts` : `${last.total} matches`;
		return {
			name: scenario.name,
			samples: sorted.length,
			p50: percentile(sorted, 50),
			p99: percentile(sorted, 99),
			max: sorted[sorted.length - 1],
			first: firsts[i],
			total
		};
	});
}

function print(title: string, results: Result[]): void {
	const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
	console.log(`\n${title}`);
	console.log(
		`${"scenario".padEnd(38)} ${"samples".padStart(7)} ${"p50".padStart(10)} ${"p99".padStart(10)} ${"max".padStart(10)} ${"first".padStart(10)}  answer`
	);
	for (const r of results) {
		console.log(`${r.name.padEnd(38)} ${String(r.samples).padStart(7)} ${ms(r.p50)} ${ms(r.p99)} ${ms(r.max)} ${ms(r.first)}  ${r.total}`);
	}
}

async function run(title: string, count: number, start: (count: number) => Promise<System>): Promise<void> {
	const system = await start(count);
	try {
		print(title, await measureAll(system, scenarios(system, count)));
	} finally {
		await system.stop();
	}
}

async function main(): Promise<void> {
	console.log(
		`One request at a time; up to ${SAMPLES} samples per scenario (${HEADCOUNT_SAMPLES} for the report) in ${ROUNDS} turns, ${SCENARIO_SECONDS} s at most each, after ${POOL_SIZE} untimed at once (one per database connection).`
	);
	if (EMPLOYEES > 0) await run(`PostgreSQL, one tenant of ${EMPLOYEES.toLocaleString("en")} employees`, EMPLOYEES, onPostgres);
	if (NEDB_EMPLOYEES > 0) await run(`NeDB (embedded), one tenant of ${NEDB_EMPLOYEES.toLocaleString("en")} employees`, NEDB_EMPLOYEES, onNedb);
	agent.destroy();
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
