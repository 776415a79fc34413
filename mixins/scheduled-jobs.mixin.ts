/**
 * Scheduled jobs that run once per cluster, not once per node. A data service declares its jobs
 * (a cron pattern in UTC and an idempotent handler of the slot) and adds jobRunsCollection(name)
 * to its DbMixin; every node of the service then keeps croner timers for them, and at each due
 * slot every node tries to claim the slot's run record in the service's own store: one wins and
 * runs the handler (lib/jobs/runs.ts).
 *
 * Besides the timers, each node sweeps every half lease: it runs the latest slot of each job if
 * nobody has (a timer that fired late, or the latest slot missed while every node was down:
 * catch-up, never more than one slot per job), and takes over runs whose node died (their lease
 * ran out) or whose handler failed (after one lease period, up to MAX_ATTEMPTS claims).
 *
 * A handler's "now" is its slot, so `<service>.runJob { job, at }` (internal, and the REPL's
 * `jobs run`) runs a job for any instant, through the same claim: a slot runs once however it
 * is asked for.
 *
 * List it BEFORE DbMixin in `mixins`: Moleculer starts later mixins first and stops them last,
 * so it then starts once the collections are connected and, when the node stops, waits for a run
 * in flight to record itself before they close. (Listed after, it still waits for its runs
 * collection to answer before running anything, but a stopping node's run in flight would fail
 * to record itself and be run again elsewhere once its lease ran out.)
 */
import { randomUUID } from "node:crypto";
import type { Cron } from "croner";
import type { Service, ServiceSchema } from "moleculer";
import { ActionTimeouts } from "../lib/action-timeouts";
import { type Config, config as processConfig } from "../lib/config";
import { type Claim, type RunDoc, claimRun, failRun, finishRun, jobRunsCollection, pruneRuns, recentRuns, renewRun, staleRuns } from "../lib/jobs/runs";
import { cronOf, cronTimer, latestDue, runId } from "../lib/jobs/schedule";
import type { JobName } from "../lib/names/jobs";
import type { DbService } from "./db.mixin";

export interface JobDefinition<S = DbService> {
	/** The cron pattern (5 fields, or 6 with seconds first), in UTC; JOB_SCHEDULES may replace it. */
	schedule: string;
	/** How old the latest slot may be and still run when a node finds it not run (default a day). */
	catchUpMs?: number;
	/**
	 * Does the job as of `slot` (its "now") and answers what it did, in counts. May run twice
	 * for one slot (a node that died after the effect, before the record): must be idempotent.
	 */
	handler(this: S, slot: Date): Promise<Record<string, unknown>>;
}

export type JobDefinitions<S = DbService> = Partial<Record<JobName, JobDefinition<S>>>;

export interface ScheduledJobsOptions {
	/** The configuration with schedules and lease; the process's own by default (tests pass others). */
	config?: Config;
}

/** What one attempt to run a slot came to on this node. */
export type RunOutcome = "done" | "failed" | "retrying" | "lost" | "skipped";

export interface RunJobParams {
	job: JobName;
	at?: Date;
}
export interface RunJobAnswer {
	job: string;
	slot: string;
	ran: boolean;
	outcome: RunOutcome;
	run: RunDoc | null;
}

export const JobMetricNames = {
	runs: "roster.jobs.runs.total",
	lastDone: "roster.jobs.last.done.timestamp"
} as const;

const DAY_MS = 24 * 3600_000;
/** Finished runs are kept this long (longer than any catch-up window, so a kept record is what stops a re-run). */
export const RUNS_KEPT_MS = 90 * DAY_MS;
/** How often a node prunes them. */
const PRUNE_EVERY_MS = 3600_000;

interface Scheduled {
	name: JobName;
	definition: JobDefinition<unknown>;
	cron: Cron;
	timer: Cron;
}

type Owner = DbService & {
	jobState: {
		scheduled: Scheduled[];
		sweepTimer?: NodeJS.Timeout;
		inFlight: Set<Promise<unknown>>;
		ticking: Set<string>;
		ready: boolean;
		stopping: boolean;
		prunedAt: number;
	};
	runSlot(name: JobName, slot: Date): Promise<RunAnswer>;
	sweepJobs(): Promise<void>;
};

interface RunAnswer {
	outcome: RunOutcome;
	ran: boolean;
}

interface Counter {
	increment(labels: Record<string, string>, value?: number): void;
}
interface Gauge {
	set(value: number, labels: Record<string, string>): void;
}

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export function ScheduledJobsMixin<S = DbService>(service: string, jobs: JobDefinitions<S>, options: ScheduledJobsOptions = {}): Partial<ServiceSchema> {
	const names = Object.keys(jobs) as JobName[];
	const runsCollection = jobRunsCollection(service).name;
	const cfg = () => options.config ?? processConfig();
	const definitionOf = (name: JobName) => jobs[name] as JobDefinition<unknown>;

	function metric<T>(owner: Owner, name: string, type: "counter" | "gauge", description: string): T | undefined {
		const metrics = owner.broker.isMetricsEnabled() ? owner.broker.metrics : undefined;
		if (!metrics) return undefined;
		// Several services of one node share the series (labelled by service): register once.
		return (metrics.getMetric(name) ??
			metrics.register({ name, type, labelNames: ["service", "job", "outcome"].slice(0, type === "counter" ? 3 : 2), description })) as T;
	}

	function record(owner: Owner, name: JobName, outcome: RunOutcome): void {
		metric<Counter>(owner, JobMetricNames.runs, "counter", "Scheduled-job runs this node attempted, by outcome (done, failed, retrying, lost)")?.increment({
			service,
			job: name,
			outcome
		});
		if (outcome === "done")
			metric<Gauge>(owner, JobMetricNames.lastDone, "gauge", "When this node last finished a run of the job (epoch seconds)")?.set(Date.now() / 1000, {
				service,
				job: name
			});
	}

	/** Claims the slot's run and, if this node got it, runs the handler to the end (lease renewed meanwhile). */
	async function claimAndRun(owner: Owner, name: JobName, slot: Date): Promise<RunAnswer> {
		const definition = definitionOf(name);
		const { leaseMs, testPauseMs } = cfg().jobs;
		const store = owner.store(runsCollection);
		const nodeID = owner.broker.nodeID;
		const claim: Claim | null = await claimRun(store, name, slot, `${nodeID}:${randomUUID()}`, nodeID, leaseMs);
		if (!claim) return { outcome: "skipped", ran: false };

		const iso = slot.toISOString();
		const started = Date.now();
		owner.logger.info(`Job ${name} slot ${iso}: started (attempt ${claim.attempt})`);
		let lost = false;
		const renewal = setInterval(
			() => {
				renewRun(store, claim, leaseMs)
					.then(ours => {
						if (!ours && !lost) {
							lost = true;
							owner.logger.warn(`Job ${name} slot ${iso}: another node took the run over (this node missed its lease renewal)`);
						}
					})
					.catch((err: Error) => owner.logger.warn(`Job ${name} slot ${iso}: lease renewal failed:`, err.message));
			},
			Math.max(200, Math.floor(leaseMs / 3))
		);
		renewal.unref();
		try {
			const result = await definition.handler.call(owner, slot);
			if (testPauseMs) {
				console.log(`[test hook] job ${name} slot ${iso} on ${nodeID}: paused ${testPauseMs} ms after the handler ${JSON.stringify(result)}`);
				await pause(testPauseMs);
			}
			if (!(await finishRun(store, claim, result))) {
				record(owner, name, "lost");
				owner.logger.warn(`Job ${name} slot ${iso}: done, but another node had taken the run over`);
				return { outcome: "lost", ran: true };
			}
			record(owner, name, "done");
			owner.logger.info(`Job ${name} slot ${iso}: done in ${Date.now() - started} ms`, result);
			return { outcome: "done", ran: true };
		} catch (err) {
			const status = await failRun(store, claim, err as Error, leaseMs).catch(() => "retrying" as const);
			const outcome: RunOutcome = status === "failed" ? "failed" : "retrying";
			record(owner, name, outcome);
			owner.logger.error(
				`Job ${name} slot ${iso}: attempt ${claim.attempt} failed (${status === "failed" ? "given up" : "another attempt follows"}):`,
				(err as Error).message
			);
			return { outcome, ran: true };
		} finally {
			clearInterval(renewal);
		}
	}

	async function sweep(owner: Owner): Promise<void> {
		const state = owner.jobState;
		const now = new Date();
		for (const { name, definition, cron } of state.scheduled) {
			const slot = latestDue(cron, now, definition.catchUpMs ?? DAY_MS);
			if (slot) tick(owner, name, slot);
		}
		// Every job of the service, scheduled or off: a run asked for by hand is finished too.
		const stale = await staleRuns(owner.store(runsCollection), names, now.getTime());
		for (const run of stale) tick(owner, run.job as JobName, new Date(run.slot));
		if (now.getTime() - state.prunedAt >= PRUNE_EVERY_MS) {
			state.prunedAt = now.getTime();
			const pruned = await pruneRuns(owner.store(runsCollection), names, new Date(now.getTime() - RUNS_KEPT_MS));
			if (pruned > 0) owner.logger.info(`Scheduled jobs: ${pruned} finished run(s) older than ${RUNS_KEPT_MS / DAY_MS} days removed`);
		}
	}

	return {
		actions: {
			/** Internal: runs `job` for the slot `at` (default now), unless that slot has run or is running. */
			runJob: {
				visibility: "public",
				// A pass over every tenant; a caller that gives up earlier does not stop the run (its record tells how it ended).
				timeout: ActionTimeouts.job,
				params: { $$strict: true, job: { type: "enum", values: names }, at: { type: "date", convert: true, optional: true } },
				async handler(this: Owner, ctx: { params: RunJobParams }): Promise<RunJobAnswer> {
					const slot = new Date(Math.floor((ctx.params.at ?? new Date()).getTime() / 1000) * 1000);
					const { outcome, ran } = await this.runSlot(ctx.params.job, slot);
					const run: RunDoc | null = await this.store(runsCollection).findById(runId(ctx.params.job, slot));
					return { job: ctx.params.job, slot: slot.toISOString(), ran, outcome, run };
				}
			},

			/** Internal: the newest runs (of one job, or all of this service's), newest slot first. */
			jobRuns: {
				visibility: "public",
				params: {
					$$strict: true,
					job: { type: "enum", values: names, optional: true },
					limit: { type: "number", integer: true, min: 1, max: 500, optional: true, convert: true }
				},
				async handler(this: Owner, ctx: { params: { job?: JobName; limit?: number } }): Promise<RunDoc[]> {
					return recentRuns(this.store(runsCollection), ctx.params.job, ctx.params.limit ?? 20);
				}
			}
		},

		methods: {
			/**
			 * Claims the slot's run and, if this node got it, runs the handler to the end (lease
			 * renewed meanwhile). A stop waits for all of it, the claim included: the claim reads and
			 * then writes the runs collection, and a stop that waited only for the handler closed the
			 * store between the two ("Cannot read properties of undefined (reading 'schema')").
			 */
			runSlot(this: Owner, name: JobName, slot: Date): Promise<RunAnswer> {
				return inFlight(this, claimAndRun(this, name, slot));
			},

			/** The latest due slot of each job, if nobody ran it; then every run whose node died or whose retry is due. */
			sweepJobs(this: Owner): Promise<void> {
				return inFlight(this, sweep(this));
			}
		},

		started(this: Service) {
			const self = this as Owner;
			const { schedules, leaseMs } = cfg().jobs;
			self.jobState = { scheduled: [], inFlight: new Set(), ticking: new Set(), ready: false, stopping: false, prunedAt: 0 };
			for (const name of names) {
				const definition = definitionOf(name);
				const pattern = schedules[name] ?? definition.schedule;
				if (pattern === "off") {
					self.logger.info(`Job ${name}: off (JOB_SCHEDULES)`);
					continue;
				}
				const cron = cronOf(pattern);
				// croner names the slot it fired for; the sweep catches any it did not fire for.
				const timer = cronTimer(pattern, fired => {
					const slot = fired.currentRun() ?? latestDue(cron, new Date(), DAY_MS);
					if (slot) tick(self, name, slot);
				});
				self.jobState.scheduled.push({ name, definition, cron, timer });
				self.logger.info(`Job ${name}: '${pattern}' (UTC), next slot ${cron.nextRun()?.toISOString() ?? "never"}`);
			}
			const sweep = () => {
				if (self.jobState.ready && !self.jobState.stopping)
					self.sweepJobs().catch((err: Error) => self.logger.warn("Scheduled-job sweep failed:", err.message));
			};
			self.jobState.sweepTimer = setInterval(sweep, Math.min(15_000, Math.max(500, Math.floor(leaseMs / 2))));
			self.jobState.sweepTimer.unref();
			// The collections connect in the db mixin's own `started`, which may come after this one:
			// nothing runs before the runs collection answers. Then the catch-up: the latest slot
			// missed while no node ran (once per job, not every missed slot).
			void untilAnswers(self, self.store(runsCollection)).then(() => {
				self.jobState.ready = true;
				sweep();
			});
		},

		async stopped(this: Service) {
			const state = (this as Owner).jobState;
			if (!state) return;
			state.stopping = true;
			clearInterval(state.sweepTimer);
			for (const { timer } of state.scheduled) timer.stop();
			// A run in flight finishes (or fails) and records it; a node killed instead leaves its lease to expire.
			// runJob may start one while we wait (the broker still answers calls): it needs the collections too.
			while (state.inFlight.size > 0) await Promise.allSettled([...state.inFlight]);
		}
	};
}

/** Work that reads or writes the service's collections: the service's `stopped` waits for it before they close. */
async function inFlight<T>(owner: Owner, work: Promise<T>): Promise<T> {
	owner.jobState.inFlight.add(work);
	try {
		return await work;
	} finally {
		owner.jobState.inFlight.delete(work);
	}
}

/** Resolves once the store answers a query (or the service stops). */
async function untilAnswers(owner: Owner, store: { count(params: { query: object }): Promise<number> }): Promise<void> {
	while (!owner.jobState.stopping) {
		try {
			await store.count({ query: {} });
			return;
		} catch {
			await pause(250);
		}
	}
}

/** Runs a slot in the background, one attempt per job and slot at a time on this node; errors are logged. */
function tick(owner: Owner, name: JobName, slot: Date): void {
	const key = `${name}:${slot.toISOString()}`;
	const state = owner.jobState;
	if (!state.ready || state.stopping || state.ticking.has(key)) return;
	state.ticking.add(key);
	owner
		.runSlot(name, slot)
		.catch((err: Error) => owner.logger.warn(`Job ${name} slot ${slot.toISOString()}: could not be claimed:`, err.message))
		.finally(() => state.ticking.delete(key));
}

export { jobRunsCollection };
