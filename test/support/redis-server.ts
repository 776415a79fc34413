/**
 * A redis-server of the test's own, for tests that take Redis down and bring it back, which
 * they must never do to the Redis other suites share. Nothing is persisted to disk.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { freePort } from "./ports";

export const REDIS_SERVER_BIN = process.env.TEST_REDIS_SERVER_BIN || "/usr/bin/redis-server";

const START_TIMEOUT_MS = 5000;

export interface RedisServer {
	port: number;
	url: string;
	/** Kill the server (SIGKILL, like a crash) and wait until it has exited. */
	kill(): Promise<void>;
	/** Freeze the server (SIGSTOP): connections stay open but nothing answers. */
	stall(): void;
	/** Let a stalled server run on (SIGCONT). */
	resume(): void;
}

export { freePort };

function exited(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise(resolve => child.once("exit", () => resolve()));
}

/** Starts redis-server on the port and resolves once it accepts connections. */
export function startRedisServer(port: number): Promise<RedisServer> {
	const child = spawn(
		REDIS_SERVER_BIN,
		["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", os.tmpdir()],
		{ stdio: ["ignore", "pipe", "pipe"] }
	);
	const server: RedisServer = {
		port,
		url: `redis://127.0.0.1:${port}`,
		async kill() {
			if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
			await exited(child);
		},
		stall: () => void child.kill("SIGSTOP"),
		resume: () => void child.kill("SIGCONT")
	};
	return new Promise((resolve, reject) => {
		let output = "";
		let started = false;
		const fail = (why: string) => {
			if (started) return;
			clearTimeout(timer);
			void server.kill();
			reject(new Error(`redis-server on port ${port} ${why}:\n${output}`));
		};
		const timer = setTimeout(() => fail(`did not start in ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
		child.stdout?.on("data", (chunk: Buffer) => {
			output += chunk.toString();
			if (!started && output.includes("Ready to accept connections")) {
				started = true;
				clearTimeout(timer);
				resolve(server);
			}
		});
		child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
		child.once("error", err => fail(`could not be spawned (${err.message})`));
		child.once("exit", code => fail(`exited with ${code}`));
	});
}

/** `describe` that runs only where the redis-server binary is installed, like describeWith. */
export function describeWithRedisServer(title: string, body: () => void): void {
	if (existsSync(REDIS_SERVER_BIN)) return describe(title, body);
	if (process.env.ROSTER_REQUIRE_SERVICES === "1") {
		return describe(title, () => {
			it("needs redis-server", () => {
				throw new Error(`${REDIS_SERVER_BIN} not found, and ROSTER_REQUIRE_SERVICES=1`);
			});
		});
	}
	return describe.skip(`${title} (skipped: ${REDIS_SERVER_BIN} not found)`, body);
}
