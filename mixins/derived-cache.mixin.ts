/**
 * For application services whose results are computed from data services (reports): cache a
 * result under the tenant, the parameters and the current generation of every input service,
 * so a change anywhere in the inputs makes the next read recompute (lib/cache-generation.ts).
 *
 * With `keepLastSeconds`, the last result computed for each tenant and parameters is also kept,
 * whatever changed since, for a fallback to answer with when the inputs cannot be read: in the
 * cacher, so with CACHER=redis any node of the service can answer with it. Never for anything a
 * stale answer could harm (identity's sessions use this mixin without it).
 */
import { createHash } from "node:crypto";
import type { Service, ServiceSchema } from "moleculer";
import { readGenerations } from "../lib/cache-generation";

/** A result as it was last computed. */
export interface LastDerived<T> {
	value: T;
	/** ISO time of the computation. */
	computedAt: string;
}

export interface DerivedCacheMethods {
	cachedDerived<T>(tenantId: string, name: string, params: unknown, compute: () => Promise<T>): Promise<T>;
	/** The last result computed for the tenant and parameters, if kept (`keepLastSeconds`) and still in the cache. */
	lastDerived<T>(tenantId: string, name: string, params: unknown): Promise<LastDerived<T> | null>;
}

const digestOf = (params: unknown) => createHash("sha1").update(JSON.stringify(params ?? null));

export function DerivedCacheMixin(inputs: readonly string[], ttlSeconds = 300, keepLastSeconds?: number): Partial<ServiceSchema> {
	const lastKey = (service: Service, tenantId: string, name: string, params: unknown) =>
		`${service.fullName}.${name}.${tenantId}.last.${digestOf(params).digest("base64url")}`;

	return {
		methods: {
			async cachedDerived<T>(this: Service, tenantId: string, name: string, params: unknown, compute: () => Promise<T>): Promise<T> {
				const cacher = this.broker.cacher;
				if (!cacher) return compute();
				const generations = await readGenerations(cacher, inputs, tenantId);
				const digest = digestOf(params).update(generations).digest("base64url");
				const key = `${this.fullName}.${name}.${tenantId}.${digest}`;
				const hit = (await cacher.get(key)) as T | null;
				if (hit !== null && hit !== undefined) return hit;
				const result = await compute();
				// The result is right either way: a cache that cannot keep it (Redis down) costs the next read a recomputation.
				await cacher.set(key, result, ttlSeconds).catch(() => undefined);
				if (keepLastSeconds) {
					const last: LastDerived<T> = { value: result, computedAt: new Date().toISOString() };
					await cacher.set(lastKey(this, tenantId, name, params), last, keepLastSeconds).catch(() => undefined);
				}
				return result;
			},

			async lastDerived<T>(this: Service, tenantId: string, name: string, params: unknown): Promise<LastDerived<T> | null> {
				const cacher = this.broker.cacher;
				if (!cacher || !keepLastSeconds) return null;
				const last = (await cacher.get(lastKey(this, tenantId, name, params)).catch(() => null)) as LastDerived<T> | null;
				return last ?? null;
			}
		}
	};
}
