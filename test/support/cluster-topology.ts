/**
 * The integration suites' system as a real cluster: two data nodes (every data service, one
 * PostgreSQL schema), two application nodes and a gateway, each its own process over NATS,
 * with Redis as the cacher. The suites run on it unchanged (the `cluster-integration` jest
 * project sets ROSTER_TEST_TOPOLOGY=cluster); `broker` is a client node in the same namespace,
 * so calls and event probes cross NATS like everything else.
 */
import { ServiceBroker } from "moleculer";
import { type Config, type RateLimitConfig, config, loadConfig } from "../../lib/config";
import { AppServices, DataServices } from "../../lib/names/services";
import { brokerOptions } from "../../moleculer.config";
import { type ClusterNode, clusterNamespace, startNode, waitFor, waitForGateway } from "./cluster-system";
import { NATS_URL, REDIS_URL } from "./external";
import { freePort } from "./ports";
import { dropSchema, freshSchemaUrl } from "./postgres";

export const clusterTopology = process.env.ROSTER_TEST_TOPOLOGY === "cluster";

/** A test that reaches into one process's services (spies, destroying a service): it has no cluster form. */
export const itInProcess: jest.It = clusterTopology ? it.skip : it;

/** Each limit's variable, and the most lib/config accepts for it. */
const RATE_LIMIT_ENV: Record<keyof RateLimitConfig, [name: string, max: number]> = {
	windowSeconds: ["RATE_LIMIT_WINDOW", 24 * 3600],
	anonymousPoints: ["RATE_LIMIT_ANONYMOUS", 1_000_000],
	userPoints: ["RATE_LIMIT_USER", 1_000_000],
	loginFailsPerAccount: ["LOGIN_MAX_FAILS_PER_ACCOUNT", 1000],
	loginFailsPerIp: ["LOGIN_MAX_FAILS_PER_IP", 100_000],
	loginWindowSeconds: ["LOGIN_FAIL_WINDOW", 7 * 24 * 3600]
};

/**
 * The gateway settings a suite passes in-process, as the environment of a gateway node. A suite
 * that wants limits out of the way passes numbers past what an operator may configure: those
 * become the largest the configuration takes, which no suite comes near.
 */
function gatewayEnv(settings: { roster?: Partial<Config> }): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(settings.roster?.rateLimit ?? {})) {
		const [name, max] = RATE_LIMIT_ENV[key as keyof RateLimitConfig];
		env[name] = String(Math.min(Number(value), max));
	}
	if (settings.roster?.trustProxy !== undefined) env.TRUST_PROXY = String(settings.roster.trustProxy);
	return env;
}

/** Whether `broker` sees each node of the topology with all the services of its kind. */
function everyNodeKnown(broker: ServiceBroker, namespace: string): boolean {
	const list = broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as unknown as Array<{ name: string; nodeID: string }>;
	const serves = (node: string, names: readonly string[]) => names.every(name => list.some(s => s.nodeID === `${node}-${namespace}` && s.name === name));
	return ["data-1", "data-2"].every(n => serves(n, DataServices)) && ["app-1", "app-2"].every(n => serves(n, AppServices));
}

export interface ClusterTopology {
	url: string;
	broker: ServiceBroker;
	nodes: ClusterNode[];
	stop(): Promise<void>;
}

export async function startClusterTopology(settings: { roster?: Partial<Config> } = {}): Promise<ClusterTopology> {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("it");
	const port = await freePort();
	const env = { DATABASE_URL: databaseUrl, CACHER: REDIS_URL, JWT_SECRET: config().jwt.secret, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
	const nodes = [
		startNode("data-1", "data", { namespace, env }),
		startNode("data-2", "data", { namespace, env }),
		startNode("app-1", "app", { namespace, env }),
		startNode("app-2", "app", { namespace, env }),
		startNode("gateway", "gateway/api", { namespace, env: { ...env, ...gatewayEnv(settings), PORT: String(port) } })
	];
	const broker = new ServiceBroker({
		...brokerOptions(loadConfig({ ...process.env, ...env, NAMESPACE: namespace, TRANSPORTER: NATS_URL })),
		nodeID: `test-client-${namespace}`,
		logger: false
	});
	const stop = async () => {
		await broker.stop().catch(() => undefined);
		await Promise.all(nodes.map(n => n.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	};
	const url = `http://127.0.0.1:${port}`;
	try {
		await broker.start();
		// Ready means every service has a node and a route (the gateway's /health/ready); a test
		// that sends calls to a named node also needs this client to know every node's services.
		await waitForGateway(url);
		await waitFor("the test client to know every node's services", async () => everyNodeKnown(broker, namespace));
	} catch (err) {
		await stop();
		throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output()}`).join("\n")}`);
	}
	return { url, broker, nodes, stop };
}

/**
 * Waits until every node knows `service`, a probe a test has just created on `broker`: on a
 * cluster, an event emitted by a node that has not yet heard of the probe never reaches it.
 */
export async function knownEverywhere(broker: ServiceBroker, service: string): Promise<void> {
	await broker.waitForServices([service], 5000, 10);
	if (!clusterTopology) return;
	const registry = broker.registry as unknown as { getNodeList(opts: object): Array<{ id: string; local: boolean }> };
	const others = registry.getNodeList({ onlyAvailable: true, withServices: false }).filter(n => !n.local);
	const knows = async (nodeID: string): Promise<boolean> => {
		const services: Array<{ name: string }> = await broker.call("$node.services", { onlyAvailable: true, skipInternal: true }, { nodeID });
		return services.some(s => s.name === service);
	};
	await Promise.all(others.map(node => waitFor(`${service} known on ${node.id}`, () => knows(node.id), 10_000)));
}

/** Retries an assertion (it may be async) until it holds: events cross NATS after the HTTP answer, not before it. */
export async function eventually(assertion: () => void | Promise<void>, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			await assertion();
			return;
		} catch (err) {
			if (Date.now() > deadline) throw err;
			await new Promise(resolve => setTimeout(resolve, 50));
		}
	}
}
