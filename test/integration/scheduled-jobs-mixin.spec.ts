/**
 * The scheduled-jobs mixin on a broker of its own (embedded store): its timers fire at each
 * slot and run it once, the latest slot missed before the start is caught up once, a handler
 * that keeps failing is retried one lease later and then given up, and every run is counted in
 * the metrics by outcome. (Once per cluster across processes: test/cluster/scheduled-jobs.)
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { loadConfig } from "../../lib/config";
import type { RunDoc } from "../../lib/jobs/runs";
import { type DbService, DbMixin } from "../../mixins/db.mixin";
import { type JobDefinitions, JobMetricNames, ScheduledJobsMixin, jobRunsCollection } from "../../mixins/scheduled-jobs.mixin";
import { waitFor } from "../support/cluster-system";

jest.setTimeout(30_000);

const SERVICE = "jobsprobe";

async function startWith(env: Record<string, string>, jobs: JobDefinitions): Promise<ServiceBroker> {
	const config = loadConfig({ NODE_ENV: "test", ...env });
	const broker = new ServiceBroker({ logger: false, metrics: { enabled: true } });
	broker.createService({
		name: SERVICE,
		// As the data services list them: the jobs before the db mixin (see the mixin's header).
		mixins: [ScheduledJobsMixin(SERVICE, jobs, { config }), DbMixin(SERVICE, { name: `${SERVICE}_main` }, [jobRunsCollection(SERVICE)], { config })]
	} as ServiceSchema);
	await broker.start();
	return broker;
}

const runsOf = (broker: ServiceBroker): Promise<RunDoc[]> => broker.call(`${SERVICE}.jobRuns`, { limit: 100 });

function counted(broker: ServiceBroker, outcome: string): number {
	const metric = broker.metrics.getMetric(JobMetricNames.runs) as unknown as { get(labels: object): { value: number } | null } | null;
	return metric?.get({ service: SERVICE, job: "leaveRollover", outcome })?.value ?? 0;
}

describe("the scheduled-jobs mixin", () => {
	let broker: ServiceBroker | undefined;
	afterEach(async () => {
		await broker?.stop();
		broker = undefined;
	});

	it("runs a job at each slot of its schedule, once per slot, and counts the runs", async () => {
		const slots: string[] = [];
		broker = await startWith(
			{ JOB_SCHEDULES: "leaveRollover=* * * * * *" },
			{
				leaveRollover: { schedule: "0 0 1 1 *", catchUpMs: 0, handler: async slot => (slots.push(slot.toISOString()), { seen: slots.length }) }
			}
		);
		await waitFor("three slots", async () => slots.length >= 3, 10_000);
		const b = broker;
		await waitFor("their runs to be recorded done", async () => (await runsOf(b)).filter(r => r.status === "done").length >= 3, 5000);
		expect(new Set(slots).size).toBe(slots.length);
		for (const slot of slots) expect(slot).toMatch(/:\d\d\.000Z$/);
		const done = (await runsOf(broker)).filter(r => r.status === "done");
		expect(done.every(r => r.attempts === 1 && r.claims.length === 1 && r.claims[0].node === b.nodeID)).toBe(true);
		expect(counted(broker, "done")).toBe(done.length);
	});

	it("catches up the latest slot missed before the start, once, and none older than its window", async () => {
		const slots: string[] = [];
		const handler = async (slot: Date) => (slots.push(slot.toISOString()), {});
		broker = await startWith(
			{},
			{
				leaveRollover: { schedule: "0 0 * * *", handler },
				interviewReminders: { schedule: "0 0 1 1 *", catchUpMs: 1000, handler }
			}
		);
		const today = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00.000Z").toISOString();
		await waitFor("the catch-up", async () => slots.length >= 1, 10_000);
		// Several sweeps later (every half lease, 15 s by default, so ask by hand too): still once.
		expect(await broker.call(`${SERVICE}.runJob`, { job: "leaveRollover", at: today })).toMatchObject({ ran: false, outcome: "skipped" });
		expect(slots).toEqual([today]);
	});

	it("retries a handler that throws one lease later, then leaves the run failed", async () => {
		let attempts = 0;
		broker = await startWith(
			{ JOB_LEASE: "1000", JOB_SCHEDULES: "leaveRollover=off" },
			{
				leaveRollover: {
					schedule: "0 0 1 1 *",
					handler: async () => {
						attempts++;
						throw new Error("the database is away");
					}
				}
			}
		);
		const answer = await broker.call(`${SERVICE}.runJob`, { job: "leaveRollover", at: "2030-01-01T00:00:00Z" });
		expect(answer).toMatchObject({ ran: true, outcome: "retrying", run: { status: "retrying", attempts: 1, error: "the database is away" } });
		const b = broker;
		await waitFor("the run to be given up", async () => (await runsOf(b))[0]?.status === "failed", 10_000);
		expect(attempts).toBe(3);
		expect((await runsOf(broker))[0]).toMatchObject({ attempts: 3, status: "failed", error: "the database is away" });
		expect(counted(broker, "retrying")).toBe(2);
		expect(counted(broker, "failed")).toBe(1);
		// Failed is final: asking again runs nothing.
		expect(await broker.call(`${SERVICE}.runJob`, { job: "leaveRollover", at: "2030-01-01T00:00:00Z" })).toMatchObject({ ran: false });
		expect(attempts).toBe(3);
	});

	it("waits for a run in flight when the service stops, which records itself done before the store closes", async () => {
		let finished = false;
		broker = await startWith(
			{ JOB_SCHEDULES: "leaveRollover=off" },
			{
				leaveRollover: {
					schedule: "0 0 1 1 *",
					handler: async () => {
						await new Promise(resolve => setTimeout(resolve, 500));
						finished = true;
						return {};
					}
				}
			}
		);
		const running = broker.call(`${SERVICE}.runJob`, { job: "leaveRollover", at: "2030-01-01T00:00:00Z" });
		await new Promise(resolve => setTimeout(resolve, 100));
		const stopped = broker;
		await Promise.all([running.catch(() => undefined), stopped.stop()]);
		broker = undefined;
		expect(finished).toBe(true);
		expect(counted(stopped, "done")).toBe(1);
		expect(counted(stopped, "retrying")).toBe(0);
	});

	it("waits for a claim in flight when the service stops, which writes its run before the store closes", async () => {
		broker = await startWith({ JOB_SCHEDULES: "leaveRollover=off" }, { leaveRollover: { schedule: "0 0 1 1 *", handler: async () => ({}) } });
		const runs = (broker.getLocalService(SERVICE) as unknown as DbService).store(jobRunsCollection(SERVICE).name);
		const order: string[] = [];
		let release!: () => void;
		const held = new Promise<void>(resolve => (release = resolve));
		// The claim reads the run, then writes it: the stop begins between the two.
		const findById = runs.findById.bind(runs);
		jest.spyOn(runs, "findById").mockImplementationOnce(async id => {
			await held;
			return findById(id);
		});
		const insert = runs.insert.bind(runs);
		jest.spyOn(runs, "insert").mockImplementation(async doc => (order.push("claim written"), insert(doc)));
		const disconnect = runs.disconnect.bind(runs);
		jest.spyOn(runs, "disconnect").mockImplementation(async () => (order.push("store closed"), disconnect()));

		const running = broker.call(`${SERVICE}.runJob`, { job: "leaveRollover", at: "2030-01-01T00:00:00Z" });
		await waitFor("the claim to be reading", async () => (runs.findById as jest.Mock).mock.calls.length > 0, 5000);
		const stopped = broker;
		broker = undefined;
		const stopping = stopped.stop();
		setTimeout(release, 300);
		await Promise.all([running.catch(() => undefined), stopping]);
		expect(order).toEqual(["claim written", "store closed"]);
		expect(counted(stopped, "done")).toBe(1);
	});
});
