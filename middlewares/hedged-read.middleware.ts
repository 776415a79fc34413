/**
 * Hedged reads. A remote call to a read-only action (the rule of read-retry: a GET route, or
 * `readOnly: true`) that has not answered after the action's recent p90 latency gets one backup
 * on another node, and the first answer wins. The other attempt is settled at once
 * (remote-timeout's cancelRemoteCall), so it leaves no pending request or context behind. A
 * budget per action keeps backups near a tenth of its calls (lib/hedging/backup-budget.ts), so
 * a slow cluster is not also sent more work; half of it is kept for calls still unanswered at
 * four times the p90 (stuck on a frozen or dead node rather than slow), which a burst of
 * ordinary slowness would otherwise have spent.
 *
 * Within ReadRetry (registered before it in middlewares/index.ts): one ReadRetry attempt is one
 * hedged call, the primary and perhaps a backup, both within that attempt's time. A node fault
 * (timeout, turned away, node gone) of one attempt while the other is still pending is not an
 * answer: the call waits for the other, so ReadRetry turns to a third node only once both have
 * failed. A node fault of the primary before any backup went ends the call at once, and
 * ReadRetry tries another node as before. An error the action answered (404, 422) is an answer:
 * the other node shares its database and would say the same.
 *
 * A node that has gone silent (lib/hedging/silent-nodes.ts: a read to it is stuck, it has answered
 * nothing since, and it does not answer a ping) gets no first attempts while another node can
 * serve the action, so a frozen node costs the few reads sent before it was found silent, not
 * half of them until the registry drops it.
 *
 * Not hedged: calls this node serves itself (preferLocal: nothing to gain), actions served by
 * one node, writes, and calls sent to a named node. HEDGED_READS=false leaves calls untouched.
 */
import type { CallingOptions, Context, Middleware, ServiceBroker } from "moleculer";
import { BackupBudget } from "../lib/hedging/backup-budget";
import { LatencyWindow } from "../lib/hedging/latency-window";
import { SilentNodes } from "../lib/hedging/silent-nodes";
import { type HedgedReadState, reportHedgedReads } from "../lib/node-state";
import { type Call, type EndpointLike, NODE_FAULTS, answeredBy, endpointsOf, isReadOnly, targetAction } from "./read-retry.middleware";
import { cancelRemoteCall } from "./remote-timeout.middleware";

export interface HedgedReadOptions {
	enabled: boolean;
}

/** The last 128 answers of an action; its p90 says nothing until 20 have come. */
const WINDOW = { size: 128, minSamples: 20 };
const PERCENTILE = 90;
/** The wait before a backup while an action has too few answers for a p90. */
const DEFAULT_DELAY_MS = 50;
/** Never sooner: a backup that could save only a millisecond or two is not worth a call. */
const MIN_DELAY_MS = 5;
/** A tenth of the calls may have a backup, and ten may go at once after a quiet spell. */
const BUDGET = { ratio: 0.1, burst: 10 };
/**
 * Tokens a merely slow call (past the p90) leaves in the budget, for calls that are stuck (past
 * STUCK_FACTOR × the p90: a frozen or dead node). Without it, the ordinary tail of a busy
 * machine spent the whole budget, and a node that froze met an empty one.
 */
const RESERVE = BUDGET.burst / 2;
const STUCK_FACTOR = 4;
/**
 * A node is suspected (and pinged) once a read to it has waited this long, or the stuck time if
 * longer, with no answer from it since. The bar sits above a busy node's tail, so that pings stay
 * rare (at four times the p90, a healthy node under the hedged-reads cluster test was suspected
 * every few seconds), and a frozen node is still found silent within half a second.
 */
const SILENT_AFTER_MS = 250;

export const HedgedReadMetricNames = {
	calls: "roster.hedged.calls.total",
	backups: "roster.hedged.backups.total",
	won: "roster.hedged.backups.won.total",
	overBudget: "roster.hedged.over.budget.total",
	rerouted: "roster.hedged.rerouted.total"
} as const;

const DESCRIPTIONS: Record<keyof typeof HedgedReadMetricNames, string> = {
	calls: "Remote read calls that could have a backup (the action had two nodes or more)",
	backups: "Backups sent to another node because the first attempt had not answered after the action's p90",
	won: "Backups that answered before the first attempt",
	overBudget: "Reads that waited past the action's p90 but had no backup: the budget (a tenth of calls) was spent",
	rerouted: "Reads whose first attempt went to another node than the balancer chose, because that one had gone silent"
};

/** One action's hedging, on this node. */
class ActionHedging {
	readonly latency = new LatencyWindow(WINDOW);
	readonly budget = new BackupBudget(BUDGET);
	calls = 0;
	backups = 0;
	won = 0;
	overBudget = 0;
	rerouted = 0;

	delayMs(): number {
		return Math.max(MIN_DELAY_MS, this.latency.percentile(PERCENTILE) ?? DEFAULT_DELAY_MS);
	}
}

interface Attempt {
	p: ReturnType<Call>;
	sentAt: number;
	pending: boolean;
	error?: unknown;
}

/** The node an attempt went to, once the balancer has chosen it. */
const nodeOf = (attempt: Attempt): string | undefined => attempt.p.ctx?.nodeID ?? undefined;

const anyOf = <T>(list: T[]): T | undefined => list[Math.floor(Math.random() * list.length)];

/**
 * Someone else than `nodeID` that can serve the action now, and is not silent: a backup sent to
 * a silent node would not answer, and would only wait in its queue until it thaws. Only when the
 * first attempt's node is silent too are silent ones tried: every node silent at once is more
 * likely this node's own view gone wrong than all of them frozen.
 */
function otherEndpoint(broker: ServiceBroker, action: string, nodeID: string | undefined, silent: SilentNodes): EndpointLike | undefined {
	const others = endpointsOf(broker, action).filter(ep => ep.isAvailable && !ep.local && ep.id !== nodeID);
	const answering = others.filter(ep => !silent.isSilent(ep.id));
	if (answering.length > 0) return anyOf(answering);
	return nodeID !== undefined && silent.isSilent(nodeID) ? anyOf(others) : undefined;
}

/**
 * Where the first attempt goes: where the balancer sends it (`target`: an endpoint, or the
 * action's name for the balancer to choose), unless that node is silent and another is not.
 */
function firstTarget(broker: ServiceBroker, action: string, target: unknown, silent: SilentNodes): { target: unknown; rerouted: boolean } {
	const endpoints = endpointsOf(broker, action).filter(ep => ep.isAvailable);
	if (!endpoints.some(ep => silent.isSilent(ep.id))) return { target, rerouted: false };
	// The balancer's choice, made now rather than after this middleware, to see where it falls.
	const chosen = typeof target === "string" ? broker.findNextActionEndpoint(action) : target;
	if (chosen instanceof Error || !silent.isSilent((chosen as EndpointLike).id)) return { target: chosen instanceof Error ? target : chosen, rerouted: false };
	const other = anyOf(endpoints.filter(ep => !silent.isSilent(ep.id)));
	return other ? { target: other, rerouted: true } : { target, rerouted: false };
}

/** Two remote nodes or more, and none here: the balancer (preferLocal) would keep a local call local. */
function hedgeable(broker: ServiceBroker, action: string, target: unknown): boolean {
	if (typeof target !== "string" && (target as EndpointLike).local) return false;
	const available = endpointsOf(broker, action).filter(ep => ep.isAvailable);
	return available.length >= 2 && !available.some(ep => ep.local);
}

export function HedgedReadMiddleware(opts: HedgedReadOptions): Middleware {
	return function hedgedRead(broker: ServiceBroker) {
		const actions = new Map<string, ActionHedging>();
		const nodes = broker.registry.nodes as unknown as { get(nodeID: string): { lastHeartbeatTime: number } | undefined };
		const silent = new SilentNodes({
			lastHeartbeat: nodeID => nodes.get(nodeID)?.lastHeartbeatTime,
			uptime: () => process.uptime(),
			ping: async (nodeID, timeoutMs) => (await broker.ping(nodeID, timeoutMs)) != null
		});
		const count = (name: keyof typeof HedgedReadMetricNames, action: string) => {
			if (broker.isMetricsEnabled()) broker.metrics.increment(HedgedReadMetricNames[name], { action });
		};

		function hedgingOf(action: string): ActionHedging {
			let state = actions.get(action);
			if (!state) actions.set(action, (state = new ActionHedging()));
			return state;
		}

		function hedged(action: string, target: unknown, params: unknown, callOpts: CallingOptions, next: Call): ReturnType<Call> {
			const state = hedgingOf(action);
			state.calls++;
			state.budget.earn();
			count("calls", action);
			const started = Date.now();
			const timeout = callOpts.timeout ?? broker.options.requestTimeout ?? 0;
			const delay = state.delayMs();
			const stuckAfter = delay * STUCK_FACTOR;
			const first = firstTarget(broker, action, target, silent);
			if (first.rerouted) {
				state.rerouted++;
				count("rerouted", action);
			}
			const attempts: Attempt[] = [];
			let winner: Attempt | undefined;
			const call: { promise?: { ctx?: Context } } = {};

			const result = new Promise((resolve, reject) => {
				let timer: NodeJS.Timeout | undefined;

				function settle(attempt: Attempt, outcome: () => void): void {
					winner = attempt;
					answeredBy(call, attempt.p);
					clearTimeout(timer);
					// The other attempt, if still out, is not waited for: settled here, its answer an orphan.
					for (const other of attempts) if (other !== attempt && other.pending) cancelRemoteCall(other.p.ctx);
					outcome();
				}

				function answered(attempt: Attempt, value: unknown): void {
					attempt.pending = false;
					const nodeID = nodeOf(attempt);
					if (nodeID) silent.answered(nodeID);
					if (winner) return;
					state.latency.add(Date.now() - attempt.sentAt);
					if (attempt !== attempts[0]) {
						state.won++;
						count("won", action);
					}
					settle(attempt, () => resolve(value));
				}

				function failed(attempt: Attempt, err: unknown): void {
					attempt.pending = false;
					attempt.error = err;
					if (winner) return;
					if (!NODE_FAULTS.has((err as Error).name)) {
						// The action's own answer, an error: as good as a value from the other node.
						const nodeID = nodeOf(attempt);
						if (nodeID) silent.answered(nodeID);
						state.latency.add(Date.now() - attempt.sentAt);
						return settle(attempt, () => reject(err));
					}
					// Another attempt still out may yet answer: ReadRetry must not turn to a third node now.
					if (attempts.some(a => a.pending)) return;
					settle(attempts[0], () => reject(attempts[0].error));
				}

				function send(target: unknown, callOpts: CallingOptions): Attempt {
					const attempt: Attempt = { p: next(target, params, callOpts), sentAt: Date.now(), pending: true };
					attempts.push(attempt);
					const nodeID = nodeOf(attempt);
					if (nodeID && !attempt.p.ctx?.endpoint?.local) silent.sent(nodeID, attempt.sentAt + Math.max(stuckAfter, SILENT_AFTER_MS));
					attempt.p.then(
						value => answered(attempt, value),
						err => failed(attempt, err)
					);
					return attempt;
				}

				const primary = send(first.target, { ...callOpts });
				const primaryNode = primary.p.ctx?.nodeID ?? undefined;
				if (!primary.p.ctx || primary.p.ctx.endpoint?.local || (timeout > 0 && delay >= timeout)) return;

				/** A backup now if the budget allows, leaving `keep` tokens; false if it did not. */
				function backup(keep: number): boolean {
					if (winner || !primary.pending) return true;
					const backupTo = otherEndpoint(broker, action, primaryNode, silent);
					if (!backupTo) return true;
					if (!state.budget.take(keep)) return false;
					state.backups++;
					count("backups", action);
					// Within the same time as the primary: the caller's deadline does not move.
					const left = timeout > 0 ? timeout - (Date.now() - started) : 0;
					send(backupTo, { ...callOpts, timeout: timeout > 0 ? Math.max(1, left) : callOpts.timeout });
					return true;
				}

				function noBackup(): void {
					state.overBudget++;
					count("overBudget", action);
				}

				timer = setTimeout(function slowPrimary() {
					if (backup(RESERVE)) return;
					if (timeout > 0 && stuckAfter >= timeout) return noBackup();
					timer = setTimeout(function stuckPrimary() {
						if (!backup(0)) noBackup();
					}, stuckAfter - delay);
					timer.unref();
				}, delay);
				timer.unref();
			}) as ReturnType<Call>;
			call.promise = result;
			return result;
		}

		return {
			name: "HedgedRead",

			created() {
				// A node gone from the registry is no longer anyone's to avoid; node IDs of restarted nodes would pile up.
				broker.localBus.on("$node.disconnected", ({ node }: { node: { id: string } }) => silent.forget(node.id));
				reportHedgedReads(broker, (): HedgedReadState[] =>
					[...actions].map(([action, s]) => ({
						action,
						calls: s.calls,
						backups: s.backups,
						won: s.won,
						overBudget: s.overBudget,
						rerouted: s.rerouted,
						delayMs: s.delayMs()
					}))
				);
				if (!opts.enabled || !broker.isMetricsEnabled()) return;
				for (const key of Object.keys(HedgedReadMetricNames) as Array<keyof typeof HedgedReadMetricNames>) {
					broker.metrics.register({ name: HedgedReadMetricNames[key], type: "counter", labelNames: ["action"], description: DESCRIPTIONS[key] });
				}
			},

			call(next: Call): Call {
				if (!opts.enabled) return next;
				return function hedgedReadCall(target, params, callOpts = {}) {
					// Sent to a named node, by a caller's own retry policy, or Moleculer's Retry calling again: leave it.
					if (callOpts.nodeID || callOpts.retries != null || (callOpts as { ctx?: unknown }).ctx) return next(target, params, callOpts);
					const action = targetAction(broker, target);
					if (!action?.name || !isReadOnly(action) || !hedgeable(broker, action.name, target)) return next(target, params, callOpts);
					return hedged(action.name, target, params, callOpts, next);
				};
			}
		};
	} as unknown as Middleware;
}
