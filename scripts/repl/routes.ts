/**
 * The REPL's `routes`: the gateway's REST routes as it has generated them (asked of a gateway
 * node, wherever it runs), and the nodes that serve each route's action now.
 */
import type { ServiceBroker } from "moleculer";

/** One alias as moleculer-web's api.listAliases answers it. */
export interface GatewayAlias {
	actionName: string | null;
	fullPath: string;
	methods: string;
}

interface ListedAction {
	name: string;
	endpoints?: Array<{ nodeID: string; available: boolean }>;
}

/** The nodes with a live endpoint of each action, as this node's registry knows them. */
export function actionNodes(broker: ServiceBroker): Map<string, string[]> {
	const actions = broker.registry.getActionList({ withEndpoints: true }) as unknown as ListedAction[];
	return new Map(
		actions.map(a => [
			a.name,
			(a.endpoints ?? [])
				.filter(e => e.available)
				.map(e => e.nodeID)
				.sort()
		])
	);
}

/** One line per route: method, path, action, the nodes serving it (none: the route answers 503). */
export function describeRoutes(aliases: GatewayAlias[], nodes: Map<string, string[]>): string {
	const rows = aliases
		.filter(a => a.actionName)
		.map(a => ({ method: a.methods, path: a.fullPath, action: a.actionName!, served: nodes.get(a.actionName!) ?? [] }))
		.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
	const pathWidth = Math.max(0, ...rows.map(r => r.path.length));
	const actionWidth = Math.max(0, ...rows.map(r => r.action.length));
	return rows
		.map(
			r =>
				`${r.method.padEnd(6)} ${r.path.padEnd(pathWidth)}  ${r.action.padEnd(actionWidth)}  ${r.served.length ? r.served.join(", ") : "NO NODE (503)"}`
		)
		.join("\n");
}

export async function routesCommand(broker: ServiceBroker): Promise<string> {
	const gateways = actionNodes(broker).get("api.listAliases") ?? [];
	if (gateways.length === 0) return "No gateway (the api service) is running.";
	const aliases = await broker.call<GatewayAlias[], object>("api.listAliases", {});
	return `${describeRoutes(aliases, actionNodes(broker))}\n(${aliases.length} routes, as the gateway on ${gateways.join(", ")} has them)`;
}
