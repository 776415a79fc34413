/**
 * The whole system in one broker, as `npm start` runs it: no transporter, memory cacher, NeDB
 * in memory (or MongoDB when MONGO_URI is set). The gateway listens on a random port.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { loadConfig } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";
import ApiService from "../../services/gateway/api.service";
import IdentityService from "../../services/data/identity.service";

export interface RunningSystem {
	url: string;
	broker: ServiceBroker;
	stop(): Promise<void>;
}

export async function startLocalSystem(gatewaySettings: Record<string, unknown> = {}): Promise<RunningSystem> {
	const broker = new ServiceBroker({ ...brokerOptions(loadConfig({ ...process.env, TRANSPORTER: "", CACHER: "" })), logger: false });
	const aliasesReady = new Promise<void>(resolve => {
		broker.createService({ name: "test-aliases-watch", events: { "$api.aliases.regenerated": () => resolve() } });
	});
	broker.createService(IdentityService);
	const api = broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0, ...gatewaySettings } } as ServiceSchema);
	await broker.start();
	await aliasesReady;
	const { port } = (api as unknown as { server: { address(): { port: number } } }).server.address();
	return { url: `http://127.0.0.1:${port}`, broker, stop: () => broker.stop() };
}
