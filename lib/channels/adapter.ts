/**
 * The one place that picks the channel adapter from the configuration: JetStream for NATS,
 * Redis Streams for a Redis URL, the in-process queue otherwise. Streams, consumer groups and
 * the dead-letter queue are named after the namespace (the library's prefix), so two
 * namespaces on one NATS or Redis never share an event.
 */
import type { Config } from "../config";
import { DEAD_LETTER_CHANNEL } from "./events";
import { InProcessAdapter } from "./in-process-adapter";
import { JetStreamAdapter } from "./jetstream-adapter";

/** A JetStream stream keeps an event this long, whether or not every group has handled it. */
export const STREAM_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

const nanos = (ms: number) => ms * 1_000_000;

export type ChannelAdapterDefinition = InProcessAdapter | JetStreamAdapter | { type: "Redis"; options: Record<string, unknown> };

export function channelAdapter(cfg: Pick<Config, "channels" | "nats">): ChannelAdapterDefinition {
	const { channels, nats } = cfg;
	const common = {
		maxRetries: channels.maxRetries,
		// One delivery at a time per group: a group sees its events in the order they were written.
		maxInFlight: 1,
		deadLettering: { enabled: true, queueName: DEAD_LETTER_CHANNEL }
	};
	if (channels.adapter === "memory") return new InProcessAdapter(common);
	if (channels.adapter === "redis") {
		return {
			type: "Redis",
			options: {
				...common,
				redis: {
					url: channels.url,
					consumerOptions: {
						// A delivery nobody acknowledged for this long is claimed by another consumer of the group.
						minIdleTime: channels.ackWaitMs,
						claimInterval: 1000,
						// The library moves a message that used up its deliveries to the dead-letter queue in a
						// loop of its own: well within the ack wait, or a claim may deliver it once more first.
						processingAttemptsInterval: Math.min(1000, channels.ackWaitMs / 4)
					}
				}
			}
		};
	}
	return new JetStreamAdapter({
		...common,
		nats: {
			connectionOptions: {
				servers: channels.servers,
				name: "roster-channels",
				...(nats.user && { user: nats.user, pass: nats.password }),
				...(nats.token && { token: nats.token }),
				...(nats.tls && { tls: nats.tlsCaFile ? { caFile: nats.tlsCaFile } : {} }),
				// nats.js gives up after 10 attempts (20 s) by default, and channels would then stay dead.
				maxReconnectAttempts: -1,
				reconnectTimeWait: 1000
			},
			streamConfig: { max_age: nanos(STREAM_MAX_AGE_MS) },
			consumerOptions: { config: { ack_wait: nanos(channels.ackWaitMs) } }
		}
	});
}
