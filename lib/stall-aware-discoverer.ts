/**
 * Moleculer's Local discoverer, but a node that stood still does not declare the others gone.
 *
 * Every heartbeatTimeout seconds Moleculer drops each node whose last heartbeat is older than that
 * (discoverers/base.js, checkRemoteNodes). A process frozen (SIGSTOP, a paused VM) or starved of
 * CPU for that long wakes with the other nodes' heartbeats still unread in its socket, and the
 * check's timer, come due meanwhile, runs before them: it declared every node gone at once,
 * rejected its calls to them and answered 503 until they announced themselves again
 * (test/cluster/faults.cluster.spec.ts, a gateway frozen).
 *
 * A check that comes as this process wakes from such a stall (lib/event-loop-stalls.ts) is put
 * off by one heartbeat interval and a half, by when every live node's heartbeats, the unread ones
 * and a fresh one, have been read. A node that really went away meanwhile is dropped then.
 */
import { Discoverers } from "moleculer";
import { justStalled } from "./event-loop-stalls";

export const STALL_AWARE_DISCOVERER = "StallAware";

export class StallAwareDiscoverer extends Discoverers.Local {
	private deferred?: NodeJS.Timeout;

	override stopHeartbeatTimers(): void {
		clearTimeout(this.deferred);
		this.deferred = undefined;
		super.stopHeartbeatTimers();
	}

	override checkRemoteNodes(): void {
		if (!justStalled()) return super.checkRemoteNodes();
		if (this.deferred) return;
		const { heartbeatInterval } = (this as unknown as { opts: { heartbeatInterval: number } }).opts;
		this.deferred = setTimeout(() => {
			this.deferred = undefined;
			super.checkRemoteNodes();
		}, heartbeatInterval * 1500);
		this.deferred.unref();
	}
}

// As for the transporter (lib/nats-transporter.ts): named by `type`, so each broker makes its own.
(Discoverers as unknown as { register(name: string, discoverer: unknown): void }).register(STALL_AWARE_DISCOVERER, StallAwareDiscoverer);
