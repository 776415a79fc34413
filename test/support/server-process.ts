/**
 * A server binary of a test's own (nats-server, redis-server): spawned, waited for until its
 * output says it is ready, stopped and awaited. The shared servers are never touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";

const START_TIMEOUT_MS = 5000;

export interface ServerProcess {
	child: ChildProcess;
	output(): string;
	/** Sends `signal` (SIGKILL if it has not exited after `graceMs`) and waits for the exit. */
	stop(signal: NodeJS.Signals, graceMs?: number): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise(resolve => child.once("exit", () => resolve()));
}

/** Starts `bin` and resolves once its output shows `readyLine`; a server that exits or is slow fails with its output. */
export function startServerProcess(label: string, bin: string, args: string[], readyLine: string): Promise<ServerProcess> {
	const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	const server: ServerProcess = {
		child,
		output: () => output,
		async stop(signal, graceMs = 5000) {
			if (child.exitCode === null && child.signalCode === null) child.kill(signal);
			const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
			await exited(child);
			clearTimeout(timer);
		}
	};
	return new Promise((resolve, reject) => {
		let started = false;
		const fail = (why: string) => {
			if (started) return;
			clearTimeout(timer);
			void server.stop("SIGKILL");
			reject(new Error(`${label} ${why}:\n${output}`));
		};
		const timer = setTimeout(() => fail(`did not start in ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
		const read = (chunk: Buffer) => {
			output += chunk.toString();
			if (!started && output.includes(readyLine)) {
				started = true;
				clearTimeout(timer);
				resolve(server);
			}
		};
		child.stdout!.on("data", read);
		child.stderr!.on("data", read);
		child.once("error", err => fail(`could not be spawned (${err.message})`));
		child.once("exit", code => fail(`exited with ${code}`));
	});
}

/** `describe` that runs only where `bin` is installed, like describeWith; required in CI. */
export function describeWithBinary(bin: string, name: string, title: string, body: () => void): void {
	if (existsSync(bin)) return describe(title, body);
	if (process.env.ROSTER_REQUIRE_SERVICES === "1") {
		return describe(title, () => {
			it(`needs ${name}`, () => {
				throw new Error(`${bin} not found, and ROSTER_REQUIRE_SERVICES=1`);
			});
		});
	}
	return describe.skip(`${title} (skipped: ${bin} not found)`, body);
}
