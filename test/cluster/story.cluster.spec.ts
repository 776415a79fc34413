/**
 * The same story on a cluster: a gateway node, a data node and an application node, separate
 * processes over NATS, sharing Redis as the cacher so reports stay fresh across nodes.
 */
import { defineStory } from "../integration/story.suite";
import { type ClusterNode, clusterNamespace, startNode, waitForGateway } from "../support/cluster-system";
import { REDIS_URL, describeWith } from "../support/external";
import { freePort } from "../support/ports";

jest.setTimeout(90_000);

describeWith(["nats", "redis"], "three kinds of node over NATS", () => {
	defineStory("the story, on a cluster", async () => {
		const namespace = clusterNamespace();
		const port = await freePort();
		const env = { CACHER: REDIS_URL, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
		const nodes: ClusterNode[] = [
			startNode(
				"data",
				"data/identity,data/org,data/employees,data/leave,data/recruitment,data/dead-letters,data/notifications,data/shorturl,data/audit,data/imports",
				{ namespace, env }
			),
			startNode("app", "app/onboarding,app/recruiting,app/leave-workflow,app/reports", { namespace, env }),
			startNode("gateway", "gateway/api", { namespace, env: { ...env, PORT: String(port) } })
		];
		const stop = async () => {
			await Promise.all(nodes.map(n => n.stop()));
		};
		const url = `http://127.0.0.1:${port}`;
		try {
			// Ready means every service has a node and a route.
			await waitForGateway(url);
		} catch (err) {
			await stop();
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output()}`).join("\n")}`);
		}
		return { url, stop };
	});
});
