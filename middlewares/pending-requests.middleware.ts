/**
 * Keeps the transit's pending requests (a Map in Moleculer's transit.js) in a DictionaryMap
 * (lib/dictionary-map.ts says why), on every node with a transporter: a gateway sends most remote
 * calls, but every node sends some.
 */
import type { Middleware, ServiceBroker } from "moleculer";
import { DictionaryMap } from "../lib/dictionary-map";

export function PendingRequestsMiddleware(): Middleware {
	return {
		name: "PendingRequests",

		// The broker creates its transit before it calls `created`, and nothing is pending yet.
		created(broker: ServiceBroker) {
			const transit = broker.transit as unknown as { pendingRequests?: unknown } | undefined;
			if (transit?.pendingRequests instanceof Map) transit.pendingRequests = new DictionaryMap();
		}
	} as unknown as Middleware;
}
