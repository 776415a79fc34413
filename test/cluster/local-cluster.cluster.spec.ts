/**
 * `npm run cluster` as an operator uses it: two nodes of every kind on one PostgreSQL database,
 * gateways on the ports given, every node's log streamed with its name, and SIGTERM stopping
 * every node (no process left behind).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { waitFor, waitForGateway } from "../support/cluster-system";
import { describeWith } from "../support/external";
import { deleteStreams } from "../support/jetstream";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";
import { signup } from "../support/http";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "../..");

/** Pids of the processes whose environment names this namespace: the cluster's nodes. */
function nodesOf(namespace: string): number[] {
	return readdirSync("/proc")
		.filter(entry => /^\d+$/.test(entry))
		.filter(pid => {
			try {
				return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`NAMESPACE=${namespace}`);
			} catch {
				return false;
			}
		})
		.map(Number);
}

describeWith(["nats", "redis", "postgres"], "npm run cluster", () => {
	const namespace = `test-local-${process.pid}`;
	const databaseUrl = freshSchemaUrl("lc");
	let script: ChildProcess;
	let log = "";

	afterAll(async () => {
		if (script && script.exitCode === null) script.kill("SIGKILL");
		for (const pid of nodesOf(namespace)) process.kill(pid, "SIGKILL");
		await dropSchema(databaseUrl);
		await deleteStreams([namespace]).catch(() => undefined);
	});

	it("runs two gateways, two realtime, two data and two application nodes, streams their logs, and stops them all on SIGTERM", async () => {
		const ports = [await freePort(), await freePort()];
		const realtimePorts = [await freePort(), await freePort()];
		script = spawn("bash", ["scripts/local-cluster.sh", "--no-build"], {
			cwd: ROOT,
			env: {
				...process.env,
				NAMESPACE: namespace,
				GATEWAY_PORTS: ports.join(" "),
				REALTIME_PORTS: realtimePorts.join(" "),
				DATABASE_URL: databaseUrl,
				LOG_LEVEL: "info"
			},
			stdio: ["ignore", "pipe", "pipe"]
		});
		script.stdout!.on("data", chunk => (log += chunk));
		script.stderr!.on("data", chunk => (log += chunk));
		const exited = new Promise<number | null>(resolve => script.once("exit", code => resolve(code)));

		for (const port of ports) await waitForGateway(`http://127.0.0.1:${port}`);
		for (const port of ports) expect(log).toContain(`gateway on http://127.0.0.1:${port}`);
		// One company made through one gateway signs in through the other: one shared store.
		const owner = await signup(`http://127.0.0.1:${ports[0]}`);
		const login = await fetch(`http://127.0.0.1:${ports[1]}/api/v1/auth/login`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ email: owner.email, password: "Sturdy-Password-42" })
		});
		expect(login.status).toBe(200);
		// Mailed links and short links point at a gateway of this cluster, not at PUBLIC_URL's default port 3000.
		const link = await fetch(`http://127.0.0.1:${ports[1]}/api/v1/short-links`, {
			method: "POST",
			headers: { "content-type": "application/json", authorization: `Bearer ${owner.accessToken}` },
			body: JSON.stringify({ url: "https://example.com/handbook" })
		});
		expect(link.status).toBe(201);
		expect(((await link.json()) as { shortUrl: string }).shortUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ports[0]}/s/\\w{8}$`));
		for (const port of realtimePorts) {
			expect(log).toContain(`realtime on ws://127.0.0.1:${port}/realtime`);
			await waitFor(`realtime node on ${port} to be ready`, async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200);
		}
		for (const name of ["data-1", "data-2", "app-1", "app-2", "gateway-1", "gateway-2", "realtime-1", "realtime-2"]) {
			expect(log).toMatch(new RegExp(`^\\[${name}\\] .*ServiceBroker with \\d+ service\\(s\\) started successfully`, "m"));
		}
		expect(nodesOf(namespace).length).toBeGreaterThanOrEqual(8);

		script.kill("SIGTERM");
		await exited;
		await waitFor("every node to stop", async () => nodesOf(namespace).length === 0, 20_000);
		expect(log).toContain("stopping 8 nodes");
		expect(log).toMatch(/\[data-1\] .*ServiceBroker is stopped/);
	});
});
