/**
 * The access line is built only where the broker's level prints it (services/gateway/access-log.ts).
 */
import { logsAccess } from "../../services/gateway/access-log";

describe("logsAccess", () => {
	it("prints the line at info, Roster's default, and below it", () => {
		expect(["info", "debug", "trace"].map(logsAccess)).toEqual([true, true, true]);
	});

	it("skips it at warn and above, where nothing would print it", () => {
		expect(["warn", "error", "fatal"].map(logsAccess)).toEqual([false, false, false]);
	});

	it("prints it when levels are set per module, rather than lose a line", () => {
		expect(logsAccess({ API: "warn", "**": "info" })).toBe(true);
	});
});
