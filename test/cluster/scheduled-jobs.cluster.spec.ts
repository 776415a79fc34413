/**
 * A scheduled job once per cluster, over real processes: three leave nodes share one PostgreSQL
 * schema over NATS, with the roll-over every two seconds (JOB_SCHEDULES). Every node's timer
 * fires at every slot; the run records (lib/jobs/runs.ts) let exactly one of them run it. The
 * test hook TEST_JOB_PAUSE holds each run between its handler and its "done": the worst moment
 * to die. A node is SIGKILLed there right after its handler added a carry-over; its lease runs
 * out, another node runs the slot again, and the carry-over is still added once.
 *
 * What counts as "ran": each handler execution prints one hook line naming its slot, on the
 * node that ran it; the records tell who claimed each slot and whether it is done.
 */
import { Client } from "pg";
import type { RunDoc } from "../../lib/jobs/runs";
import { type ClusterNode, clusterNamespace, itWithLogs, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { hire } from "../support/employees";
import { REDIS_URL, describeWith } from "../support/external";
import { type Signup, signup } from "../support/http";
import { client, entitle, leaveType } from "../support/leave";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

jest.setTimeout(180_000);

const EVERY_TWO_SECONDS = "*/2 * * * * *";
const LEASE_MS = 5000;
const PAUSE_MS = 3000;
/** `[test hook] job leaveRollover slot <iso> on <node>: paused … after the handler {…}` */
const HOOK = /\[test hook\] job leaveRollover slot (\S+) on (\S+): paused \d+ ms after the handler (\{.*\})/g;

interface HookLine {
	slot: string;
	node: string;
	result: Record<string, number>;
}

describeWith(["nats", "redis", "postgres"], "a scheduled job on three nodes", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("jobs");
	const nodes: ClusterNode[] = [];
	let leaveNodes: ClusterNode[] = [];
	let url = "";
	let owner: Signup;

	/** Every handler execution so far, from every leave node's output. */
	function executions(): HookLine[] {
		return leaveNodes.flatMap(node => [...node.output().matchAll(HOOK)].map(m => ({ slot: m[1], node: m[2], result: JSON.parse(m[3]) })));
	}

	async function runs(): Promise<RunDoc[]> {
		const dbUrl = new URL(databaseUrl);
		const schema = dbUrl.searchParams.get("schema")!;
		dbUrl.searchParams.delete("schema");
		const pg = new Client({ connectionString: dbUrl.toString() });
		await pg.connect();
		try {
			const { rows } = await pg.query(`SELECT data FROM "${schema}"."leave_job_runs" ORDER BY data->>'slot'`);
			return rows.map(row => row.data as RunDoc);
		} finally {
			await pg.end();
		}
	}

	const logs = () => nodes.map(n => `--- ${n.name} ---\n${n.output().slice(-5000)}`).join("\n");

	beforeAll(async () => {
		const env = { DATABASE_URL: databaseUrl, CACHER: REDIS_URL, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
		const jobEnv = { ...env, JOB_SCHEDULES: `leaveRollover=${EVERY_TWO_SECONDS}`, JOB_LEASE: String(LEASE_MS), TEST_JOB_PAUSE: String(PAUSE_MS) };
		const port = await freePort();
		leaveNodes = [1, 2, 3].map(i => startNode(`leave-${i}`, "data/leave", { namespace, env: jobEnv }));
		nodes.push(
			...leaveNodes,
			startNode("people", "data/identity,data/employees,data/org", { namespace, env }),
			startNode("gateway", "gateway/api", { namespace, env: { ...env, PORT: String(port), READY_SERVICES: "identity,employees,org,leave" } })
		);
		url = `http://127.0.0.1:${port}`;
		try {
			await waitForGateway(url);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${logs()}`);
		}
		owner = await signup(url, "Scheduled Ltd");
	});

	afterAll(async () => {
		await Promise.allSettled(nodes.map(node => node.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	itWithLogs("runs each slot exactly once with three nodes up", logs, async () => {
		await waitFor("six slots to be done", async () => (await runs()).filter(r => r.status === "done").length >= 6, 60_000);
		const done = (await runs()).filter(r => r.status === "done");
		// One claim and one execution per slot, whichever node it was.
		for (const run of done) {
			expect(run.claims).toHaveLength(1);
			expect(executions().filter(e => e.slot === run.slot)).toHaveLength(1);
		}
		// No slot between the first and the last done was skipped.
		const slots = done.map(r => Date.parse(r.slot));
		for (let t = slots[0]; t <= slots[slots.length - 1]; t += 2000) expect(slots).toContain(t);
		console.log(`Slots per node: ${JSON.stringify(countBy(done.map(r => r.claims[0].node)))}`);
	});

	itWithLogs("completes a slot whose node was killed mid-run on another node, its effect once", logs, async () => {
		const year = new Date().getUTCFullYear();
		const annual = await leaveType(url, owner, { name: "Annual", yearlyAllowance: 20, carryOverCap: 5 });
		const employee = await hire(url, owner);
		// This year's entitlement was set by hand; last year's remainder (20, capped at 5) is added to it once.
		await entitle(url, owner, employee.id, annual.id, year, 25);
		await entitle(url, owner, employee.id, annual.id, year - 1, 20);

		// Only one execution can ever add it: the one the test kills.
		await waitFor("a node to add the carry-over", async () => executions().some(e => e.result.added === 1), 30_000);
		const effect = executions().find(e => e.result.added === 1)!;
		const victim = leaveNodes.find(n => n.output().includes(`slot ${effect.slot} on ${effect.node}:`))!;
		victim.process.kill("SIGKILL");
		const killedAt = Date.now();

		await waitFor(
			"the killed node's slot to be done by another",
			async () => {
				const run = (await runs()).find(r => r.slot === effect.slot);
				return run?.status === "done";
			},
			30_000
		);
		console.log(`The slot was done ${Date.now() - killedAt} ms after the kill (JOB_LEASE=${LEASE_MS}, TEST_JOB_PAUSE=${PAUSE_MS})`);
		const run = (await runs()).find(r => r.slot === effect.slot)!;
		expect(run.attempts).toBe(2);
		expect(run.claims[0].node).toBe(effect.node);
		expect(run.claims[1].node).not.toBe(effect.node);
		// Run twice, in effect once: the second execution found the carry-over there and added nothing.
		const again = executions().filter(e => e.slot === effect.slot);
		expect(again).toHaveLength(2);
		expect(again.find(e => e.node !== effect.node)!.result).toMatchObject({ added: 0, unchanged: 1 });

		const balance = await client(url).get("/leave-balances", owner, { employeeId: employee.id, year });
		expect(balance.status).toBe(200);
		expect(balance.body.balances.find((b: { leaveTypeId: string }) => b.leaveTypeId === annual.id)).toMatchObject({
			entitled: 25,
			carriedOver: 5,
			remaining: 30
		});

		// Whatever else the victim held is taken over too, and the two survivors go on once per slot.
		const lastSeen = Date.parse((await runs()).at(-1)!.slot);
		await waitFor(
			"three more slots after the kill to be done",
			async () => (await runs()).filter(r => r.status === "done" && Date.parse(r.slot) > lastSeen).length >= 3,
			60_000
		);
		await waitFor("no run of the victim's left open", async () => (await runs()).every(r => r.status === "done" || Date.parse(r.slot) > lastSeen), 30_000);
		for (const r of (await runs()).filter(r => r.status === "done")) {
			// A second claim only ever follows the victim's; it may have died before its handler finished (no hook line).
			const ran = executions().filter(e => e.slot === r.slot).length;
			expect(ran).toBeGreaterThanOrEqual(1);
			expect(ran).toBeLessThanOrEqual(r.claims.length);
			if (r.claims.length > 1) expect(r.claims[0].node).toBe(effect.node);
			else expect(ran).toBe(1);
		}
		const after = await client(url).get("/leave-balances", owner, { employeeId: employee.id, year });
		expect(after.body.balances.find((b: { leaveTypeId: string }) => b.leaveTypeId === annual.id)).toMatchObject({ carriedOver: 5 });
	});
});

function countBy(values: string[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
	return counts;
}
