/** Which slot of a job is due (lib/jobs/schedule.ts): the latest one, once, within the catch-up window. */
import { checkPattern, cronOf, latestDue, runId } from "../../lib/jobs/schedule";

const at = (iso: string) => new Date(iso);
const HOUR = 3600_000;

describe("latestDue", () => {
	const hourly = cronOf("0 * * * *");

	it("is the slot itself at the slot's instant, and stays that slot until the next one", () => {
		expect(latestDue(hourly, at("2026-03-04T10:00:00.000Z"), HOUR)).toEqual(at("2026-03-04T10:00:00.000Z"));
		expect(latestDue(hourly, at("2026-03-04T10:59:59.999Z"), HOUR)).toEqual(at("2026-03-04T10:00:00.000Z"));
		expect(latestDue(hourly, at("2026-03-04T09:59:59.999Z"), HOUR)).toEqual(at("2026-03-04T09:00:00.000Z"));
	});

	it("after a long outage answers only the latest missed slot, and none older than the catch-up window", () => {
		const yearly = cronOf("5 0 1 1 *");
		expect(latestDue(yearly, at("2027-01-03T08:00:00Z"), 31 * 24 * HOUR)).toEqual(at("2027-01-01T00:05:00Z"));
		expect(latestDue(yearly, at("2027-03-03T08:00:00Z"), 31 * 24 * HOUR)).toBeNull();
	});

	it("reads patterns in UTC, seconds included with six fields", () => {
		expect(latestDue(cronOf("0 7 * * *"), at("2026-06-01T07:30:00Z"), 24 * HOUR)).toEqual(at("2026-06-01T07:00:00Z"));
		expect(latestDue(cronOf("*/2 * * * * *"), at("2026-06-01T07:30:03.400Z"), HOUR)).toEqual(at("2026-06-01T07:30:02Z"));
	});
});

describe("patterns and run ids", () => {
	it("refuses what is not a cron pattern", () => {
		expect(() => checkPattern("every day")).toThrow();
		expect(() => checkPattern("0 25 * * *")).toThrow();
		expect(() => checkPattern("0 7 * * *")).not.toThrow();
	});

	it("names a run by job and slot, to the millisecond", () => {
		expect(runId("leaveRollover", at("2027-01-01T00:05:00Z"))).toBe("leaveRollover:2027-01-01T00:05:00.000Z");
	});
});
