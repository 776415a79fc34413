/** What the benchmarks share: ports, plain HTTP calls, percentiles, and Roster nodes started as a deployment runs them. */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { readMailbox } from "../lib/mail/sink";
import { answers } from "../test/support/external";
import { deleteStreams } from "../test/support/jetstream";

export const ROOT = path.resolve(__dirname, "..");
export const PASSWORD = "Bench-Password-42";
/** Where the nodes a benchmark starts write their mail: signup links are read from here. */
export const MAIL_DIR = mkdtempSync(path.join(os.tmpdir(), "roster-bench-mail-"));

export interface Reply {
	status: number;
	body: string;
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer().once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

export function send(port: number, agent: http.Agent | false, method: string, urlPath: string, body?: object, token?: string): Promise<Reply> {
	const payload = body === undefined ? undefined : JSON.stringify(body);
	const headers: Record<string, string> = {};
	if (payload !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) });
	if (token) headers.authorization = `Bearer ${token}`;
	return new Promise((resolve, reject) => {
		const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers, agent }, res => {
			const chunks: Buffer[] = [];
			res.on("data", (chunk: Buffer) => chunks.push(chunk));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
			res.on("error", reject);
		});
		req.on("error", reject);
		req.end(payload);
	});
}

/** CPU time (user + system) a process has used, in µs, from /proc (CLK_TCK is 100 on Linux); NaN once it is gone. */
export function cpuMicros(pid: number): number {
	if (!existsSync(`/proc/${pid}/stat`)) return Number.NaN;
	const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
	return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** The process whose command is `command` (nats-server, redis-server) on this machine, if one runs here. */
export function pidOf(command: string): number | undefined {
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === command) return Number(entry);
		} catch {
			// gone meanwhile
		}
	}
	return undefined;
}

/** Resident memory in MB, from /proc; NaN once the process is gone. */
export function rssMb(pid: number): number {
	if (!existsSync(`/proc/${pid}/status`)) return Number.NaN;
	const line = readFileSync(`/proc/${pid}/status`, "utf8")
		.split("\n")
		.find(l => l.startsWith("VmRSS:"));
	return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

export function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const median = (values: number[]) =>
	percentile(
		[...values].sort((a, b) => a - b),
		50
	);

/** The Node.js flags the image gives every node (the Dockerfile's NODE_OPTIONS). */
export const IMAGE_NODE_OPTIONS = /^ENV .*\bNODE_OPTIONS=(\S+)/m.exec(readFileSync(path.join(ROOT, "Dockerfile"), "utf8"))?.[1] ?? "";

/**
 * A Roster node from dist/, as `npm run serve` runs it: the services `SERVICES` names (all by
 * default), rate limits out of the way, mail to MAIL_DIR. Ready when `ready` says so. A cluster
 * node (one given a TRANSPORTER) gets the image's Node.js flags, as compose runs it.
 */
export async function startRoster(env: Record<string, string>, ready: () => Promise<boolean>): Promise<ChildProcess> {
	// NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the nodes (node refuses it in NODE_OPTIONS).
	const nodeArgs = (process.env.NODE_ARGS ?? "").split(" ").filter(Boolean);
	const node = spawn(
		process.execPath,
		[...nodeArgs, path.join(ROOT, "node_modules/moleculer/bin/moleculer-runner.js"), "--config", "dist/moleculer.config.js"],
		{
			cwd: ROOT,
			stdio: ["ignore", "inherit", "inherit"],
			env: {
				...process.env,
				SERVICEDIR: "dist/services",
				LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
				TRANSPORTER: "",
				CACHER: "",
				MAIL_DIR,
				RATE_LIMIT_ANONYMOUS: "1000000",
				RATE_LIMIT_USER: "1000000",
				LOGIN_MAX_FAILS_PER_ACCOUNT: "1000",
				LOGIN_MAX_FAILS_PER_IP: "100000",
				...(env.TRANSPORTER && { NODE_OPTIONS: [IMAGE_NODE_OPTIONS, process.env.NODE_OPTIONS].filter(Boolean).join(" ") }),
				...env
			}
		}
	);
	const deadline = Date.now() + 60_000;
	for (;;) {
		if (node.exitCode !== null) throw new Error(`the node exited with ${node.exitCode}`);
		if (await ready().catch(() => false)) return node;
		if (Date.now() > deadline) throw new Error("the node did not come up within 60 s");
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}

/** Ready when the gateway on `port` says so (every service has a node and a route). */
export const gatewayReady = (port: number) => async () => (await send(port, false, "GET", "/health/ready")).status === 200;

export async function stopNode(node: ChildProcess): Promise<void> {
	if (node.exitCode !== null) return;
	node.kill("SIGTERM");
	await new Promise(resolve => node.once("exit", resolve));
}

export const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
/** The cluster's shared cache, as in compose: the gateway then remembers checked sessions (services/gateway/session-check.ts). */
export const REDIS = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface GatewayAndDataNode {
	/** The gateway's HTTP port. */
	port: number;
	data: ChildProcess;
	gateway: ChildProcess;
	stop(): Promise<void>;
}

/**
 * A gateway node and a data node over NATS, sharing Redis as compose does (without it when it
 * does not answer), in a namespace of their own; the gateway is ready once `readyServices`
 * have a node. Then `prepare` (a company, its data), stopping both if it fails.
 */
export async function gatewayAndDataNode<T>(
	name: string,
	readyServices: string,
	prepare: (port: number) => Promise<T>
): Promise<GatewayAndDataNode & { prepared: T }> {
	const port = await freePort();
	// Tokens signed by the data node are verified by the gateway: one secret for both.
	const cluster = {
		TRANSPORTER: NATS,
		NAMESPACE: `bench-${name}-${process.pid}`,
		JWT_SECRET: randomBytes(24).toString("hex"),
		CACHER: (await answers(REDIS, 6379)) ? REDIS : ""
	};
	if (!cluster.CACHER) console.log(`Redis does not answer at ${REDIS}: the cluster runs without a shared cache.`);
	const started = await Promise.allSettled([
		startRoster({ ...cluster, SERVICES: "data" }, async () => true),
		startRoster({ ...cluster, SERVICES: "gateway/api", PORT: String(port), READY_SERVICES: readyServices }, gatewayReady(port))
	]);
	const nodes = started.flatMap(result => (result.status === "fulfilled" ? [result.value] : []));
	const stop = async () => {
		for (const node of [...nodes].reverse()) await stopNode(node);
		// The nodes' durable-event streams, named after the namespace: not left on a shared NATS.
		await deleteStreams([cluster.NAMESPACE], NATS).catch(() => undefined);
	};
	const failed = started.find(result => result.status === "rejected");
	if (failed) {
		await stop();
		throw failed.reason;
	}
	const prepared = await prepare(port).catch(async err => {
		await stop();
		throw err;
	});
	return { port, data: nodes[0], gateway: nodes[1], stop, prepared };
}

/** Signs a company up and follows the mailed link, as its owner would. */
export async function signup(port: number, company: string): Promise<{ email: string; accessToken: string }> {
	const email = `owner-${company.toLowerCase()}-${process.pid}@bench.test`;
	const asked = await send(port, false, "POST", "/api/v1/auth/signup", { company, name: "Bench Owner", email, password: PASSWORD });
	if (asked.status !== 202) throw new Error(`signup failed: ${asked.status} ${asked.body}`);
	const [mail] = await readMailbox(MAIL_DIR, email);
	const token = mail?.link?.split("#token=")[1];
	const reply = await send(port, false, "POST", "/api/v1/auth/activate", { token, password: PASSWORD });
	if (reply.status !== 201) throw new Error(`activation failed: ${reply.status} ${reply.body}`);
	return { email, accessToken: JSON.parse(reply.body).accessToken };
}

export { answers };
