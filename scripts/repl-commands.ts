/**
 * Roster's own REPL commands, next to Moleculer's (`call`, `services`, `nodes`, …).
 * `seed` fills the running system (or the cluster the REPL joined) with the demo company.
 * `breakers` asks every node for its circuit breakers, in-flight calls and hedged reads (lib/node-state).
 * `jobs` lists the scheduled jobs' latest runs; `jobs run <job> [at]` runs one for a slot (once per slot).
 * `token`, `as`, `routes` and `tenants`: scripts/repl/. Each command's work is a function of the
 * broker, so it runs the same in one process and on a REPL-only node joined to a cluster.
 */
import type { ServiceBroker } from "moleculer";
import { config } from "../lib/config";
import type { RunDoc } from "../lib/jobs/runs";
import { JOB_NAMES, type JobName, JobServices } from "../lib/names/jobs";
import { type NodeStateAnswer, gatherNodeStates } from "../lib/node-state";
import { AsUser, type CallArgs, tokenCommand } from "./repl/as-user";
import { routesCommand } from "./repl/routes";
import { tenantsCommand } from "./repl/tenants";

/** Options as moleculer-repl hands them to an action. */
interface WithOptions {
	options?: { tenant?: string };
}

/** One `as` per broker: it keeps the sessions it signed in for the REPL's life. */
const asUsers = new WeakMap<ServiceBroker, AsUser>();
function asUser(broker: ServiceBroker): AsUser {
	let found = asUsers.get(broker);
	if (!found) asUsers.set(broker, (found = new AsUser(broker)));
	return found;
}

const tenantOption = { option: "--tenant <id>", description: "the company, when the person is in several" };

/** One block per node: busy services, the oldest calls, every breaker not closed or with failures, and hedged reads per action. */
export function describeNodeStates(answers: NodeStateAnswer[]): string {
	return answers
		.map(answer => {
			if ("error" in answer) return `${answer.nodeID}: no answer (${answer.error})`;
			const { handling, calling, awaitingReply, oldest } = answer.inFlight;
			const busy =
				Object.entries(handling)
					.map(([service, n]) => `${service} ${n}`)
					.join(", ") || "nothing";
			const lines = [`${answer.nodeID}: handling ${busy}; calling ${calling}; awaiting ${awaitingReply} replies`];
			for (const call of oldest) lines.push(`  ${call.ageMs} ms  ${call.action}  req=${call.requestId ?? "-"}`);
			const notable = answer.breakers.filter(b => b.state !== "close" || b.failures > 0);
			const closed = answer.breakers.length - notable.length;
			for (const b of notable) lines.push(`  breaker ${b.state.toUpperCase()}  ${b.action} on ${b.nodeID}  ${b.failures}/${b.count} failed`);
			lines.push(`  ${closed} breaker(s) closed without failures`);
			for (const h of answer.hedgedReads ?? []) {
				lines.push(
					`  hedged ${h.action}: ${h.calls} calls, ${h.backups} backups (${h.won} won), ${h.overBudget} over budget, ${h.rerouted} sent away from a silent node; backup after ${h.delayMs} ms`
				);
			}
			return lines.join("\n");
		})
		.join("\n");
}

/** One line per run: slot, job, status, attempts, the nodes that claimed it, what it did or why it failed. */
export function describeRuns(runs: RunDoc[]): string {
	if (runs.length === 0) return "No runs yet.";
	return runs
		.map(r => {
			const nodes = r.claims.map(c => c.node).join(" → ");
			const outcome = r.status === "done" ? JSON.stringify(r.result) : (r.error ?? "");
			return `${r.slot}  ${r.job.padEnd(18)} ${r.status.padEnd(8)} attempts ${r.attempts}  ${nodes}  ${outcome}`;
		})
		.join("\n");
}

/** What the REPL's `jobs` command prints (exported for its test). */
export async function jobsCommand(broker: ServiceBroker, action: string | undefined, job: string | undefined, at: string | undefined): Promise<string> {
	const known = (name: string | undefined): name is JobName => JOB_NAMES.includes(name as JobName);
	if (action === "run") {
		if (!known(job)) return `Which job? One of ${JOB_NAMES.join(", ")}`;
		const answer = await broker.call(`${JobServices[job]}.runJob`, at ? { job, at } : { job });
		return JSON.stringify(answer, null, 2);
	}
	// `jobs` lists every job; `jobs <job>` one; a name it does not know (a typo) lists none.
	const wanted = action === undefined ? JOB_NAMES : known(action) ? [action] : known(job) ? [job] : undefined;
	if (!wanted) return `Which job? One of ${JOB_NAMES.join(", ")} (got "${[action, job].filter(Boolean).join(" ")}"); \`jobs\` alone lists them all`;
	const lists = await Promise.all(
		wanted.map(name =>
			broker.call<RunDoc[], { job: string; limit: number }>(`${JobServices[name]}.jobRuns`, { job: name, limit: 10 }).catch(() => [] as RunDoc[])
		)
	);
	return describeRuns(lists.flat().sort((a, b) => b.slot.localeCompare(a.slot)));
}

export const replCommands = [
	{
		command: "seed",
		description: "Create the demo company (about 200 employees, candidates, leave) and print its logins",
		async action(broker: ServiceBroker): Promise<void> {
			// Loaded on use: a node that never seeds does not load the demo data.
			const { SEED_SERVICES, describeSeed, seedDemo } = await import("./seed/seed-demo");
			try {
				// A REPL that joined a cluster a moment ago may not know every service yet.
				await broker.waitForServices(SEED_SERVICES, 10_000);
				console.log(describeSeed(await seedDemo(broker)));
			} catch (err) {
				const e = err as { message?: string; data?: unknown };
				console.error("Seeding failed:", e.message, e.data ? JSON.stringify(e.data) : "");
			}
		}
	},
	{
		command: "jobs [action] [job] [at]",
		description: "Scheduled jobs: `jobs [job]` lists the latest runs; `jobs run <job> [at]` runs one for the slot `at` (default now), once per slot",
		async action(broker: ServiceBroker, params: { action?: string; job?: string; at?: string }): Promise<void> {
			try {
				console.log(await jobsCommand(broker, params.action, params.job, params.at));
			} catch (err) {
				console.error("jobs failed:", (err as Error).message);
			}
		}
	},
	{
		command: "token <email>",
		description: "Development only: signs the user in (no password) and prints an access token for curl",
		options: [tenantOption],
		async action(broker: ServiceBroker, params: { email: string } & WithOptions): Promise<void> {
			console.log(await tokenCommand(broker, { email: params.email, tenant: params.options?.tenant }, config().env));
		}
	},
	{
		command: "as <email> <verb> <action> [json]",
		description:
			"Development only: `as <email> call <action> ['{\"param\": 1}']` calls an action as that user, with the meta and role check of the gateway",
		options: [tenantOption],
		async action(broker: ServiceBroker, params: Omit<CallArgs, "tenant"> & WithOptions): Promise<void> {
			const { email, verb, action, json } = params;
			console.log(await asUser(broker).command({ email, verb, action, json, tenant: params.options?.tenant }, config().env));
		}
	},
	{
		command: "routes",
		description: "The gateway's REST routes, each with its action and the nodes serving it",
		async action(broker: ServiceBroker): Promise<void> {
			console.log(await routesCommand(broker).catch(err => `routes failed: ${(err as Error).message}`));
		}
	},
	{
		command: "tenants",
		description: "Every company with its users, employees, departments, openings, candidates and leave requests",
		async action(broker: ServiceBroker): Promise<void> {
			console.log(await tenantsCommand(broker).catch(err => `tenants failed: ${(err as Error).message}`));
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
