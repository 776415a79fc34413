/**
 * A node's PostgreSQL pool under a burst it cannot serve: a query that waits the whole connect
 * timeout for a connection is answered as an overload (503, retryable, Retry-After), not with
 * pg's own words as a 500; and the pool serves again as soon as a connection is free.
 */
import { acquirePool } from "../../lib/store/postgres-pool";
import { describeWith } from "../support/external";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

describeWith(["postgres"], "the node's PostgreSQL pool", () => {
	const url = freshSchemaUrl("pool");
	afterAll(() => dropSchema(url).catch(() => undefined));

	it("answers a query that found no free connection in time with a retryable 503, and serves again once one is free", async () => {
		const lease = await acquirePool({ url, max: 1, connectTimeoutMs: 200 });
		const held = await lease.pool.connect();
		try {
			await expect(lease.pool.query("SELECT 1")).rejects.toMatchObject({ code: 503, type: "SERVICE_BUSY", retryable: true, data: { retryAfter: 1 } });
			await expect(lease.pool.connect()).rejects.toMatchObject({ code: 503, type: "SERVICE_BUSY" });
			// Other errors are the database's own, unchanged.
			held.release();
			await expect(lease.pool.query("SELECT nope")).rejects.toMatchObject({ code: "42703" });
			expect((await lease.pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
		} finally {
			await lease.release();
		}
	});
});
