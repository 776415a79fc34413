/**
 * The broker options of `npm run dev` and `npm run repl`: every node's (moleculer.config.ts) plus
 * Roster's REPL commands. Kept out of moleculer.config so that what a deployed node loads, and
 * what the image builds, does not depend on the demo data under scripts/.
 */
import type { BrokerOptions } from "moleculer";
import runnerOptions from "../moleculer.config";
import { replCommands } from "./repl-commands";

export default function replOptions(this: unknown): BrokerOptions {
	return { ...runnerOptions.call(this), replCommands };
}
