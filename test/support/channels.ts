/**
 * Probes on channels: a consumer group of the test's own that records what it receives, as a
 * service on the test's broker (in-process, or the cluster's client node over JetStream).
 */
import type { ServiceBroker } from "moleculer";
import { waitFor } from "./cluster-system";

export interface ChannelProbe<T> {
	seen: T[];
	stop(): Promise<void>;
}

interface AdapterInternals {
	opts: { prefix: string };
	subscriptions?: Map<string, unknown>;
	activeMessages: Map<string, unknown>;
}

/** Resolves once the adapter has subscribed the service's handler of `channel` (a JetStream consumer exists). */
export async function subscribed(broker: ServiceBroker, service: string, channel: string): Promise<void> {
	const adapter = broker.channelAdapter as unknown as AdapterInternals;
	const prefixed = (name: string) => (adapter.opts.prefix ? `${adapter.opts.prefix}.${name}` : name);
	const id = prefixed(`${broker.nodeID}.${service}.${prefixed(channel)}`);
	await waitFor(`${service} to subscribe to ${channel}`, async () => (adapter.subscriptions ?? adapter.activeMessages).has(id), 10_000);
}

export interface ProbeOptions<T> {
	/** Called for each delivery; throwing fails it. */
	handle?: (payload: T) => void | Promise<void>;
	/** The channel option of that name: deliveries before the dead-letter queue. */
	maxRetries?: number;
}

/** A group named `name` on `channel`, recording every delivery. */
export async function channelProbe<T>(broker: ServiceBroker, name: string, channel: string, opts: ProbeOptions<T> = {}): Promise<ChannelProbe<T>> {
	const seen: T[] = [];
	broker.createService({
		name,
		channels: {
			[channel]: {
				...(opts.maxRetries !== undefined && { maxRetries: opts.maxRetries }),
				async handler(payload: T) {
					seen.push(payload);
					await opts.handle?.(payload);
				}
			}
		}
	});
	await subscribed(broker, name, channel);
	return { seen, stop: () => broker.destroyService(name) };
}
