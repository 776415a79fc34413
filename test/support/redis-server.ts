/**
 * A redis-server of the test's own, for tests that take Redis down and bring it back, which
 * they must never do to the Redis other suites share. Nothing is persisted to disk.
 */
import os from "node:os";
import { freePort } from "./ports";
import { describeWithBinary, startServerProcess } from "./server-process";

export const REDIS_SERVER_BIN = process.env.TEST_REDIS_SERVER_BIN || "/usr/bin/redis-server";

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

/** Starts redis-server on the port and resolves once it accepts connections. */
export async function startRedisServer(port: number): Promise<RedisServer> {
	const server = await startServerProcess(
		`redis-server on port ${port}`,
		REDIS_SERVER_BIN,
		["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", os.tmpdir()],
		"Ready to accept connections"
	);
	return {
		port,
		url: `redis://127.0.0.1:${port}`,
		kill: () => server.stop("SIGKILL"),
		stall: () => void server.child.kill("SIGSTOP"),
		resume: () => void server.child.kill("SIGCONT")
	};
}

/** `describe` that runs only where the redis-server binary is installed, like describeWith. */
export function describeWithRedisServer(title: string, body: () => void): void {
	describeWithBinary(REDIS_SERVER_BIN, "redis-server", title, body);
}
