/**
 * Real nodes over real NATS: each node is its own `moleculer-runner` process built from dist/,
 * exactly as a deployment runs it, in a namespace of its own so parallel runs never meet.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { NATS_URL, hasService } from "./external";
import { deleteStreams } from "./jetstream";
import { freePort } from "./ports";

const ROOT = path.resolve(__dirname, "../..");
const RUNNER = path.join(ROOT, "node_modules/moleculer/bin/moleculer-runner.js");

export interface ClusterNode {
	name: string;
	process: ChildProcess;
	output(): string;
	stop(): Promise<void>;
}

export interface ClusterOptions {
	namespace?: string;
	env?: Record<string, string>;
}

export function clusterNamespace(): string {
	return `test-${randomUUID().slice(0, 8)}`;
}

/** Nodes still running: a test run that ends (or times out) never leaves one behind. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
	for (const child of running) child.kill("SIGKILL");
});

/** The namespaces this test file's nodes used: their JetStream streams go when the file's suites end. */
const namespaces = new Set<string>();
afterAll(async () => {
	if (hasService("nats")) await deleteStreams([...namespaces]).catch(() => undefined);
});

/** Starts one node running `services` (e.g. "gateway/api,data/identity"). */
export function startNode(name: string, services: string, opts: ClusterOptions & { namespace: string }): ClusterNode {
	namespaces.add(opts.namespace);
	const child = spawn(process.execPath, [RUNNER, "--config", "dist/moleculer.config.js"], {
		cwd: ROOT,
		env: {
			...process.env,
			NODE_ENV: "test",
			NAMESPACE: opts.namespace,
			NODE_ID: `${name}-${opts.namespace}`,
			TRANSPORTER: NATS_URL,
			SERVICEDIR: "dist/services",
			SERVICES: services,
			LOG_LEVEL: "warn",
			JWT_SECRET: "cluster-test-secret-0123456789-abcdefghijklmnop",
			...opts.env
		},
		stdio: ["ignore", "pipe", "pipe"]
	});
	let log = "";
	child.stdout!.on("data", chunk => (log += chunk));
	child.stderr!.on("data", chunk => (log += chunk));
	running.add(child);
	const exited = new Promise<void>(resolve =>
		child.once("exit", () => {
			running.delete(child);
			resolve();
		})
	);
	return {
		name,
		process: child,
		output: () => log,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
			await exited;
			clearTimeout(timer);
		}
	};
}

/** Polls until `check` passes or the time is up; the error says what was last seen. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let last = "";
	while (Date.now() < deadline) {
		try {
			if (await check()) return;
		} catch (err) {
			last = (err as Error).message;
		}
		await new Promise(r => setTimeout(r, 200));
	}
	throw new Error(`Timed out waiting for ${what} ${last}`);
}

/**
 * Until the gateway's /health/ready answers 200: every service it needs (READY_SERVICES on the
 * gateway node, all of them by default) has a node, and the gateway routes to each. Two data
 * nodes making a fresh schema's tables and indexes took over 30 s to start on a 2-core machine
 * at load average 12–27 (about 13 s at best there), so the wait is 90 s: the suites' own hook
 * and test timeouts (120 s and more) stay the limit that counts. A suite that starts many more
 * processes at once gives them longer (`timeoutMs`).
 */
export async function waitForGateway(url: string, timeoutMs = 90_000): Promise<void> {
	await waitFor(
		`gateway at ${url} to be ready`,
		async () => {
			const res = await fetch(`${url}/health/ready`);
			if (res.status === 200) return true;
			throw new Error(`(last answer: ${res.status} ${await res.text()})`);
		},
		timeoutMs
	);
}

export interface TwoNodeSystem {
	url: string;
	gateway: ClusterNode;
	identity: ClusterNode;
	namespace: string;
	stop(): Promise<void>;
}

/** A gateway node and an identity node, separate processes joined over NATS. */
export async function startTwoNodeSystem(opts: ClusterOptions = {}): Promise<TwoNodeSystem> {
	const namespace = opts.namespace ?? clusterNamespace();
	const port = await freePort();
	const identity = startNode("identity", "data/identity", { ...opts, namespace });
	const gateway = startNode("gateway", "gateway/api", { ...opts, namespace, env: { PORT: String(port), READY_SERVICES: "identity", ...opts.env } });
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		await Promise.all([gateway.stop(), identity.stop()]);
	};
	try {
		await waitForGateway(url);
	} catch (err) {
		await stop();
		throw new Error(`${(err as Error).message}\n--- gateway ---\n${gateway.output()}\n--- identity ---\n${identity.output()}`);
	}
	return { url, gateway, identity, namespace, stop };
}

/** An `it` whose failure also prints `logs()` (the tail of every node's log), to see why from CI output. */
export function itWithLogs(title: string, logs: () => string, body: () => Promise<void>): void {
	it(title, async () => {
		try {
			await body();
		} catch (err) {
			console.error(`${title}: the nodes' logs\n${logs()}`);
			throw err;
		}
	});
}
