/**
 * A request that passed the gateway's session check just before something took the caller's
 * powers away (their termination, say): the route's action is called as the gateway would call
 * it, with the caller the gateway had seen, so the services' own checks are what answer.
 */
import type { ServiceBroker } from "moleculer";
import type { ActionAuth, AuthUser } from "../../lib/meta";

interface Alias {
	actionName: string;
	fullPath: string;
	methods: string;
}

export interface StaleAnswer {
	status: number;
	/** A list page, or an error's type. */
	body: { rows?: Array<{ id: string }>; total?: number; type?: string };
}

export type StaleRequest = (method: string, path: string, body?: Record<string, unknown>) => Promise<StaleAnswer>;

/** `path` as a client sends it (under /api/v1, with a query string for GETs). */
export async function staleSession(broker: ServiceBroker, user: AuthUser): Promise<StaleRequest> {
	const aliases = await broker.call<Alias[], object>("api.listAliases", {});
	return async (method, path, body = {}) => {
		const [pathname, query = ""] = `/api/v1${path}`.split("?");
		for (const alias of aliases) {
			if (alias.methods !== method.toUpperCase()) continue;
			const names: string[] = [];
			const pattern = new RegExp(`^${alias.fullPath.replace(/:(\w+)/g, (_, name: string) => (names.push(name), "([^/]+)"))}$`);
			const match = pattern.exec(pathname);
			if (!match) continue;
			const params: Record<string, unknown> = { ...Object.fromEntries(new URLSearchParams(query)), ...body };
			names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1])));
			// The gateway's own check of the roles an action declares (api.service.ts authorize).
			const definition = broker.registry.getActionList({ onlyAvailable: true }).find(a => a.name === alias.actionName)?.action as
				{ auth?: ActionAuth } | undefined;
			const roles = definition?.auth ? definition.auth.roles : undefined;
			if (roles && !user.roles.some(role => roles.includes(role))) return { status: 403, body: { type: "FORBIDDEN" } };
			try {
				return { status: 200, body: await broker.call(alias.actionName, params, { meta: { user } }) };
			} catch (err) {
				const e = err as { code?: number; type?: string };
				return { status: e.code ?? 500, body: { type: e.type } };
			}
		}
		throw new Error(`No route for ${method} ${path}`);
	};
}
