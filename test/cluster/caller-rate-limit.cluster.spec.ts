/**
 * Client-side rate limits across nodes over a real NATS (the shared one, in a namespace of this
 * suite's own): brokers in this process, each with the middlewares of moleculer.config.ts, two
 * of them real gateways (services/gateway/api.service.ts). A data-like node serves an action
 * that lets each caller 3 calls at once and 2 a second; a runaway caller is refused at once,
 * before its calls are sent (429 with Retry-After through a gateway), while another service on
 * its node and another gateway, calling the same action at the same time, are served.
 */
import { type Context, ServiceBroker, type ServiceSchema } from "moleculer";
import request from "supertest";
import { loadConfig } from "../../lib/config";
import { CallerRateLimitedError } from "../../lib/errors";
import { brokerOptions } from "../../moleculer.config";
import ApiService from "../../services/gateway/api.service";
import { clusterNamespace, waitFor } from "../support/cluster-system";
import { NATS_URL, describeWith } from "../support/external";

jest.setTimeout(60_000);

const LIMIT = { ratePerSecond: 2, burst: 3 };

describeWith(["nats"], "client-side rate limits between nodes", () => {
	const namespace = clusterNamespace();
	/** Calls the limited action served, by calling node and service ("gateway-1:api"). */
	const served = new Map<string, number>();
	const brokers: ServiceBroker[] = [];
	const gateways: string[] = [];

	function node(name: string): ServiceBroker {
		const env = { ...process.env, TRANSPORTER: NATS_URL, NAMESPACE: namespace, NODE_ID: name, CACHER: "", LOG_LEVEL: "warn" };
		const broker = new ServiceBroker({ ...brokerOptions(loadConfig(env)), logger: false });
		brokers.push(broker);
		return broker;
	}

	/** A service whose `hammer` action calls the limited action `times` times at once. */
	const callerService = (name: string): ServiceSchema => ({
		name,
		actions: {
			hammer: {
				visibility: "public",
				params: { times: "number" },
				handler: (ctx: Context<{ times: number }>) =>
					Promise.all(
						Array.from({ length: ctx.params.times }, () =>
							ctx.call("limited.read").then(
								() => "ok",
								(err: Error) => err
							)
						)
					)
			}
		}
	});

	beforeAll(async () => {
		const target = node(`target-${namespace}`);
		target.createService({
			name: "limited",
			settings: { rest: "/limited" },
			actions: {
				read: {
					rest: "GET /",
					auth: false,
					callerRateLimit: LIMIT,
					handler(ctx: Context) {
						const key = `${ctx.nodeID}:${ctx.caller}`;
						served.set(key, (served.get(key) ?? 0) + 1);
						return { ok: true };
					}
				}
			}
		});
		const callers = node(`callers-${namespace}`);
		for (const name of ["runaway", "polite"]) callers.createService(callerService(name));
		for (const i of [1, 2]) {
			const gateway = node(`gateway-${i}-${namespace}`);
			gateway.createService({ name: "api", mixins: [ApiService], settings: { port: 0 } } as ServiceSchema);
		}
		await Promise.all(brokers.map(b => b.start()));
		for (const broker of brokers.slice(2)) {
			const api = broker.getLocalService("api") as unknown as { server: { address(): { port: number } } };
			gateways.push(`http://127.0.0.1:${api.server.address().port}`);
		}
		// Each gateway routes to the action once it has heard of it; then every bucket refills.
		for (const url of gateways) await waitFor(`${url} to route to limited.read`, async () => (await request(url).get("/api/v1/limited")).status === 200);
		await new Promise(resolve => setTimeout(resolve, (1000 * LIMIT.burst) / LIMIT.ratePerSecond + 100));
		served.clear();
	});

	afterAll(() => Promise.all(brokers.map(b => b.stop())));

	it("a caller over the limit is refused fast, with a retryable error; other callers of the action at the same time are served", async () => {
		const callers = brokers[1];
		const get = (url: string) => request(url).get("/api/v1/limited");
		const started = Date.now();
		const [runaway, polite, viaFirst, viaSecond] = await Promise.all([
			callers.call("runaway.hammer", { times: 8 }) as Promise<Array<"ok" | Error>>,
			callers.call("polite.hammer", { times: 3 }) as Promise<Array<"ok" | Error>>,
			Promise.all(Array.from({ length: 8 }, () => get(gateways[0]))),
			Promise.all(Array.from({ length: 3 }, () => get(gateways[1])))
		]);
		const tookMs = Date.now() - started;

		// The runaway service: its burst served, the rest refused on its own node with the retryable error.
		expect(runaway.filter(o => o === "ok")).toHaveLength(LIMIT.burst);
		const refusals = runaway.filter((o): o is CallerRateLimitedError => o instanceof Error);
		expect(refusals).toHaveLength(8 - LIMIT.burst);
		for (const err of refusals) {
			expect(err).toBeInstanceOf(CallerRateLimitedError);
			expect(err).toMatchObject({ code: 429, type: "CALLER_RATE_LIMITED", retryable: true, data: { caller: "runaway", action: "limited.read" } });
		}
		// Another service of the same node, at the same time: its bucket is its own.
		expect(polite).toEqual(["ok", "ok", "ok"]);

		// Through the first gateway: its burst answered, the rest 429 with Retry-After, naming no service.
		expect(viaFirst.filter(r => r.status === 200)).toHaveLength(LIMIT.burst);
		const limited = viaFirst.filter(r => r.status === 429);
		expect(limited).toHaveLength(8 - LIMIT.burst);
		for (const res of limited) {
			expect(res.body).toMatchObject({ code: 429, type: "CALLER_RATE_LIMITED", data: { retryAfter: 1 } });
			expect(res.headers["retry-after"]).toBe("1");
			expect(JSON.stringify(res.body)).not.toContain("limited.read");
		}
		// The other gateway is another calling node: its bucket is its own too.
		expect(viaSecond.map(r => r.status)).toEqual([200, 200, 200]);

		// Refused calls were never sent: the action served exactly the calls let through.
		expect(Object.fromEntries(served)).toEqual({
			[`callers-${namespace}:runaway`]: LIMIT.burst,
			[`callers-${namespace}:polite`]: 3,
			[`gateway-1-${namespace}:api`]: LIMIT.burst,
			[`gateway-2-${namespace}:api`]: 3
		});
		// Nothing waited on the refusals: the whole burst of 22 calls took no longer than a few round trips.
		expect(tookMs).toBeLessThan(2000);
	});

	it("a refused caller is served again once its bucket has refilled at the declared rate", async () => {
		await new Promise(resolve => setTimeout(resolve, 1000 / LIMIT.ratePerSecond + 50));
		expect((await request(gateways[0]).get("/api/v1/limited")).status).toBe(200);
		expect(await brokers[1].call("runaway.hammer", { times: 1 })).toEqual(["ok"]);
	});
});
