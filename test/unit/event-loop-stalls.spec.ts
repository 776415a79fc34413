/**
 * A node waking from standing still (frozen, starved) does not blame the nodes it was waiting on
 * for the timeouts its own stall made (lib/event-loop-stalls.ts, lib/circuit-breaker.ts). The
 * cluster case, a gateway frozen with SIGSTOP, is in test/cluster/faults.cluster.spec.ts.
 */
import { Errors } from "moleculer";
import { isEndpointFailure } from "../../lib/circuit-breaker";
import { justStalled } from "../../lib/event-loop-stalls";

/** What a frozen process looks like from inside: no timer, no I/O, for `ms`. */
function standStill(ms: number): void {
	const end = Date.now() + ms;
	while (Date.now() < end);
}

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function eventually(condition: () => boolean, ms = 5000): Promise<boolean> {
	const end = Date.now() + ms;
	while (!condition() && Date.now() < end) await pause(50);
	return condition();
}

describe("a node waking from standing still", () => {
	const timeout = new Errors.RequestTimeoutError({ action: "identity.session", nodeID: "data-1" });

	it("does not count the timeouts its stall made against the node called, and counts them again a second later", async () => {
		// Running normally (a loaded test machine may have stood still a moment before).
		expect(await eventually(() => !justStalled())).toBe(true);
		expect(isEndpointFailure(timeout)).toBe(true);

		standStill(1500);
		// As the timers it made late fire, before the watch has noticed.
		expect(isEndpointFailure(timeout)).toBe(false);
		await pause(200);
		expect(isEndpointFailure(timeout)).toBe(false);
		// A 5xx is the node's own answer, stall or not.
		expect(isEndpointFailure(new Errors.MoleculerError("the database is gone", 500, "DB_DOWN"))).toBe(true);

		expect(await eventually(() => isEndpointFailure(timeout))).toBe(true);
	});

	it("a moment of load (a quarter of a second) is no stall", async () => {
		expect(await eventually(() => !justStalled())).toBe(true);
		standStill(250);
		expect(isEndpointFailure(timeout)).toBe(true);
	});
});
