/**
 * The circuit breaker every node keeps per endpoint it calls (an action on one node): Moleculer's
 * own (node_modules/moleculer/src/middlewares/circuit-breaker.js), tuned for a cluster's traffic.
 *
 * Moleculer counts calls and failures per endpoint and zeroes every count each `windowTime`
 * seconds, all endpoints at once; after each call, an endpoint with at least `minRequestCount`
 * calls of which `threshold` failed is opened: the balancer skips it, so calls go to the other
 * nodes. After `halfOpenTime` one call is let through; if it succeeds the breaker closes.
 *
 * The numbers: at tens of calls a second to one endpoint, a node whose every call fails has its
 * breaker open within about two seconds (a fault at any point of a 4 s window meets at most 4 s
 * of successes before the window is zeroed, and 10 failures take well under a second). A longer
 * window would let the successes of a healthy minute outvote a dead node for as long; a shorter
 * one would be zeroed before 10 calls of a quieter endpoint add up. `halfOpenTime` stays under
 * the window, because Moleculer drops the state of an endpoint that had no call through a whole
 * window: an open breaker (which gets no calls) must reach its trial call before then.
 */
import type { BrokerOptions } from "moleculer";
import { isServiceBusy } from "./errors";
import { justStalled } from "./event-loop-stalls";

interface FailureLike {
	name?: string;
	code?: unknown;
	/** Set on an error that came back from another node (Moleculer's transit names its sender). */
	nodeID?: unknown;
	data?: { nodeID?: unknown } | null;
}

/**
 * What a client would see as a 5xx: a code of 500 and up, or no numeric code at all (an
 * unexpected error, such as a database driver's, arrives with a string code or none).
 */
export function isServerFailure(err: unknown): boolean {
	const code = (err as FailureLike | null)?.code;
	return typeof code !== "number" || code >= 500;
}

/**
 * Moleculer's ServiceNotAvailableError is a 404, and means two things: no node for the action
 * (thrown before any endpoint is chosen, so never seen by a breaker), or a node that turned the
 * call away (it is stopping, or its own breaker for the action is open), which names itself.
 */
function turnedAway(err: FailureLike): boolean {
	return err.name === "ServiceNotAvailableError" && typeof err.data?.nodeID === "string";
}

/**
 * A call this node refused because its caller had stopped waiting (middlewares/call-deadline:
 * it arrived late, or queued while this node stood still), seen here, where it was refused. The
 * node is doing as meant, and counted against its own endpoint, the calls it found queued on
 * waking from a freeze would open its breaker and turn away the live calls after them for
 * seconds. Seen by a caller still waiting (a clock too far apart), it counts as any 504.
 */
function refusedHereAsExpired(err: FailureLike): boolean {
	return err.name === "CallExpiredError" && err.nodeID === undefined;
}

/**
 * A call's timeout that fires as this node wakes from standing still (frozen, starved: see
 * lib/event-loop-stalls.ts): the answer is likely waiting unread in its socket. Counted, the calls
 * a gateway had out when it froze opened its breakers for every data node at once, and it
 * answered 503 for seconds after waking.
 */
function timedOutWhileStalled(err: FailureLike): boolean {
	return err.name === "RequestTimeoutError" && justStalled();
}

/**
 * A failure of the endpoint: a 5xx (a timeout is a 504, a node declared gone a 503), or a node
 * that turned the call away. Never a client's error (4xx: one tenant's bad requests must not cut
 * every tenant off a node), and never a node shedding load (SERVICE_BUSY, or a bulkhead's full
 * queue): that node is healthy, and opening its breaker would turn a burst into an outage. Nor
 * a stale call refused where it arrived, nor a timeout this node's own stall made (above).
 */
export function isEndpointFailure(err: unknown): boolean {
	const e = (err ?? {}) as FailureLike;
	if (isServiceBusy(e) || e.name === "QueueIsFullError" || refusedHereAsExpired(e) || timedOutWhileStalled(e)) return false;
	return turnedAway(e) || isServerFailure(e);
}

export const CIRCUIT_BREAKER: NonNullable<BrokerOptions["circuitBreaker"]> = {
	enabled: true,
	threshold: 0.5,
	minRequestCount: 10,
	windowTime: 4,
	halfOpenTime: 3000,
	check: isEndpointFailure
};
