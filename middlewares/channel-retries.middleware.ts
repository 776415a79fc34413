/**
 * Around every channel handler (the library's `localChannel` hook): a failed delivery waits
 * before it is handed back, longer each time (CHANNEL_RETRY_DELAY, doubled per delivery), so a
 * consumer whose database blinks is not hammered and the retries span seconds, not
 * microseconds; the adapter then delivers it again, or after the last delivery moves it to the
 * dead-letter queue. JetStream and the in-process adapter redeliver a NAKed message at once,
 * so the wait is here, for all of them. Redis Streams tell a handler nothing of earlier
 * deliveries: there the first delay is used each time, and the library claims the message
 * again after CHANNEL_ACK_WAIT.
 *
 * While a delivery runs (and waits), JetStream is told every third of the ack wait that it is
 * still being worked on, so a slow but living consumer keeps its message and only a dead one's
 * goes to another node after CHANNEL_ACK_WAIT.
 */
import type { Middleware, ServiceBroker } from "moleculer";
import type { Channel } from "@moleculer/channels/types/src";
import { envelopeOf } from "../lib/channels/events";

export interface ChannelRetryOptions {
	retryDelayMs: number;
	ackWaitMs: number;
}

/** The longest wait between two deliveries, however many came before. */
const MAX_DELAY_MS = 60_000;

interface RawMessage {
	/** JetStream: deliveries so far. */
	info?: { redeliveryCount?: number };
	/** In-process adapter: the same count. */
	redeliveryCount?: number;
	working?: () => void;
}

/** Which delivery this is (1 for the first), when the adapter says. */
export function deliveryOf(raw: unknown): number | undefined {
	const message = raw as RawMessage | undefined;
	return message?.info?.redeliveryCount ?? message?.redeliveryCount;
}

export function retryDelay(delivery: number | undefined, firstDelayMs: number): number {
	return Math.min(firstDelayMs * 2 ** Math.max(0, (delivery ?? 1) - 1), MAX_DELAY_MS);
}

/** Tells JetStream, until stopped, that the message is being worked on. */
function keepWorking(raw: unknown, ackWaitMs: number): () => void {
	const message = raw as RawMessage | undefined;
	if (typeof message?.working !== "function") return () => undefined;
	const timer = setInterval(() => message.working!(), Math.max(ackWaitMs / 3, 100));
	timer.unref();
	return () => clearInterval(timer);
}

export function ChannelRetriesMiddleware(opts: ChannelRetryOptions): Middleware {
	let broker: ServiceBroker;
	return {
		name: "ChannelRetries",

		created(b: ServiceBroker) {
			broker = b;
		},

		localChannel(next: (payload: unknown, raw: unknown) => Promise<unknown>, chan: Channel) {
			const logger = broker.getLogger("channels");
			return async function retriedChannelHandler(payload: unknown, raw: unknown): Promise<unknown> {
				const stopWorking = keepWorking(raw, opts.ackWaitMs);
				try {
					return await next(payload, raw);
				} catch (err) {
					const delivery = deliveryOf(raw);
					const last = !chan.maxRetries || (delivery !== undefined && delivery >= chan.maxRetries);
					const event = envelopeOf(payload)?.eventId ?? "(no event id)";
					logger.warn(
						`${chan.group} failed on ${chan.name} event ${event}, delivery ${delivery ?? "?"} of ${chan.maxRetries}` +
							`${last ? ": to the dead-letter queue" : ""}: ${(err as Error).message}`
					);
					if (!last) await new Promise(resolve => setTimeout(resolve, retryDelay(delivery, opts.retryDelayMs)));
					throw err;
				} finally {
					stopWorking();
				}
			};
		}
	} as unknown as Middleware;
}
