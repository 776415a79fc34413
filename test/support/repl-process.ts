/**
 * `npm run repl` as a developer starts it: moleculer-runner under tsx with scripts/repl.config.ts
 * and --repl, no services of its own. Commands are typed on its stdin; what they print is read
 * back from its stdout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

export interface ReplProcess {
	/** Types `command` at the prompt and answers what it printed once `done` matches it. */
	run(command: string, done: RegExp, timeoutMs?: number): Promise<string>;
	output(): string;
	stop(): Promise<void>;
}

export function startRepl(env: Record<string, string>): ReplProcess {
	const child: ChildProcess = spawn(
		process.execPath,
		[path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), "node_modules/moleculer/bin/moleculer-runner.js", "--config", "scripts/repl.config.ts", "--repl"],
		{ cwd: ROOT, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] }
	);
	let log = "";
	child.stdout!.on("data", chunk => (log += chunk));
	child.stderr!.on("data", chunk => (log += chunk));
	const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
	process.once("exit", () => child.kill("SIGKILL"));

	return {
		async run(command, done, timeoutMs = 30_000) {
			const from = log.length;
			child.stdin!.write(`${command}\n`);
			const deadline = Date.now() + timeoutMs;
			while (!done.test(log.slice(from))) {
				if (Date.now() > deadline || child.exitCode !== null) {
					throw new Error(`"${command}" did not print ${done} within ${timeoutMs} ms; the REPL printed:\n${log.slice(from) || log}`);
				}
				await new Promise(r => setTimeout(r, 100));
			}
			return log.slice(from);
		},
		output: () => log,
		async stop() {
			if (child.exitCode === null) child.stdin!.end("quit\n");
			const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
			await exited;
			clearTimeout(timer);
		}
	};
}
