/**
 * Gives every read-only action that declares no `timeout` the read timeout (lib/action-timeouts),
 * on the schema itself, before the service is created: Moleculer's Timeout middleware reads it
 * there, and so does every other node, since an action's schema travels in the INFO packet. An
 * action that declares its own, `timeout: 0` included (moleculer-web's api.rest), keeps it; any
 * other action gets the broker's requestTimeout, the write timeout.
 */
import type { ActionSchema, Middleware, ServiceSchema } from "moleculer";
import { isReadOnly } from "./read-retry.middleware";

export function ActionTimeoutsMiddleware(readTimeout: number): Middleware {
	return {
		name: "ActionTimeouts",

		serviceCreating(_service: unknown, schema: ServiceSchema) {
			for (const action of Object.values(schema.actions ?? {})) {
				if (!action || typeof action !== "object") continue;
				const def = action as ActionSchema;
				if (def.timeout === undefined && isReadOnly(def)) def.timeout = readTimeout;
			}
		}
	} as unknown as Middleware;
}
