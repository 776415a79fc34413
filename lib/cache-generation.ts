/**
 * Derived results (reports) are cached under keys that carry the "generation" of every input
 * they read. A data service bumps its generation for the tenant before a write returns, so the
 * very next read computes a fresh key: no event has to arrive first, and nothing is ever served
 * stale after a change returns. With CACHER=redis the generations are shared by the cluster.
 */
import { randomUUID } from "node:crypto";
import type { Cacher } from "moleculer";

const key = (service: string, tenantId: string) => `gen.${service}.${tenantId}`;

/** Generations outlive the results built on them; a lost one only costs a recomputation. */
const GENERATION_TTL_SECONDS = 7 * 24 * 3600;

export async function bumpGeneration(cacher: Cacher | undefined, service: string, tenantId: string | undefined): Promise<void> {
	if (!cacher || !tenantId) return;
	await cacher.set(key(service, tenantId), randomUUID(), GENERATION_TTL_SECONDS);
}

/** The generations of `services` for the tenant, as one string for a cache key. */
export async function readGenerations(cacher: Cacher, services: readonly string[], tenantId: string): Promise<string> {
	const values = await Promise.all(services.map(s => cacher.get(key(s, tenantId))));
	return values.map(v => (typeof v === "string" ? v : "0")).join(",");
}
