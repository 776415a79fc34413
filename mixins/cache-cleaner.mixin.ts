/**
 * Cleans this node's cached results of a service whenever any node says that service's
 * entities changed (moleculer-db broadcasts `cache.clean.<service>`). With the memory cacher
 * every node keeps its own cache, so the broadcast is what keeps a cluster consistent.
 */
import type { Service, ServiceSchema } from "moleculer";

export function CacheCleanerMixin(serviceNames: string[]): Partial<ServiceSchema> {
	const events: NonNullable<ServiceSchema["events"]> = {};
	for (const name of serviceNames) {
		events[`cache.clean.${name}`] = {
			async handler(this: Service) {
				// A report built from another service's data is cached under this service's own name.
				await this.broker.cacher?.clean(`${this.fullName}.**`);
			}
		};
	}
	return { events };
}
