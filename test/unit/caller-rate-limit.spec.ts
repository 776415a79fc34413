/**
 * Client-side rate limits in one process: brokers joined by Moleculer's in-memory Fake
 * transporter, with the middlewares of moleculer.config.ts. The target declares how fast each
 * caller may call it; each calling node refuses the calls beyond that before sending them.
 */
import { randomUUID } from "node:crypto";
import { type Context, ServiceBroker } from "moleculer";
import { CallerRateLimitedError } from "../../lib/errors";
import { middlewares } from "../../middlewares";
import { NO_SERVICE_CALLER } from "../../middlewares/caller-rate-limit.middleware";

const LIMIT = { ratePerSecond: 5, burst: 3 };

function broker(namespace: string, nodeID: string): ServiceBroker {
	return new ServiceBroker({
		namespace,
		nodeID,
		transporter: "Fake",
		logger: false,
		middlewares: middlewares({ reads: { attemptTimeout: 1000, retries: 2 } })
	});
}

/** A service whose `hammer` action calls the limited action `times` times at once. */
function caller(name: string) {
	return {
		name,
		actions: {
			hammer: {
				visibility: "public" as const,
				params: { times: "number" },
				handler(ctx: Context<{ times: number }>) {
					return Promise.all(
						Array.from({ length: ctx.params.times }, () =>
							ctx.call("target.read").then(
								() => "ok",
								(err: Error) => err
							)
						)
					);
				}
			}
		}
	};
}

type Outcome = "ok" | Error;

describe("client-side rate limits", () => {
	const namespace = `unit-${randomUUID().slice(0, 8)}`;
	const target = broker(namespace, "target");
	const callers = broker(namespace, "callers");
	const otherNode = broker(namespace, "other");
	let served = 0;

	beforeAll(async () => {
		target.createService({
			name: "target",
			actions: {
				read: { visibility: "public", readOnly: true, callerRateLimit: LIMIT, handler: () => ++served },
				unlimited: { visibility: "public", handler: () => "ok" }
			}
		});
		for (const name of ["runaway", "polite"]) callers.createService(caller(name));
		otherNode.createService(caller("runaway"));
		await Promise.all([target.start(), callers.start(), otherNode.start()]);
		await Promise.all([callers.waitForServices("target"), otherNode.waitForServices("target")]);
	});

	afterAll(() => Promise.all([target.stop(), callers.stop(), otherNode.stop()]));

	const refused = (outcomes: Outcome[]) => outcomes.filter((o): o is Error => o instanceof Error);

	it("a caller beyond the burst is refused at once, before sending; another service and another node are not", async () => {
		served = 0;
		const started = Date.now();
		const [runaway, polite, elsewhere] = (await Promise.all([
			callers.call("runaway.hammer", { times: 12 }),
			callers.call("polite.hammer", { times: 3 }),
			otherNode.call("runaway.hammer", { times: 3 })
		])) as Outcome[][];
		expect(Date.now() - started).toBeLessThan(500);

		expect(runaway.filter(o => o === "ok")).toHaveLength(LIMIT.burst);
		expect(refused(runaway)).toHaveLength(12 - LIMIT.burst);
		for (const err of refused(runaway)) {
			expect(err).toBeInstanceOf(CallerRateLimitedError);
			expect(err).toMatchObject({ code: 429, type: "CALLER_RATE_LIMITED", retryable: true, data: { caller: "runaway", action: "target.read" } });
			expect((err as CallerRateLimitedError).data.retryAfter).toBeGreaterThan(0);
			expect((err as CallerRateLimitedError).data.retryAfter).toBeLessThanOrEqual(1 / LIMIT.ratePerSecond);
		}
		expect(polite).toEqual(["ok", "ok", "ok"]);
		expect(elsewhere).toEqual(["ok", "ok", "ok"]);
		// Refused calls never reached the target.
		expect(served).toBe(LIMIT.burst + 3 + 3);
	});

	it("the refused caller gets through again at the declared rate", async () => {
		await new Promise(resolve => setTimeout(resolve, 1000 / LIMIT.ratePerSecond + 20));
		const [again] = (await callers.call("runaway.hammer", { times: 2 })) as Outcome[];
		expect(again).toBe("ok");
	});

	it("calls made outside any service share a key of their own", async () => {
		const outcomes = await Promise.all(
			Array.from({ length: LIMIT.burst + 2 }, () =>
				callers.call("target.read").then(
					() => "ok" as const,
					(err: Error) => err
				)
			)
		);
		expect(outcomes.filter(o => o === "ok")).toHaveLength(LIMIT.burst);
		expect(refused(outcomes)[0]).toMatchObject({ data: { caller: NO_SERVICE_CALLER } });
	});

	it("an action that declares no limit is never refused", async () => {
		const outcomes = await Promise.all(Array.from({ length: 50 }, () => callers.call("target.unlimited")));
		expect(outcomes.every(o => o === "ok")).toBe(true);
	});
});
