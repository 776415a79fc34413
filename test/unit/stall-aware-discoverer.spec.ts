/**
 * A node waking from standing still does not declare the others gone before it has read their
 * heartbeats (lib/stall-aware-discoverer.ts); a node that really went silent is still dropped.
 * Two brokers over Moleculer's in-memory Fake transporter; a stall is the event loop held busy.
 */
import { randomUUID } from "node:crypto";
import { ServiceBroker } from "moleculer";
import { STALL_AWARE_DISCOVERER } from "../../lib/stall-aware-discoverer";
import { justStalled } from "../../lib/event-loop-stalls";

function standStill(ms: number): void {
	const end = Date.now() + ms;
	while (Date.now() < end);
}

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function eventually(condition: () => boolean, ms = 5000): Promise<boolean> {
	const end = Date.now() + ms;
	while (!condition() && Date.now() < end) await pause(50);
	return condition();
}

describe("the stall-aware discoverer", () => {
	const namespace = `unit-${randomUUID().slice(0, 8)}`;
	const options = { namespace, transporter: "Fake", logger: false, heartbeatInterval: 1, heartbeatTimeout: 3 } as const;
	const watcher = new ServiceBroker({ ...options, nodeID: "watcher", registry: { discoverer: { type: STALL_AWARE_DISCOVERER, options: {} } } });
	const other = new ServiceBroker({ ...options, nodeID: "other" });
	const discovererOf = (broker: ServiceBroker) =>
		(broker.registry as unknown as { discoverer: { checkRemoteNodes(): void; stopHeartbeatTimers(): void; sendHeartbeat(): Promise<void> } }).discoverer;
	const discoverer = discovererOf(watcher);
	const node = () => watcher.registry.nodes.get("other") as { available: boolean; lastHeartbeatTime: number } | undefined;
	/** As if no heartbeat had come from it for ten seconds. */
	const silenceFor = () => (node()!.lastHeartbeatTime = Math.round(process.uptime()) - 10);

	beforeAll(async () => {
		await Promise.all([watcher.start(), other.start()]);
		expect(await eventually(() => !!node()?.available)).toBe(true);
	});
	afterAll(() => Promise.all([watcher.stop(), other.stop()]));

	it("running normally, drops a node with no heartbeat for longer than the timeout, as Moleculer does", async () => {
		expect(await eventually(() => !justStalled())).toBe(true);
		silenceFor();
		discoverer.checkRemoteNodes();
		expect(node()!.available).toBe(false);
		// Its next heartbeat brings it back.
		expect(await eventually(() => node()!.available)).toBe(true);
	});

	it("waking from a stall, waits for the heartbeats it has not read, and keeps a node that sends them", async () => {
		expect(await eventually(() => !justStalled())).toBe(true);
		standStill(1500);
		silenceFor();
		discoverer.checkRemoteNodes();
		expect(node()!.available).toBe(true);
		await pause(2000);
		expect(node()!.available).toBe(true);
	});

	it("waking from a stall, still drops a node that stays silent, once the heartbeats had time to come", async () => {
		expect(await eventually(() => !justStalled())).toBe(true);
		// Silent from now on: a beat already begun (it measures the CPU first) sends nothing either.
		discovererOf(other).stopHeartbeatTimers();
		discovererOf(other).sendHeartbeat = () => Promise.resolve();
		standStill(1500);
		silenceFor();
		discoverer.checkRemoteNodes();
		expect(node()!.available).toBe(true);
		expect(await eventually(() => !node()!.available, 3000)).toBe(true);
	});
});
