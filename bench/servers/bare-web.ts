/** Bare moleculer-web: one route to a local action answering the same small body, no auth, no middlewares of ours. */
import { ServiceBroker } from "moleculer";
import ApiGateway from "moleculer-web";

const broker = new ServiceBroker({ logger: false, metrics: false, tracing: false });
broker.createService({
	name: "people",
	actions: {
		get: { handler: () => ({ id: "00000000-0000-4000-8000-000000000000", name: "Ada Lovelace" }) }
	}
});
broker.createService({
	name: "api",
	mixins: [ApiGateway],
	settings: { port: Number(process.env.PORT), ip: "127.0.0.1", routes: [{ path: "/api", aliases: { "GET people/:id": "people.get" } }] }
});
void broker.start().then(() => process.send?.("ready"));
