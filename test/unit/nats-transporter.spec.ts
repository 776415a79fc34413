/**
 * The cluster's NATS transporter writes what a node sends during one turn of the event loop in
 * one socket write (lib/nats-transporter.ts), and every call still gets its answer. Over the
 * real NATS at 127.0.0.1:4222, on a namespace of this test's own.
 */
import { randomUUID } from "node:crypto";
import { ServiceBroker } from "moleculer";
import { BATCHED_NATS_TRANSPORTER, batchWritesPerTurn } from "../../lib/nats-transporter";
import { NATS_URL, describeWith } from "../support/external";

describe("batchWritesPerTurn", () => {
	it("leaves a client whose internals it does not know as it is", () => {
		expect(batchWritesPerTurn({})).toBe(false);
		expect(batchWritesPerTurn({ protocol: { sendCommand() {}, flushPending() {} } })).toBe(false);
	});
});

describeWith(["nats"], "the BatchedNATS transporter", () => {
	const namespace = `test-writes-${randomUUID().slice(0, 8)}`;
	const broker = (nodeID: string) =>
		new ServiceBroker({ namespace, nodeID, logger: false, transporter: { type: BATCHED_NATS_TRANSPORTER, options: { servers: [NATS_URL] } } });
	const caller = broker("caller");
	const callee = broker("callee");
	callee.createService({ name: "echo", actions: { say: { handler: ctx => ctx.params } } });

	beforeAll(async () => {
		await Promise.all([caller.start(), callee.start()]);
		await caller.waitForServices("echo", 10_000);
	});
	afterAll(() => Promise.all([caller.stop(), callee.stop()]));

	it("sends the requests of many callbacks of one turn in one write, and each gets its own answer", async () => {
		const transport = (caller.transit!.tx as unknown as { client: { protocol: { transport: { send(frame: Uint8Array): void } } } }).client.protocol
			.transport;
		const writes = jest.spyOn(transport, "send");
		// As a gateway's requests arrive: each from a callback of its own (an HTTP socket's data event).
		const answers = await new Promise<Array<Promise<unknown>>>(resolve => {
			const calls: Array<Promise<unknown>> = [];
			for (let i = 0; i < 20; i++) setImmediate(() => calls.push(caller.call("echo.say", { i })));
			setImmediate(() => resolve(calls));
		});
		await new Promise(resolve => setImmediate(resolve));
		// A heartbeat or discovery packet of a turn of its own may leave in a write of its own; the twenty requests leave in one.
		const requestsPerWrite = writes.mock.calls
			.map(
				([frame]) =>
					Buffer.from(frame)
						.toString("latin1")
						.match(/^PUB \S+\.REQB?\./gm)?.length ?? 0
			)
			.filter(count => count > 0);
		writes.mockRestore();
		expect(requestsPerWrite).toEqual([20]);
		expect(await Promise.all(answers)).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
	});
});
