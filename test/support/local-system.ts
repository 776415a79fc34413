/**
 * The whole system in one broker, as `npm start` runs it: no transporter, memory cacher, NeDB
 * in memory (or the store DATABASE_URL or MONGO_URI names), every service under services/. The
 * gateway listens on a random port. With ROSTER_TEST_TOPOLOGY=cluster the same suites get a
 * cluster of real processes instead (cluster-topology.ts).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { config, loadConfig } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";
import ApiService from "../../services/gateway/api.service";
import { clusterTopology, startClusterTopology } from "./cluster-topology";

const SERVICES_DIR = path.resolve(__dirname, "../../services");

export interface RunningSystem {
	url: string;
	broker: ServiceBroker;
	stop(): Promise<void>;
}

/** Every service schema except the gateway, which each system creates with its own settings. */
export function domainServices(): ServiceSchema[] {
	const files = readdirSync(SERVICES_DIR, { recursive: true, encoding: "utf8" })
		.filter(file => file.endsWith(".service.ts") && !file.startsWith("gateway"))
		.sort();
	return files.map(file => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const mod = require(path.join(SERVICES_DIR, file));
		return (mod.default ?? mod) as ServiceSchema;
	});
}

/** `env` adds to the environment the broker's options are read from (not the gateway's settings). */
export async function startLocalSystem(gatewaySettings: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<RunningSystem> {
	if (clusterTopology) return startClusterTopology(gatewaySettings);
	const broker = new ServiceBroker({ ...brokerOptions(loadConfig({ ...process.env, ...env, TRANSPORTER: "", CACHER: "" })), logger: false });
	const aliasesReady = new Promise<void>(resolve => {
		broker.createService({ name: "test-aliases-watch", events: { "$api.aliases.regenerated": () => resolve() } });
	});
	for (const schema of domainServices()) broker.createService(schema);
	const api = broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0, ...gatewaySettings } } as ServiceSchema);
	await broker.start();
	await aliasesReady;
	const { port } = (api as unknown as { server: { address(): { port: number } } }).server.address();
	return { url: `http://127.0.0.1:${port}`, broker, stop: () => broker.stop() };
}

/** Generous rate limits: for suites about behaviour; rate-limit.spec.ts is about the limits. */
export function startRoomySystem(): Promise<RunningSystem> {
	const cfg = config();
	return startLocalSystem({ roster: { ...cfg, rateLimit: { ...cfg.rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } } });
}
