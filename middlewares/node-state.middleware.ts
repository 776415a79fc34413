/**
 * Gives every node the action that reports its breakers and in-flight calls (lib/node-state),
 * whatever services it runs: a middleware, because moleculer-runner's SERVICES chooses the
 * service files and a REPL-only node loads none. Its name starts with `$`, like `$node`, so
 * service lists and readiness leave it out, and it publishes no route.
 */
import type { Context, Middleware, ServiceBroker } from "moleculer";
import { NodeStateActions, type NodeState, nodeState } from "../lib/node-state";

export function NodeStateMiddleware(): Middleware {
	const [name, action] = NodeStateActions.state.split(".");
	return {
		name: "NodeState",

		created(broker: ServiceBroker) {
			broker.createService({
				name,
				actions: {
					[action]: {
						visibility: "public",
						handler: (ctx: Context): NodeState => nodeState(broker, ctx)
					}
				}
			});
		}
	} as unknown as Middleware;
}
