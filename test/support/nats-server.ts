/**
 * A nats-server of the test's own on a spare port, for tests that configure NATS differently
 * (authentication, TLS) or take it down: the shared one on 4222 is never touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { freePort } from "./ports";

export const NATS_SERVER_BIN =
	process.env.TEST_NATS_SERVER_BIN || ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find(existsSync) || "nats-server";

const START_TIMEOUT_MS = 5000;

export interface NatsServer {
	port: number;
	/** nats://127.0.0.1:<port>, without credentials. */
	url: string;
	output(): string;
	stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise(resolve => child.once("exit", () => resolve()));
}

/**
 * Starts nats-server with `args` (e.g. ["--user", "u", "--pass", "p"]) and resolves once it is
 * ready; on a spare port, or on `port` (a server started again where clients expect it).
 */
export async function startNatsServer(args: string[] = [], opts: { port?: number } = {}): Promise<NatsServer> {
	const port = opts.port ?? (await freePort());
	const child = spawn(NATS_SERVER_BIN, ["-a", "127.0.0.1", "-p", String(port), ...args], { stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	const server: NatsServer = {
		port,
		url: `nats://127.0.0.1:${port}`,
		output: () => output,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
			await exited(child);
			clearTimeout(timer);
		}
	};
	return new Promise((resolve, reject) => {
		let started = false;
		const fail = (why: string) => {
			if (started) return;
			clearTimeout(timer);
			void server.stop();
			reject(new Error(`nats-server on port ${port} ${why}:\n${output}`));
		};
		const timer = setTimeout(() => fail(`did not start in ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
		const read = (chunk: Buffer) => {
			output += chunk.toString();
			if (!started && output.includes("Server is ready")) {
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

/** `describe` that runs only where the nats-server binary is installed, like describeWith. */
export function describeWithNatsServer(title: string, body: () => void): void {
	if (existsSync(NATS_SERVER_BIN)) return describe(title, body);
	if (process.env.ROSTER_REQUIRE_SERVICES === "1") {
		return describe(title, () => {
			it("needs nats-server", () => {
				throw new Error(`${NATS_SERVER_BIN} not found, and ROSTER_REQUIRE_SERVICES=1`);
			});
		});
	}
	return describe.skip(`${title} (skipped: ${NATS_SERVER_BIN} not found)`, body);
}
