/**
 * A nats-server of the test's own on a spare port, for tests that configure NATS differently
 * (authentication, TLS) or take it down: the shared one on 4222 is never touched.
 */
import { existsSync } from "node:fs";
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
 */
export async function startNatsServer(args: string[] = [], opts: { port?: number } = {}): Promise<NatsServer> {
	const port = opts.port ?? (await freePort());
	const server = await startServerProcess(`nats-server on port ${port}`, NATS_SERVER_BIN, ["-a", "127.0.0.1", "-p", String(port), ...args], "Server is ready");
	return { port, url: `nats://127.0.0.1:${port}`, output: server.output, stop: () => server.stop("SIGTERM") };
}

/** `describe` that runs only where the nats-server binary is installed, like describeWith. */
export function describeWithNatsServer(title: string, body: () => void): void {
	describeWithBinary(NATS_SERVER_BIN, "nats-server", title, body);
}
