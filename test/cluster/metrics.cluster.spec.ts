/**
 * METRICS_PORT on real processes over NATS: each node answers on its own metrics port with its
 * own node id, the gateway counts HTTP by route and status, and the data node counts the calls
 * it served for the gateway.
 */
import { HttpMetricNames } from "../../services/gateway/http-metrics";
import { type ClusterNode, clusterNamespace, startNode, waitForGateway } from "../support/cluster-system";
import { describeWith } from "../support/external";
import { type Sample, scrape, valueOf } from "../support/metrics";
import { freePort } from "../support/ports";

jest.setTimeout(60_000);

const REQUESTS = HttpMetricNames.requests.replace(/\./g, "_");

describeWith(["nats"], "metrics on a cluster", () => {
	const namespace = clusterNamespace();
	const nodes: ClusterNode[] = [];
	let url: string;
	let gatewayMetrics: number;
	let dataMetrics: number;

	beforeAll(async () => {
		const port = await freePort();
		gatewayMetrics = await freePort();
		dataMetrics = await freePort();
		url = `http://127.0.0.1:${port}`;
		nodes.push(startNode("data", "data/identity", { namespace, env: { METRICS_PORT: String(dataMetrics) } }));
		nodes.push(
			startNode("gateway", "gateway/api", { namespace, env: { PORT: String(port), READY_SERVICES: "identity", METRICS_PORT: String(gatewayMetrics) } })
		);
		try {
			await waitForGateway(url);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output()}`).join("\n")}`);
		}
	});

	afterAll(() => Promise.all(nodes.map(n => n.stop())));

	const login = () =>
		fetch(`${url}/api/v1/auth/login`, {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ email: "nobody@example.test", password: "Not-the-password-1" })
		});

	it("each node answers on its own port, every series with its own node id", async () => {
		for (let i = 0; i < 2; i++) expect((await login()).status).toBe(401);

		const gateway = await scrape(gatewayMetrics);
		const data = await scrape(dataMetrics);
		const nodeIds = (samples: Sample[]) => new Set(samples.map(s => s.labels.nodeID));
		expect(nodeIds(gateway.samples)).toEqual(new Set([`gateway-${namespace}`]));
		expect(nodeIds(data.samples)).toEqual(new Set([`data-${namespace}`]));

		// HTTP is counted where it arrives, the call where it ran.
		expect(valueOf(gateway.samples, REQUESTS, { method: "POST", route: "/api/v1/auth/login", status: "401" })).toBe(2);
		expect(data.samples.filter(s => s.name === REQUESTS)).toEqual([]);
		expect(valueOf(data.samples, "moleculer_request_total", { action: "identity.login", caller: "api" })).toBe(2);
		expect(valueOf(data.samples, "moleculer_request_error_total", { action: "identity.login", errorCode: "401" })).toBe(2);
	});

	it("the API's port does not serve the scrape", async () => {
		expect((await fetch(`${url}/metrics`)).status).toBe(404);
	});
});
