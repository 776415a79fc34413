/**
 * The logs and the REPL's node states on a real cluster: a gateway node and an identity node
 * over NATS, both logging JSON at debug, and this test process joining as a REPL node would.
 */
import { ServiceBroker } from "moleculer";
import request from "supertest";
import { loadConfig } from "../../lib/config";
import { type NodeState, gatherNodeStates } from "../../lib/node-state";
import { brokerOptions } from "../../moleculer.config";
import { type TwoNodeSystem, startTwoNodeSystem, waitFor } from "../support/cluster-system";
import { NATS_URL, describeWith } from "../support/external";

jest.setTimeout(60_000);

describeWith(["nats"], "observability across nodes", () => {
	let system: TwoNodeSystem;
	let repl: ServiceBroker;

	beforeAll(async () => {
		system = await startTwoNodeSystem({ env: { LOG_FORMAT: "json", LOG_LEVEL: "debug" } });
		const cfg = loadConfig({ ...process.env, TRANSPORTER: NATS_URL, NAMESPACE: system.namespace, NODE_ID: `repl-${system.namespace}`, CACHER: "" });
		repl = new ServiceBroker({ ...brokerOptions(cfg), logger: false });
		await repl.start();
		await repl.waitForServices(["api", "identity"], 20_000);
	});

	afterAll(async () => {
		await repl?.stop();
		await system?.stop();
	});

	it("the identity node's lines for a request carry the id the gateway was given", async () => {
		const id = `cluster-logs-${Date.now()}`;
		const res = await request(system.url)
			.post("/api/v1/auth/login")
			.set("X-Request-Id", id)
			.send({ email: "nobody@example.test", password: "Not-The-Password-1" });
		expect(res.status).toBe(401);
		const linesOf = (output: string) =>
			output
				.split("\n")
				.filter(l => l.startsWith("{"))
				.map(l => JSON.parse(l) as Record<string, unknown>);
		await waitFor("the identity node to log the login", async () => linesOf(system.identity.output()).some(l => l.requestId === id), 5000);
		const identityLines = linesOf(system.identity.output()).filter(l => l.requestId === id);
		expect(identityLines.every(l => l.nodeID === `identity-${system.namespace}`)).toBe(true);
		await waitFor("the gateway's access line", async () => linesOf(system.gateway.output()).some(l => l.requestId === id && l.route), 5000);
		expect(linesOf(system.gateway.output()).filter(l => l.requestId === id && l.route)).toEqual([
			expect.objectContaining({ method: "POST", route: "/api/v1/auth/login", status: 401 })
		]);
		expect(system.identity.output() + system.gateway.output()).not.toContain("Not-The-Password-1");
	});

	it("every node answers for its breakers and in-flight calls, the asking node included", async () => {
		// Moleculer forgets the state of an endpoint that saw no call for a whole breaker window (4 s): call it now.
		await request(system.url).post("/api/v1/auth/login").send({ email: "nobody@example.test", password: "Not-The-Password-1" }).expect(401);
		const answers = await gatherNodeStates(repl);
		const ids = [`gateway-${system.namespace}`, `identity-${system.namespace}`, `repl-${system.namespace}`];
		expect(answers.map(a => a.nodeID)).toEqual(ids);
		const gateway = answers[0] as NodeState;
		// The gateway called identity.login on the identity node: its breaker knows that endpoint, closed.
		expect(gateway.breakers).toContainEqual(expect.objectContaining({ nodeID: `identity-${system.namespace}`, action: "identity.login", state: "close" }));
		// Nothing in flight but the asking itself: the REPL node awaits the two others' answers.
		expect(answers.map(a => (a as NodeState).inFlight)).toEqual([
			expect.objectContaining({ handling: {}, calling: 0, awaitingReply: 0 }),
			expect.objectContaining({ handling: {}, calling: 0, awaitingReply: 0 }),
			expect.objectContaining({ calling: 2, awaitingReply: 2 })
		]);
	});
});
