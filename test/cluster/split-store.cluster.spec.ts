/**
 * Two nodes of a data service must share one store. On NeDB each node's data lives in its own
 * process: the second node must not silently join, splitting the data; it reports not ready,
 * naming the other node and what to set. On PostgreSQL the same pair is ready.
 */
import { type ClusterNode, clusterNamespace, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { describeWith } from "../support/external";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

jest.setTimeout(90_000);

describeWith(["nats", "postgres"], "two nodes of a data service", () => {
	let nodes: ClusterNode[] = [];
	afterEach(async () => {
		await Promise.all(nodes.map(n => n.stop()));
		nodes = [];
	});

	async function pair(env: Record<string, string>): Promise<string> {
		const namespace = clusterNamespace();
		const port = await freePort();
		const common = { ...env, READY_SERVICES: "identity" };
		nodes = [
			startNode("gateway", "gateway/api", { namespace, env: { ...common, PORT: String(port) } }),
			startNode("identity-1", "data/identity", { namespace, env: common }),
			startNode("identity-2", "data/identity", { namespace, env: common })
		];
		return `http://127.0.0.1:${port}`;
	}

	it("on NeDB: not ready, and /health/ready names the split and the fix", async () => {
		const url = await pair({ DATABASE_URL: "", MONGO_URI: "" });
		let body = "";
		await waitFor("readiness to name the split store", async () => {
			const res = await fetch(`${url}/health/ready`);
			body = await res.text();
			return res.status === 503 && body.includes("DATABASE_URL") && body.includes("identity-");
		});
		expect(body).toMatch(/identity keeps its data in this node's nedb, and node identity-\d-\S+ runs identity too/);
		expect(nodes.map(n => n.output()).join("\n")).not.toMatch(/FATAL|Unhandled/);
	});

	it("on one PostgreSQL database: ready", async () => {
		const databaseUrl = freshSchemaUrl("split");
		try {
			const url = await pair({ DATABASE_URL: databaseUrl });
			await waitForGateway(url);
			const ready = (await (await fetch(`${url}/health/ready`)).json()) as { status: string };
			expect(ready.status).not.toBe("unavailable");
		} finally {
			await Promise.all(nodes.map(n => n.stop()));
			nodes = [];
			await dropSchema(databaseUrl);
		}
	});
});
