/**
 * Run records: one document per job and slot in the running service's own store, the proof that
 * a slot ran and the lock that makes one node of the cluster run it. The idiom is lease.ts's: a
 * unique _id and conditional updates, which every backend (NeDB, PostgreSQL, MongoDB) does
 * atomically, so of the nodes that see a slot exactly one inserts its record (claims it).
 *
 * The claimer holds a lease (`until`) and renews it while the handler works. A node that dies
 * stops renewing; once the lease has run out any node takes the run over (a compare-and-set on
 * the `until` it saw, so of two that try one wins) and runs the handler again: handlers are
 * idempotent. A handler that throws gives the run back for another attempt after one lease
 * period; after MAX_ATTEMPTS claims the run is left `failed` for a person to look at.
 */
import type { CollectionSpec, Store } from "../store";
import { isUniqueViolation } from "../store/types";
import { runId } from "./schedule";

/** running: claimed, lease in `until`; retrying: given back after a failure, free from `until`; done and failed are final. */
export type RunStatus = "running" | "retrying" | "done" | "failed";

export interface RunDoc {
	_id: string;
	job: string;
	/** The slot (ISO 8601): the instant the run acts for, its "now". */
	slot: string;
	status: RunStatus;
	/** Who holds the lease: node id and a random tag per claim; null when nobody does. */
	holder: string | null;
	/** Epoch ms until which the holder's lease lasts (running), or until which a retry waits. */
	until: number;
	/** Claims so far, the first included: a run taken over from a dead node has two. */
	attempts: number;
	/** Every claim, in order: the node and when (ISO 8601). */
	claims: Array<{ node: string; at: string }>;
	startedAt: string;
	finishedAt: string | null;
	/** What the handler answered (counts), once done. */
	result: Record<string, unknown> | null;
	/** The last failure's message. */
	error: string | null;
}

/** A claim this node holds. */
export interface Claim {
	id: string;
	job: string;
	slot: Date;
	holder: string;
	attempt: number;
}

export const MAX_ATTEMPTS = 3;

const OPEN: RunStatus[] = ["running", "retrying"];

/** The collection a service with jobs adds to its DbMixin (one per service, as every collection). */
export function jobRunsCollection(service: string): CollectionSpec {
	return {
		name: `${service}_job_runs`,
		indexes: [{ fields: { status: 1, until: 1 } }, { fields: { job: 1, slot: -1 } }],
		strings: ["job", "slot", "status"]
	};
}

/**
 * Claims the run of `job` at `slot` for `holder`: a new run, or one whose lease ran out (its node
 * died) or whose retry is due. Null when the run is done, failed, or held by a live node.
 */
export async function claimRun(store: Store, job: string, slot: Date, holder: string, node: string, leaseMs: number, now = Date.now()): Promise<Claim | null> {
	const id = runId(job, slot);
	const at = new Date(now).toISOString();
	const existing: RunDoc | null = await store.findById(id);
	if (!existing) {
		const doc: RunDoc = {
			_id: id,
			job,
			slot: slot.toISOString(),
			status: "running",
			holder,
			until: now + leaseMs,
			attempts: 1,
			claims: [{ node, at }],
			startedAt: at,
			finishedAt: null,
			result: null,
			error: null
		};
		try {
			await store.insert(doc);
			return { id, job, slot, holder, attempt: 1 };
		} catch (err) {
			if (isUniqueViolation(err)) return null;
			throw err;
		}
	}
	if (!OPEN.includes(existing.status) || existing.until >= now) return null;
	if (existing.attempts >= MAX_ATTEMPTS) {
		await store.updateMany({ _id: id, status: existing.status, until: existing.until }, { $set: { status: "failed", holder: null, finishedAt: at } });
		return null;
	}
	// Compare-and-set on what we saw: of two nodes taking over the same run, one changes `until` first.
	const taken = await store.updateMany(
		{ _id: id, status: existing.status, until: existing.until },
		{ $set: { status: "running", holder, until: now + leaseMs }, $inc: { attempts: 1 }, $push: { claims: { node, at } } }
	);
	return taken === 1 ? { id, job, slot, holder, attempt: existing.attempts + 1 } : null;
}

/** Extends the lease; false when the run is no longer ours (we were too slow and another node took it). */
export async function renewRun(store: Store, claim: Claim, leaseMs: number, now = Date.now()): Promise<boolean> {
	return (await store.updateMany({ _id: claim.id, holder: claim.holder, status: "running" }, { $set: { until: now + leaseMs } })) === 1;
}

/** Marks the run done with the handler's answer; false when it was no longer ours. */
export async function finishRun(store: Store, claim: Claim, result: Record<string, unknown>, now = Date.now()): Promise<boolean> {
	const update = { $set: { status: "done", holder: null, until: 0, finishedAt: new Date(now).toISOString(), result } };
	return (await store.updateMany({ _id: claim.id, holder: claim.holder, status: "running" }, update)) === 1;
}

/** Gives a failed run back for another attempt after `retryMs`, or fails it for good after the last attempt. */
export async function failRun(store: Store, claim: Claim, error: Error, retryMs: number, now = Date.now()): Promise<RunStatus> {
	const last = claim.attempt >= MAX_ATTEMPTS;
	const status: RunStatus = last ? "failed" : "retrying";
	const set = { status, holder: null, until: last ? 0 : now + retryMs, error: error.message, finishedAt: last ? new Date(now).toISOString() : null };
	await store.updateMany({ _id: claim.id, holder: claim.holder, status: "running" }, { $set: set });
	return status;
}

/** Runs of these jobs whose lease ran out (their node died) or whose retry is due: what a sweep takes over. */
export async function staleRuns(store: Store, jobs: string[], now = Date.now(), limit = 20): Promise<RunDoc[]> {
	return store.find({ query: { status: { $in: OPEN }, until: { $lt: now }, job: { $in: jobs } }, sort: ["until"], limit });
}

/** Removes finished runs (done or failed) of these jobs whose slot is before `before`; answers how many. */
export async function pruneRuns(store: Store, jobs: string[], before: Date): Promise<number> {
	return store.removeMany({ job: { $in: jobs }, slot: { $lt: before.toISOString() }, status: { $in: ["done", "failed"] } });
}

/** The newest runs, of one job or all, for operators (REPL `jobs`, `<service>.jobRuns`). */
export async function recentRuns(store: Store, job: string | undefined, limit: number): Promise<RunDoc[]> {
	return store.find({ query: job ? { job } : {}, sort: ["-slot"], limit });
}
