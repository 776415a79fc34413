/** The org tree's hold, taken by a write in another service: it is let go however the write ends, even out of time. */
import { type Context, Errors, ServiceBroker } from "moleculer";
import { whileOrgHeld } from "../../lib/org/tree-hold";

describe("whileOrgHeld", () => {
	const user = { id: "u", tenantId: "t", roles: ["hr"], employeeId: null, sessionId: "s" };

	it("lets the hold go after a write whose caller's time ran out, where a call through its context would be skipped", async () => {
		const broker = new ServiceBroker({ logger: false });
		const released: unknown[] = [];
		broker.createService({
			name: "org",
			actions: {
				holdTree: () => ({ holder: "h-1" }),
				releaseTree: (ctx: Context<{ holder: string }, { user: unknown }>) => void released.push([ctx.params.holder, ctx.meta.user])
			}
		});
		broker.createService({
			name: "writer",
			actions: {
				write: {
					timeout: 100,
					handler: (ctx: Context) =>
						whileOrgHeld(ctx, true, async () => {
							await new Promise(resolve => setTimeout(resolve, 200));
							throw new Error("the write failed late");
						})
				}
			}
		});
		await broker.start();
		try {
			await expect(broker.call("writer.write", {}, { meta: { user } })).rejects.toBeInstanceOf(Errors.RequestTimeoutError);
			await new Promise(resolve => setTimeout(resolve, 300));
			expect(released).toEqual([["h-1", user]]);
		} finally {
			await broker.stop();
		}
	});
});
