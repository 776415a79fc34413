/**
 * For application services whose results are computed from data services (reports): cache a
 * result under the tenant, the parameters and the current generation of every input service,
 * so a change anywhere in the inputs makes the next read recompute (lib/cache-generation.ts).
 */
import { createHash } from "node:crypto";
import type { Service, ServiceSchema } from "moleculer";
import { readGenerations } from "../lib/cache-generation";

export interface DerivedCacheMethods {
	cachedDerived<T>(tenantId: string, name: string, params: unknown, compute: () => Promise<T>): Promise<T>;
}

export function DerivedCacheMixin(inputs: readonly string[], ttlSeconds = 300): Partial<ServiceSchema> {
	return {
		methods: {
			async cachedDerived<T>(this: Service, tenantId: string, name: string, params: unknown, compute: () => Promise<T>): Promise<T> {
				const cacher = this.broker.cacher;
				if (!cacher) return compute();
				const generations = await readGenerations(cacher, inputs, tenantId);
				const digest = createHash("sha1").update(JSON.stringify(params ?? null)).update(generations).digest("base64url");
				const key = `${this.fullName}.${name}.${tenantId}.${digest}`;
				const hit = (await cacher.get(key)) as T | null;
				if (hit !== null && hit !== undefined) return hit;
				const result = await compute();
				// The result is right either way: a cache that cannot keep it (Redis down) costs the next read a recomputation.
				await cacher.set(key, result, ttlSeconds).catch(() => undefined);
				return result;
			}
		}
	};
}
