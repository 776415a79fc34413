/**
 * Whether this process has just stood still: frozen (SIGSTOP, a paused VM) or starved of CPU for
 * a second or more. On waking, its timers come due before the messages waiting in its sockets are
 * read, so a call's timeout or a node's missing heartbeat then says nothing about the other node:
 * its answer, or its heartbeat, is likely among those messages. The circuit breaker
 * (lib/circuit-breaker.ts) and the discoverer (lib/stall-aware-discoverer.ts) ask this before they
 * blame another node.
 */
import { performance } from "node:perf_hooks";

/** How often the watch ticks; a tick this much later than due is a stall. */
const TICK_MS = 250;
const STALL_MS = 1000;
/** How long after waking the timers it made late may still fire. */
const GRACE_MS = 1000;

let lastTick = performance.now();
let stallEndedAt = Number.NEGATIVE_INFINITY;

function tick(): void {
	const now = performance.now();
	if (now - lastTick > TICK_MS + STALL_MS) stallEndedAt = now;
	lastTick = now;
}

// Four ticks a second, unref'd: it never keeps a process alive.
setInterval(tick, TICK_MS).unref();

/** The loop stood still for a second or more, and is waking now (the watch has not ticked yet) or woke less than a second ago. */
export function justStalled(now = performance.now()): boolean {
	return now - lastTick > TICK_MS + STALL_MS || now - stallEndedAt < GRACE_MS;
}
