/**
 * Publishing on a channel, with the broker methods @moleculer/channels adds typed. The library's
 * JetStream and Redis adapters answer a publish made while they stop, or before they connect,
 * by doing nothing or by a retryable error: here both are failures, so an outbox keeps the
 * event until a publish really happened.
 */
import type { ServiceBroker } from "moleculer";
import type { DomainEvent } from "./events";
import { C } from "./in-process-adapter";

export interface ChannelAdapterHandle {
	connected: boolean;
	stopping?: boolean;
	opts: { prefix: string | null };
	parseMessageHeaders(raw: unknown): Record<string, string> | null;
	addPrefixTopic(name: string): string;
}

declare module "moleculer" {
	interface ServiceBroker {
		/** Set by the channels middleware (middlewares/index.ts): absent on a broker without it. */
		sendToChannel?(channel: string, payload: unknown, opts?: Record<string, unknown>): Promise<void>;
		channelAdapter?: ChannelAdapterHandle;
	}
}

export async function publishEvent(broker: ServiceBroker, channel: string, event: DomainEvent, opts: Record<string, unknown> = {}): Promise<void> {
	const adapter = broker.channelAdapter;
	if (!broker.sendToChannel || !adapter) throw new Error(`This broker has no channels: '${channel}' not published`);
	if (!adapter.connected || adapter.stopping) throw new Error(`The channel adapter is not connected: '${channel}' not published`);
	await broker.sendToChannel(channel, event, opts);
}

/** A channel's name without the namespace prefix the adapter adds (what sendToChannel takes). */
export function unprefixed(broker: ServiceBroker, name: string): string {
	const prefix = broker.channelAdapter?.opts.prefix;
	return prefix && name.startsWith(`${prefix}.`) ? name.slice(prefix.length + 1) : name;
}

/** Where a dead letter came from, as its headers say: the consumer group and the channel (unprefixed); null where they do not say. */
export function deadLetterOrigin(broker: ServiceBroker, raw: unknown): { group: string | null; channel: string | null } {
	const headers = broker.channelAdapter?.parseMessageHeaders(raw) ?? {};
	const channel = headers[C.HEADER_ORIGINAL_CHANNEL];
	return { group: headers[C.HEADER_ORIGINAL_GROUP] ?? null, channel: channel ? unprefixed(broker, channel) : null };
}
