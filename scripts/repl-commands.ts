/**
 * Roster's own REPL commands, next to Moleculer's (`call`, `services`, `nodes`, …).
 * `seed` fills the running system (or the cluster the REPL joined) with the demo company.
 * `breakers` asks every node for its circuit breakers, in-flight calls and hedged reads (lib/node-state).
 */
import type { ServiceBroker } from "moleculer";
import { type NodeStateAnswer, gatherNodeStates } from "../lib/node-state";

/** One block per node: busy services, the oldest calls, every breaker not closed or with failures, and hedged reads per action. */
export function describeNodeStates(answers: NodeStateAnswer[]): string {
	return answers
		.map(answer => {
			if ("error" in answer) return `${answer.nodeID}: no answer (${answer.error})`;
			const { handling, calling, awaitingReply, oldest } = answer.inFlight;
			const busy = Object.entries(handling).map(([service, n]) => `${service} ${n}`).join(", ") || "nothing";
			const lines = [`${answer.nodeID}: handling ${busy}; calling ${calling}; awaiting ${awaitingReply} replies`];
			for (const call of oldest) lines.push(`  ${call.ageMs} ms  ${call.action}  req=${call.requestId ?? "-"}`);
			const notable = answer.breakers.filter(b => b.state !== "close" || b.failures > 0);
			const closed = answer.breakers.length - notable.length;
			for (const b of notable) lines.push(`  breaker ${b.state.toUpperCase()}  ${b.action} on ${b.nodeID}  ${b.failures}/${b.count} failed`);
			lines.push(`  ${closed} breaker(s) closed without failures`);
			for (const h of answer.hedgedReads ?? []) {
				lines.push(`  hedged ${h.action}: ${h.calls} calls, ${h.backups} backups (${h.won} won), ${h.overBudget} over budget; backup after ${h.delayMs} ms`);
			}
			return lines.join("\n");
		})
		.join("\n");
}

export const replCommands = [
	{
		command: "seed",
		description: "Create the demo company (about 200 employees, candidates, leave) and print its logins",
		async action(broker: ServiceBroker): Promise<void> {
			// Loaded on use: a node that never seeds does not load the demo data.
			const { describeSeed, seedDemo } = await import("./seed/seed-demo");
			try {
				console.log(describeSeed(await seedDemo(broker)));
			} catch (err) {
				const e = err as { message?: string; data?: unknown };
				console.error("Seeding failed:", e.message, e.data ? JSON.stringify(e.data) : "");
			}
		}
	},
	{
		command: "breakers",
		description: "Circuit-breaker states, in-flight calls and hedged reads of every node",
		async action(broker: ServiceBroker): Promise<void> {
			console.log(describeNodeStates(await gatherNodeStates(broker)));
		}
	}
];
