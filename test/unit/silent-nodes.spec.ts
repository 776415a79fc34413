/**
 * Which nodes a gateway counts as silent (lib/hedging/silent-nodes.ts): a read to it is past its
 * stuck point, the node has answered nothing since, and it does not answer a ping; an answer, or
 * a heartbeat a second after, ends it.
 */
import { SilentNodes } from "../../lib/hedging/silent-nodes";

describe("silent nodes", () => {
	let uptime: number;
	let heartbeats: Map<string, number>;
	/** The pings asked for, each answered (true: a PONG came) when the test says. */
	let pings: Array<{ nodeID: string; answer(pong: boolean): Promise<void> }>;
	let nodes: SilentNodes;
	const T = 1_000_000;
	const settle = () => new Promise<void>(resolve => setImmediate(resolve));

	beforeEach(() => {
		uptime = 100.2;
		heartbeats = new Map([
			["a", 100],
			["b", 100]
		]);
		pings = [];
		nodes = new SilentNodes({
			lastHeartbeat: id => heartbeats.get(id),
			uptime: () => uptime,
			ping: nodeID =>
				new Promise(resolve => {
					pings.push({ nodeID, answer: pong => (resolve(pong), settle()) });
				})
		});
	});

	/** Node `id` with a read stuck since T, and a ping it did not answer. */
	async function frozen(id: string): Promise<void> {
		nodes.sent(id, T);
		expect(nodes.isSilent(id, T)).toBe(false);
		await pings.at(-1)!.answer(false);
		expect(nodes.isSilent(id, T)).toBe(true);
	}

	it("a node whose read is stuck is pinged once, and is silent if no PONG comes", async () => {
		nodes.sent("a", T + 200);
		expect(nodes.isSilent("a", T + 199)).toBe(false);
		expect(pings).toEqual([]);
		expect(nodes.isSilent("a", T + 200)).toBe(false);
		expect(nodes.isSilent("a", T + 210)).toBe(false);
		expect(pings.map(p => p.nodeID)).toEqual(["a"]);
		await pings[0].answer(false);
		expect(nodes.isSilent("a", T + 500)).toBe(true);
		expect(nodes.isSilent("b", T + 500)).toBe(false);
	});

	it("a node that answers the ping is not silent, however long its reads hang (its breaker deals with it)", async () => {
		nodes.sent("a", T);
		nodes.isSilent("a", T);
		await pings[0].answer(true);
		expect(nodes.isSilent("a", T + 1000)).toBe(false);
		// Pinged again only once a read sent after that is stuck.
		expect(pings).toHaveLength(1);
		nodes.sent("a", T + 1300);
		nodes.isSilent("a", T + 1300);
		expect(pings).toHaveLength(2);
	});

	it("an answer while the ping is out ends the suspicion", async () => {
		nodes.sent("a", T);
		nodes.isSilent("a", T);
		nodes.answered("a");
		await pings[0].answer(false);
		expect(nodes.isSilent("a", T + 10)).toBe(false);
	});

	it("the earliest stuck point counts: a slow read sent before a fast one does not hide it", () => {
		nodes.sent("a", T + 5000);
		nodes.sent("a", T + 40);
		nodes.isSilent("a", T + 41);
		expect(pings).toHaveLength(1);
	});

	it("a busy node is not suspected: each answer clears what was sent before it", () => {
		nodes.sent("a", T + 100);
		nodes.answered("a");
		nodes.sent("a", T + 200);
		expect(nodes.isSilent("a", T + 150)).toBe(false);
		expect(pings).toEqual([]);
	});

	it("a late answer ends its silence at once", async () => {
		await frozen("a");
		nodes.answered("a");
		expect(nodes.isSilent("a", T + 300)).toBe(false);
	});

	it("a heartbeat a second after it fell silent ends it; one rounded up from before does not", async () => {
		await frozen("a");
		// Kept as 101 s, it was heard anywhere from 100.5 s on: not surely after the node fell silent at 100.2 s.
		heartbeats.set("a", 101);
		uptime = 101.1;
		expect(nodes.isSilent("a", T + 900)).toBe(true);
		heartbeats.set("a", 102);
		expect(nodes.isSilent("a", T + 1900)).toBe(false);
		// Cleared: it takes a new stuck read, and an unanswered ping, to make it silent again.
		expect(nodes.isSilent("a", T + 5000)).toBe(false);
	});

	it("a node the registry no longer knows is not silent, and one that left is forgotten", async () => {
		await frozen("a");
		heartbeats.delete("a");
		expect(nodes.isSilent("a", T + 10)).toBe(false);
		await frozen("b");
		nodes.forget("b");
		expect(nodes.isSilent("b", T + 10)).toBe(false);
		expect(pings).toHaveLength(2);
	});
});
