/**
 * Roster's own REPL commands, next to Moleculer's (`call`, `services`, `nodes`, …).
 * `seed` fills the running system (or the cluster the REPL joined) with the demo company.
 */
import type { ServiceBroker } from "moleculer";

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
	}
];
