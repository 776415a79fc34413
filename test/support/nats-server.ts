/**
 * A nats-server of the test's own on a spare port, for tests that configure NATS differently
 * (authentication, TLS) or take it down: the shared one on 4222 is never touched.
 */
import { existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./ports";
import { describeWithBinary, startServerProcess } from "./server-process";

export const NATS_SERVER_BIN =
	process.env.TEST_NATS_SERVER_BIN || ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find(existsSync) || "nats-server";

export interface NatsServer {
	port: number;
	/** nats://127.0.0.1:<port>, without credentials. */
	url: string;
	output(): string;
	stop(): Promise<void>;
}

/**
 * Starts nats-server with `args` (e.g. ["--user", "u", "--pass", "p"]) and resolves once it is
 * ready; on a spare port, or on `port` (a server started again where clients expect it).
 * JetStream is on, as every cluster needs it for its channels, with a store per port: a server
 * started again on the same port finds its streams and consumers, as a real one does.
 */
export async function startNatsServer(args: string[] = [], opts: { port?: number } = {}): Promise<NatsServer> {
	const port = opts.port ?? (await freePort());
	const store = path.join(os.tmpdir(), `roster-test-jetstream-${port}`);
	// A new server starts empty; one started again on its port keeps what it had.
	if (opts.port === undefined) rmSync(store, { recursive: true, force: true });
	const server = await startServerProcess(
		`nats-server on port ${port}`,
		NATS_SERVER_BIN,
		["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store, ...args],
		"Server is ready"
	);
	return { port, url: `nats://127.0.0.1:${port}`, output: server.output, stop: () => server.stop("SIGTERM") };
}

/** `describe` that runs only where the nats-server binary is installed, like describeWith. */
export function describeWithNatsServer(title: string, body: () => void): void {
	describeWithBinary(NATS_SERVER_BIN, "nats-server", title, body);
}
