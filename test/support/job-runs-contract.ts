/**
 * The run-record contract (lib/jobs/runs.ts) on one backend: of many claimers of one slot exactly
 * one wins; a run whose lease ran out is taken over once; a failed run is retried, then given up.
 * test/unit/jobs-runs.spec.ts runs it on NeDB, test/integration/job-runs.spec.ts on PostgreSQL
 * (and MongoDB with MONGO_URI), whose conditional updates are what a cluster relies on.
 */
import type { Config } from "../../lib/config";
import { MAX_ATTEMPTS, claimRun, failRun, finishRun, jobRunsCollection, pruneRuns, renewRun, staleRuns } from "../../lib/jobs/runs";
import { type Store, createStore } from "../../lib/store";

const SLOT = new Date("2027-01-01T00:05:00Z");
const LEASE = 1000;
const suffix = Date.now().toString(36);

export function jobRunsContract(backend: string, makeConfig: () => Config, cleanUp: () => Promise<void> = async () => undefined): void {
	describe(`claiming a slot's run on ${backend}`, () => {
		let store: Store;
		let n = 0;
		beforeEach(async () => {
			// A collection per test: each starts with no runs.
			store = createStore(jobRunsCollection(`t${suffix}_${n++}`), makeConfig());
			store.init({} as never, {} as never);
			await store.connect();
			for (const index of jobRunsCollection("t").indexes ?? []) await store.ensureIndex(index);
		});
		afterEach(() => store.disconnect());
		afterAll(cleanUp);

		it("goes to exactly one of many concurrent claimers", async () => {
			const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => claimRun(store, "job", SLOT, `h${i}`, `node-${i}`, LEASE)));
			expect(claims.filter(Boolean)).toHaveLength(1);
			expect(await store.count({ query: {} })).toBe(1);
		});

		it("is refused while the holder's lease lasts, and taken over once when it ran out", async () => {
			const t0 = 1_000_000;
			const first = await claimRun(store, "job", SLOT, "a", "node-a", LEASE, t0);
			expect(first).toMatchObject({ attempt: 1, holder: "a" });
			expect(await claimRun(store, "job", SLOT, "b", "node-b", LEASE, t0 + LEASE - 1)).toBeNull();

			// node-a died: its lease runs out, and of two nodes that notice, one takes over.
			const later = t0 + LEASE + 1;
			const takeovers = await Promise.all([
				claimRun(store, "job", SLOT, "b", "node-b", LEASE, later),
				claimRun(store, "job", SLOT, "c", "node-c", LEASE, later)
			]);
			const winner = takeovers.find(Boolean)!;
			expect(takeovers.filter(Boolean)).toHaveLength(1);
			expect(winner.attempt).toBe(2);

			// The dead node's late writes change nothing; the winner's do.
			expect(await renewRun(store, first!, LEASE, later)).toBe(false);
			expect(await finishRun(store, first!, { late: true }, later)).toBe(false);
			expect(await finishRun(store, winner, { reminded: 1 }, later)).toBe(true);
			const run = await store.findById("job:2027-01-01T00:05:00.000Z");
			expect(run).toMatchObject({ status: "done", attempts: 2, result: { reminded: 1 }, holder: null });
			expect(run.claims.map((c: { node: string }) => c.node)).toEqual(["node-a", winner.holder === "b" ? "node-b" : "node-c"]);
			// Done is final.
			expect(await claimRun(store, "job", SLOT, "d", "node-d", LEASE, later + 10 * LEASE)).toBeNull();
		});

		it("is kept by a holder that renews its lease", async () => {
			const t0 = 2_000_000;
			const claim = (await claimRun(store, "job", SLOT, "a", "node-a", LEASE, t0))!;
			expect(await renewRun(store, claim, LEASE, t0 + 900)).toBe(true);
			expect(await claimRun(store, "job", SLOT, "b", "node-b", LEASE, t0 + 1500)).toBeNull();
			expect(await staleRuns(store, ["job"], t0 + 1500)).toHaveLength(0);
			expect(await staleRuns(store, ["job"], t0 + 2000)).toHaveLength(1);
			expect(await staleRuns(store, ["other"], t0 + 2000)).toHaveLength(0);
		});

		it("after a failure waits one retry period, and after the last attempt is failed for good", async () => {
			let t = 3_000_000;
			for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
				const claim = await claimRun(store, "job", SLOT, `h${attempt}`, "node", LEASE, t);
				expect(claim?.attempt).toBe(attempt);
				const status = await failRun(store, claim!, new Error("database hiccup"), LEASE, t);
				expect(status).toBe(attempt < MAX_ATTEMPTS ? "retrying" : "failed");
				if (attempt < MAX_ATTEMPTS) expect(await claimRun(store, "job", SLOT, "early", "node", LEASE, t + 1)).toBeNull();
				t += LEASE + 1;
			}
			expect(await claimRun(store, "job", SLOT, "again", "node", LEASE, t)).toBeNull();
			expect(await store.findById("job:2027-01-01T00:05:00.000Z")).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, error: "database hiccup" });
		});

		it("counts a node that died on its last attempt as a failure, not a run held forever", async () => {
			let t = 4_000_000;
			for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
				expect(await claimRun(store, "job", SLOT, `h${attempt}`, "node", LEASE, t)).not.toBeNull();
				t += LEASE + 1;
			}
			expect(await claimRun(store, "job", SLOT, "next", "node", LEASE, t)).toBeNull();
			expect(await store.findById("job:2027-01-01T00:05:00.000Z")).toMatchObject({ status: "failed" });
			expect(await staleRuns(store, ["job"], t)).toHaveLength(0);
		});

		it("prunes finished runs before a date, never an open one or another job's", async () => {
			const at = (iso: string) => new Date(iso);
			const old = (await claimRun(store, "job", at("2026-01-01T00:00:00Z"), "a", "node", LEASE))!;
			await finishRun(store, old, {});
			await claimRun(store, "job", at("2026-01-02T00:00:00Z"), "b", "node", LEASE);
			const other = (await claimRun(store, "other", at("2026-01-01T00:00:00Z"), "c", "node", LEASE))!;
			await finishRun(store, other, {});
			const recent = (await claimRun(store, "job", at("2026-06-01T00:00:00Z"), "d", "node", LEASE))!;
			await finishRun(store, recent, {});
			expect(await pruneRuns(store, ["job"], at("2026-03-01T00:00:00Z"))).toBe(1);
			const left: Array<{ _id: string }> = await store.find({ query: {}, sort: ["_id"] });
			expect(left.map(r => r._id)).toEqual(["job:2026-01-02T00:00:00.000Z", "job:2026-06-01T00:00:00.000Z", "other:2026-01-01T00:00:00.000Z"]);
		});
	});
}
