/**
 * Moleculer's NATS transporter, writing to the socket once per turn of the event loop.
 *
 * nats.js (protocol.js, sendCommand) flushes its outbound buffer in a microtask queued by the
 * first message put into an empty buffer. Each HTTP request a gateway reads, and each reply a
 * data node's handler finishes, runs in a callback of its own, so under load every request and
 * every response left in a write syscall of its own: in a profile of the gateway → data node
 * bench, the socket writes of the NATS client were 11 % of the gateway's busy time.
 *
 * Here the first message of an empty buffer schedules the flush with setImmediate instead: the
 * messages of every callback of one I/O phase (the requests of many sockets, the replies of many
 * handlers) leave in one write, a few microseconds later. The client's own limit still flushes
 * at once when the buffer grows past it. Where the client's internals are not as expected (a
 * nats.js update), the transporter says so once and leaves the client as it is:
 * test/unit/nats-transporter.spec.ts fails then too.
 */
import { Transporters } from "moleculer";

/** The parts of nats.js's ProtocolHandler this relies on (nats 2.x, lib/nats-base-client/protocol.js). */
interface ProtocolHandler {
	outbound: { length(): number; size(): number; fill(buf: Uint8Array, ...payloads: Uint8Array[]): void };
	pendingLimit: number;
	flushPending(): void;
	sendCommand(cmd: string | Uint8Array, ...payloads: Uint8Array[]): void;
}

const encoder = new TextEncoder();

function isProtocolHandler(value: unknown): value is ProtocolHandler {
	const p = value as Partial<ProtocolHandler> | undefined;
	return (
		typeof p?.sendCommand === "function" &&
		typeof p.flushPending === "function" &&
		typeof p.pendingLimit === "number" &&
		typeof p.outbound?.length === "function" &&
		typeof p.outbound.size === "function" &&
		typeof p.outbound.fill === "function"
	);
}

/** Makes `client`'s writes wait for the end of the loop's turn; false when its internals are not the expected ones. */
export function batchWritesPerTurn(client: unknown): boolean {
	const protocol = (client as { protocol?: unknown } | undefined)?.protocol;
	if (!isProtocolHandler(protocol)) return false;
	protocol.sendCommand = function (this: ProtocolHandler, cmd, ...payloads) {
		const wasEmpty = this.outbound.length() === 0;
		this.outbound.fill(typeof cmd === "string" ? encoder.encode(cmd) : cmd, ...payloads);
		if (wasEmpty) setImmediate(() => this.flushPending());
		else if (this.outbound.size() >= this.pendingLimit) this.flushPending();
	};
	return true;
}

/** The name moleculer.config.ts gives as the transporter's `type` (registered below). */
export const BATCHED_NATS_TRANSPORTER = "BatchedNATS";

export class BatchedNatsTransporter extends Transporters.NATS {
	override async connect(): Promise<void> {
		await super.connect();
		if (!batchWritesPerTurn((this as unknown as { client: unknown }).client)) {
			(this as unknown as { logger: { warn(message: string): void } }).logger.warn(
				"The NATS client's internals changed (lib/nats-transporter.ts): it writes once per message, as nats.js does by default."
			);
		}
	}
}

// As for the cacher (lib/redis-cacher.ts): named by `type`, so MOL_TRANSPORTER__OPTIONS__* still apply.
(Transporters as unknown as { register(name: string, transporter: unknown): void }).register(BATCHED_NATS_TRANSPORTER, BatchedNatsTransporter);
