/**
 * What an operator asks a node when calls go wrong: which endpoints its circuit breaker holds
 * open, what it is busy with, and how often its reads needed a backup. Each node answers for itself (middlewares/node-state), since
 * both live in the node's memory; `gatherNodeStates` asks every node of the cluster.
 */
import type { Context, ServiceBroker } from "moleculer";

export const NodeStateActions = {
	/** {} → NodeState of the node that answers; every node has it. */
	state: "$nodeState.get"
} as const;

export type BreakerPosition = "close" | "open" | "half_open" | "half_open_wait";

/** One endpoint (an action on a node) this node has called, as its circuit breaker sees it. */
export interface BreakerState {
	nodeID: string;
	action: string;
	state: BreakerPosition;
	/** Calls and failures in the current window (circuitBreaker.windowTime). */
	count: number;
	failures: number;
}

export interface InFlightCall {
	action: string;
	requestId: string | null;
	ageMs: number;
}

/** Hedged reads (middlewares/hedged-read) of one action, as this node sent them since it started. */
export interface HedgedReadState {
	action: string;
	/** Remote reads that could have had a backup (two nodes or more served the action). */
	calls: number;
	/** Backups sent, and those that answered first. */
	backups: number;
	won: number;
	/** Reads that waited past the delay but had no backup: the budget was spent. */
	overBudget: number;
	/** Reads whose first attempt went elsewhere than the balancer chose, that node being silent. */
	rerouted: number;
	/** How long a read waits now before its backup goes (the recent p90), in ms. */
	delayMs: number;
}

export interface NodeState {
	nodeID: string;
	breakers: BreakerState[];
	/** Per action, busiest first; empty when hedging is off or nothing was eligible. */
	hedgedReads: HedgedReadState[];
	inFlight: {
		/** Calls this node's services are handling (Moleculer's context tracker), by service. */
		handling: Record<string, number>;
		/** Calls this node sent to other nodes and still tracks. */
		calling: number;
		/** Requests sent over the transporter that await a reply. */
		awaitingReply: number;
		/** The longest-running calls, oldest first: a stuck one shows here. */
		oldest: InFlightCall[];
	};
}

/** A node that did not answer is listed with why, not left out. */
export type NodeStateAnswer = NodeState | { nodeID: string; error: string };

interface TrackedContext extends Context {
	startHrTime?: [number, number];
}

interface BrokerInternals {
	CircuitBreakerStore?: Map<string, { ep: { id: string; action: { name: string } }; state: BreakerPosition; count: number; failures: number }>;
	_trackedContexts?: TrackedContext[];
	/** A Map in Moleculer; a DictionaryMap here (middlewares/pending-requests.middleware.ts): only its size is read. */
	transit?: { pendingRequests: { size: number } };
	services: Array<{ fullName: string; _trackedContexts?: TrackedContext[] }>;
}

const OLDEST = 5;

/** What a node's hedged-read middleware knows, by broker: it lives in the middleware, read here on demand. */
const hedgedReadSources = new WeakMap<ServiceBroker, () => HedgedReadState[]>();

export function reportHedgedReads(broker: ServiceBroker, source: () => HedgedReadState[]): void {
	hedgedReadSources.set(broker, source);
}

function ageMs(ctx: TrackedContext): number {
	if (!ctx.startHrTime) return 0;
	const [s, ns] = process.hrtime(ctx.startHrTime);
	return Math.round(s * 1e3 + ns / 1e6);
}

/** This node's state; `self` is the call asking for it, left out of what is in flight. */
export function nodeState(broker: ServiceBroker, self?: Context): NodeState {
	const internals = broker as unknown as BrokerInternals;
	const breakers = [...(internals.CircuitBreakerStore?.values() ?? [])].map(item => ({
		nodeID: item.ep.id,
		action: item.ep.action.name,
		state: item.state,
		count: item.count,
		failures: item.failures
	}));
	const handling: Record<string, number> = {};
	const running: TrackedContext[] = [];
	for (const service of internals.services) {
		const contexts = (service._trackedContexts ?? []).filter(ctx => ctx !== self);
		if (contexts.length > 0) handling[service.fullName] = contexts.length;
		running.push(...contexts);
	}
	const calling = internals._trackedContexts ?? [];
	const oldest = [...running, ...calling]
		.map(ctx => ({ action: ctx.action?.name ?? ctx.eventName ?? "?", requestId: ctx.requestID ?? null, ageMs: ageMs(ctx) }))
		.sort((a, b) => b.ageMs - a.ageMs)
		.slice(0, OLDEST);
	const hedgedReads = (hedgedReadSources.get(broker)?.() ?? []).sort((a, b) => b.calls - a.calls);
	return {
		nodeID: broker.nodeID,
		breakers,
		hedgedReads,
		inFlight: { handling, calling: calling.length, awaitingReply: internals.transit?.pendingRequests.size ?? 0, oldest }
	};
}

/** Asks every available node that runs the state action; one answer per node, this one included. */
export async function gatherNodeStates(broker: ServiceBroker, timeoutMs = 2000): Promise<NodeStateAnswer[]> {
	const service = NodeStateActions.state.split(".")[0];
	const registry = broker.registry as unknown as { getNodeList(opts: object): Array<{ id: string; services: Array<{ name: string }> }> };
	const nodes = registry
		.getNodeList({ onlyAvailable: true, withServices: true })
		.filter(node => node.services.some(s => s.name === service))
		.map(node => node.id)
		.sort();
	return Promise.all(
		nodes.map(nodeID =>
			broker
				.call<NodeState, object>(NodeStateActions.state, {}, { nodeID, timeout: timeoutMs })
				.catch((err: Error) => ({ nodeID, error: `${err.name}: ${err.message}` }))
		)
	);
}
