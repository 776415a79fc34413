/**
 * A gateway that stops lets its HTTP clients go first. moleculer-web closes its server only in
 * its `stopped` handler, after the broker has waited for every call in flight (the
 * ContextTracker's `stopping` and `serviceStopping` hooks), and new requests keep arriving all
 * that time, so under steady traffic the wait lasts the whole shutdownTimeout. Node's
 * server.close() would not end it either: it leaves a keep-alive connection open for as long
 * as the client keeps using it.
 *
 * So the moment broker.stop() is called (before Moleculer's own hooks, which have no earlier
 * place), every local HTTP server takes no new connection (the load balancer sends the next
 * request to another gateway), closes its idle ones, and answers each request still on an open
 * one with `Connection: close`. Requests in flight finish as before.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Middleware, Service, ServiceBroker } from "moleculer";

/** moleculer-web keeps its server here (none with `server: false`). */
type HttpService = Service & { server?: Server };

function isHttpServer(server: unknown): server is Server {
	return !!server && typeof (server as Server).close === "function" && typeof (server as Server).closeIdleConnections === "function";
}

export function HttpDrainMiddleware(): Middleware {
	const servers = new Set<Server>();
	let draining = false;

	function closeAfterAnswer(_req: IncomingMessage, res: ServerResponse): void {
		if (draining) res.setHeader("Connection", "close");
	}

	function drain(broker: ServiceBroker): void {
		if (draining) return;
		draining = true;
		for (const server of servers) {
			if (!server.listening) continue;
			broker.logger.info("Stopping: no new HTTP connections; requests in flight finish and close theirs.");
			// moleculer-web's stopped() then finds it closed and goes on.
			server.close();
			server.closeIdleConnections();
		}
	}

	return {
		name: "HttpDrain",

		created(broker: ServiceBroker): void {
			const stop = broker.stop.bind(broker);
			broker.stop = function drainThenStop() {
				drain(broker);
				return stop();
			};
		},

		serviceStarted(service: HttpService): void {
			if (!isHttpServer(service.server) || servers.has(service.server)) return;
			servers.add(service.server);
			// Before the gateway's own handler, so the header is set before anything is sent.
			service.server.prependListener("request", closeAfterAnswer);
		},

		// A broker started again (tests do) serves normally again.
		stopped(): void {
			for (const server of servers) server.off("request", closeAfterAnswer);
			servers.clear();
			draining = false;
		}
	} as unknown as Middleware;
}
