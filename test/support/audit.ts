/** Reading the audit trail over HTTP as an owner or admin, and waiting for records that ride on durable events. */
import request from "supertest";
import type { AuditRecord } from "../../lib/names/audit";
import { bearer } from "./http";

/** Long enough for a busy machine; the records usually land within milliseconds. */
const WAIT_MS = 20_000;

/** The tenant's records `query` selects, newest first (up to 100). */
export async function auditTrail(url: string, as: { accessToken: string }, query: Record<string, string> = {}): Promise<AuditRecord[]> {
	const res = await request(url)
		.get("/api/v1/audit")
		.query({ pageSize: "100", ...query })
		.set(bearer(as.accessToken));
	if (res.status !== 200) throw new Error(`GET /audit failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body.rows;
}

/** Waits until the records `query` selects number at least `count`; answers them (fewer if they never came). */
export async function awaitAuditTrail(url: string, as: { accessToken: string }, query: Record<string, string>, count = 1): Promise<AuditRecord[]> {
	const until = Date.now() + WAIT_MS;
	for (;;) {
		const rows = await auditTrail(url, as, query);
		if (rows.length >= count || Date.now() > until) return rows;
		await new Promise(resolve => setTimeout(resolve, 100));
	}
}
