/**
 * A write while the Redis cache does not answer: it is stored, so it answers as stored (not a
 * 500 the client would retry into a duplicate), and once Redis answers again no result cached
 * before the write is served. A Redis of this test's own, frozen with SIGSTOP (data kept).
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { loadConfig } from "../../lib/config";
import { RESILIENT_REDIS_CACHER } from "../../lib/redis-cacher";
import { type DbService, DbMixin } from "../../mixins/db.mixin";
import { waitFor } from "../support/cluster-system";
import { type RedisServer, describeWithRedisServer, freePort, startRedisServer } from "../support/redis-server";

jest.setTimeout(30_000);

describeWithRedisServer("writes during a Redis cache outage", () => {
	let redis: RedisServer;
	let broker: ServiceBroker;
	const meta = { user: { id: "u1", tenantId: "t1", roles: ["owner"], employeeId: null, sessionId: "s" } };

	beforeAll(async () => {
		redis = await startRedisServer(await freePort());
		broker = new ServiceBroker({
			logger: false,
			namespace: `outage-${process.pid}`,
			cacher: { type: RESILIENT_REDIS_CACHER, options: { prefix: `outage-${process.pid}`, ttl: 300, redis: redis.url } }
		});
		broker.createService({
			name: "things",
			mixins: [DbMixin("things", { name: `outage_things_${process.pid}` }, [], { config: loadConfig({ NODE_ENV: "test" }) })],
			actions: {
				count: {
					cache: { keys: ["#user.tenantId"] },
					handler(this: DbService) {
						return this.adapter.count({ query: { tenantId: "t1" } });
					}
				},
				add: {
					async handler(this: DbService, ctx) {
						const doc = { _id: this.newId(), tenantId: "t1" };
						await this.adapter.insert(doc);
						return this.saved(ctx, "created", doc);
					}
				}
			}
		} as ServiceSchema);
		await broker.start();
	});

	afterAll(async () => {
		redis?.resume();
		await broker?.stop();
		await redis?.kill();
	});

	it("stores and answers the write, and serves nothing cached before it once Redis is back", async () => {
		expect(await broker.call("things.count", {}, { meta })).toBe(0);
		expect(await broker.call("things.count", {}, { meta })).toBe(0); // now cached in Redis

		redis.stall();
		await expect(broker.call("things.add", {}, { meta })).resolves.toMatchObject({ tenantId: "t1" });
		// While Redis is frozen every read is a miss: fresh from the store.
		expect(await broker.call("things.count", {}, { meta })).toBe(1);

		redis.resume();
		// Redis answers again; the entry cached before the write (0) must be gone.
		await waitFor("the cache to answer again", async () => (await broker.cacher!.set("probe", 1, 5), true));
		await waitFor("a fresh count from the cache", async () => (await broker.call("things.count", {}, { meta })) === 1, 5000);
		expect(await broker.call("things.count", {}, { meta })).toBe(1);
	});
});
