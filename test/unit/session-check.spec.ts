/**
 * The gateway's memory of session checks: it answers from memory only under the tenant's
 * current identity generation, so a bump (what every revocation does) sends the next check to
 * identity again.
 */
import { Cachers, ServiceBroker } from "moleculer";
import { bumpGeneration } from "../../lib/cache-generation";
import type { AuthUser } from "../../lib/meta";
import { SessionCheck } from "../../services/gateway/session-check";

describe("SessionCheck", () => {
	const broker = new ServiceBroker({ logger: false });
	const cacher = new Cachers.Memory();
	cacher.init(broker);
	const claims = { sessionId: "s-1", tenantId: "t-1" };
	const user: AuthUser = { id: "u-1", tenantId: "t-1", roles: ["employee"], employeeId: null, sessionId: "s-1" };

	/** A request context whose calls to identity.session answer `answer()` and are counted. */
	function identity(answer: () => AuthUser | null) {
		const calls: string[] = [];
		const ctx = { call: async (action: string) => (calls.push(action), answer()) };
		return { ctx: ctx as never, calls };
	}

	afterAll(() => cacher.close());

	it("remembers a good session under the tenant's generation, and asks again once it is bumped", async () => {
		await bumpGeneration(cacher, "identity", "t-1");
		let current: AuthUser | null = user;
		const { ctx, calls } = identity(() => current);
		const check = new SessionCheck(cacher);
		expect(await check.user(ctx, claims)).toEqual(user);
		expect(await check.user(ctx, claims)).toEqual(user);
		expect(calls).toEqual(["identity.session"]);

		current = null;
		await bumpGeneration(cacher, "identity", "t-1");
		expect(await check.user(ctx, claims)).toBeNull();
		expect(await check.user(ctx, claims)).toBeNull();
		expect(calls).toHaveLength(3);
	});

	it("never answers from memory for a tenant without a generation, nor without a shared cache", async () => {
		const { ctx, calls } = identity(() => user);
		const noGeneration = new SessionCheck(cacher);
		const other = { sessionId: "s-2", tenantId: "t-without-generation" };
		await noGeneration.user(ctx, other);
		await noGeneration.user(ctx, other);
		const unshared = new SessionCheck(undefined);
		await unshared.user(ctx, claims);
		await unshared.user(ctx, claims);
		expect(calls).toHaveLength(4);
	});

	it("does not answer one tenant's token with a session remembered for another", async () => {
		await bumpGeneration(cacher, "identity", "t-2");
		const { ctx, calls } = identity(() => user);
		const check = new SessionCheck(cacher);
		await check.user(ctx, claims);
		await check.user(ctx, { sessionId: "s-1", tenantId: "t-2" });
		expect(calls).toHaveLength(2);
	});
});
