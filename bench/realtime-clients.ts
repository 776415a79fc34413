/**
 * A child of bench/realtime.ts: holds COUNT WebSocket clients of one realtime node and measures,
 * at each client, how long a broadcast took to arrive (its `sentAt` to the moment the message
 * event fires here). Talks to its parent over IPC:
 *   → { type: "connected", open, failed }        once every client connected (or gave up)
 *   → { type: "round", round, latencies, missing } when every client got round `round`, or after ROUND_TIMEOUT_MS
 *   ← { type: "expect", round }                   the parent is about to broadcast round `round`
 *   → { type: "expecting", round }                the clients count round `round` from now on
 *   ← { type: "close" }                           close every client and exit
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

const URL_ = process.env.RT_URL!;
const TOKEN = process.env.RT_TOKEN!;
const COUNT = Number(process.env.RT_COUNT);
/** Connects in flight at once: a handshake each costs the node a session check. */
const CONNECT_CONCURRENCY = 200;
const ROUND_TIMEOUT_MS = 15_000;

const now = () => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
let current: { round: number; latencies: number[]; timer: NodeJS.Timeout } | undefined;

function finishRound(): void {
	if (!current) return;
	clearTimeout(current.timer);
	process.send!({ type: "round", round: current.round, latencies: current.latencies, missing: COUNT - current.latencies.length });
	current = undefined;
}

function onMessage(data: WebSocket.RawData): void {
	const at = now();
	const message = JSON.parse(data.toString()) as { type: string; round?: number; sentAt?: number };
	if (message.type !== "bench" || !current || message.round !== current.round) return;
	current.latencies.push(at - message.sentAt!);
	if (current.latencies.length === sockets.length) finishRound();
}

function open(): Promise<boolean> {
	return new Promise(resolve => {
		const ws = new WebSocket(URL_, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
		ws.once("message", data => {
			const first = JSON.parse(data.toString()) as { type: string };
			if (first.type !== "welcome") return resolve(false);
			sockets.push(ws);
			ws.on("message", onMessage);
			resolve(true);
		});
		ws.once("close", () => resolve(false));
		ws.on("error", () => resolve(false));
	});
}

async function connectAll(): Promise<void> {
	let next = 0;
	let failed = 0;
	const worker = async () => {
		while (next < COUNT) {
			next++;
			if (!(await open())) failed++;
		}
	};
	await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
	process.send!({ type: "connected", open: sockets.length, failed });
}

process.on("message", (msg: { type: string; round?: number }) => {
	if (msg.type === "expect") {
		current = { round: msg.round!, latencies: [], timer: setTimeout(finishRound, ROUND_TIMEOUT_MS) };
		process.send!({ type: "expecting", round: msg.round });
	} else if (msg.type === "close") {
		for (const ws of sockets) ws.terminate();
		process.exit(0);
	}
});

void connectAll();
