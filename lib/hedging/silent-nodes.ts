/**
 * Nodes that have gone silent: frozen (SIGSTOP, a pause of the whole process) or cut off, as
 * opposed to slow. Until the registry drops a frozen node (heartbeatTimeout, 3 s), the balancer
 * keeps sending it its share of the reads, and each of those waits for a backup, which the budget
 * allows only one call in ten: so hedged reads send their first attempts elsewhere while a node
 * is silent.
 *
 * A node is suspected when a read sent to it has waited past its stuck point and the node has
 * answered nothing since that read was sent; a suspect is pinged (Moleculer's PING, answered by
 * the node's transit whatever its actions are doing), and is silent if no PONG comes in time. A
 * node whose process answers but whose actions hang (its database cut off) is not silent: its
 * reads fail or time out where its circuit breaker counts them, and the breaker takes it out of
 * the balancer as it should. Starving such a node of calls would only keep its breaker from
 * learning (tried without the ping: the breaker suite's breaker opened 5.7 and 9.3 s after the
 * cut, against about 2 s).
 *
 * A node stops being silent when it answers anything, or when a heartbeat from it arrives a
 * second or more after it fell silent (Moleculer keeps the time of the last one in whole seconds
 * of this process's uptime). This is one gateway's view for choosing where a read goes, never an
 * answer a user relies on, so no other node needs it.
 */
export interface NodeProbe {
	/** When this node last heard a heartbeat from `nodeID`, in seconds of process.uptime(); undefined if it does not know the node. */
	lastHeartbeat(nodeID: string): number | undefined;
	/** process.uptime(), in seconds. */
	uptime(): number;
	/** Whether `nodeID` answers a ping within `timeoutMs`. */
	ping(nodeID: string, timeoutMs: number): Promise<boolean>;
}

/** A node whose transit does not answer a ping within this is silent. */
const PING_TIMEOUT_MS = 250;

export class SilentNodes {
	/**
	 * Per node, the earliest time (Date.now()) at which a read sent since its last answer counts
	 * as stuck. An answer clears it: every read still out was then sent before an answer, or after.
	 */
	private readonly stuckAt = new Map<string, number>();
	/** Suspects being pinged. */
	private readonly pinging = new Set<string>();
	/** Silent nodes, and the uptime (s) at which each was found silent. */
	private readonly silentSince = new Map<string, number>();

	constructor(private readonly probe: NodeProbe) {}

	/** A read went to `nodeID`; if nothing has answered by `stuckAt` (ms), it is stuck. */
	sent(nodeID: string, stuckAt: number): void {
		const earliest = this.stuckAt.get(nodeID);
		if (earliest === undefined || stuckAt < earliest) this.stuckAt.set(nodeID, stuckAt);
	}

	/** `nodeID` answered a call (with a value, or with an error of the action's own), or a ping. */
	answered(nodeID: string): void {
		this.stuckAt.delete(nodeID);
		this.silentSince.delete(nodeID);
	}

	/** `nodeID` left the cluster: nothing is kept of it. */
	forget(nodeID: string): void {
		this.answered(nodeID);
	}

	isSilent(nodeID: string, now = Date.now()): boolean {
		const since = this.silentSince.get(nodeID);
		if (since === undefined) {
			const stuckAt = this.stuckAt.get(nodeID);
			if (stuckAt !== undefined && now >= stuckAt) this.suspect(nodeID, stuckAt);
			return false;
		}
		const heartbeat = this.probe.lastHeartbeat(nodeID);
		// Rounded to the second when it arrived: only one a second after `since` is surely later.
		if (heartbeat === undefined || heartbeat >= since + 1) {
			this.answered(nodeID);
			return false;
		}
		return true;
	}

	/** One ping at a time per suspect: no PONG in time, and still no answer to the read, makes it silent. */
	private suspect(nodeID: string, stuckAt: number): void {
		if (this.pinging.has(nodeID)) return;
		this.pinging.add(nodeID);
		this.probe.ping(nodeID, PING_TIMEOUT_MS).then(
			pong => {
				this.pinging.delete(nodeID);
				if (pong) this.answered(nodeID);
				else if (this.stuckAt.get(nodeID) === stuckAt && !this.silentSince.has(nodeID)) this.silentSince.set(nodeID, this.probe.uptime());
			},
			() => this.pinging.delete(nodeID)
		);
	}
}
