/** JOB_SCHEDULES, JOB_LEASE and TEST_JOB_PAUSE (lib/config.ts): overrides read and checked at start. */
import { ConfigError, loadConfig } from "../../lib/config";

const load = (env: Record<string, string>) => loadConfig({ NODE_ENV: "test", ...env });

describe("scheduled-job configuration", () => {
	it("keeps each job's own schedule by default, with a 30 s lease", () => {
		expect(load({}).jobs).toEqual({ schedules: {}, leaseMs: 30_000, testPauseMs: undefined });
	});

	it("reads name=pattern pairs separated by ';', seconds and 'off' included", () => {
		const { schedules } = load({ JOB_SCHEDULES: "interviewReminders=*/2 * * * * * ; leaveRollover=off;expireInvitations=0 3 * * *" }).jobs;
		expect(schedules).toEqual({ interviewReminders: "*/2 * * * * *", leaveRollover: "off", expireInvitations: "0 3 * * *" });
	});

	it.each([
		["a job nobody runs", "nightlyBackup=0 1 * * *", /names no job 'nightlyBackup'/],
		["a bad pattern", "leaveRollover=0 25 * * *", /bad pattern for leaveRollover/],
		["a pair without a pattern", "leaveRollover=", /name=pattern pairs/],
		["no name", "0 1 * * *", /name=pattern pairs/]
	])("refuses %s, naming the variable", (_, value, message) => {
		expect(() => load({ JOB_SCHEDULES: value })).toThrow(ConfigError);
		expect(() => load({ JOB_SCHEDULES: value })).toThrow(message);
		expect(() => load({ JOB_SCHEDULES: value })).toThrow(/JOB_SCHEDULES/);
	});

	it("bounds the lease and refuses the test hook outside tests", () => {
		expect(load({ JOB_LEASE: "2000" }).jobs.leaseMs).toBe(2000);
		expect(() => load({ JOB_LEASE: "10" })).toThrow(/JOB_LEASE/);
		expect(load({ TEST_JOB_PAUSE: "500" }).jobs.testPauseMs).toBe(500);
		expect(() => loadConfig({ NODE_ENV: "development", TEST_JOB_PAUSE: "500" })).toThrow(/TEST_JOB_PAUSE/);
	});
});
