/**
 * Channels inside one process, for the embedded default (no transporter). @moleculer/channels
 * offers only its "Fake" adapter for that, which rides on Moleculer events and so has no
 * consumer groups, no retries and no dead-letter queue; this adapter keeps the library's API
 * (the same middleware, `channels` schemas and `broker.sendToChannel`) with the semantics of the
 * JetStream adapter:
 *
 * - a consumer group receives every message published after it first subscribed, one message
 *   of a group at a time unless its `maxInFlight` says otherwise, in publish order;
 * - a failed delivery is delivered again at once (the retry middleware waits before it fails,
 *   as it does for JetStream), `redeliveryCount` counting deliveries as JetStream does;
 * - after `maxRetries` deliveries the message moves to the dead-letter channel with the
 *   library's `x-original-channel` and `x-original-group` headers;
 * - publishing to a channel no group has subscribed to fails while the broker is starting (its
 *   consumers may not have subscribed yet), so an outbox keeps the event rather than losing it;
 *   once every local service has started, no group will come, and the event is dropped, as
 *   JetStream and Redis keep one that no group reads.
 *
 * Nothing is durable: messages live as long as the process (see docs/operations.md).
 */
import { Adapters } from "@moleculer/channels";
import type { Channel } from "@moleculer/channels/types/src";

/** The library's header and metric names (its src/constants.js, which ships without types). */
export const C = {
	HEADER_ORIGINAL_CHANNEL: "x-original-channel",
	HEADER_ORIGINAL_GROUP: "x-original-group",
	METRIC_CHANNELS_MESSAGES_ERRORS_TOTAL: "moleculer.channels.messages.errors.total",
	METRIC_CHANNELS_MESSAGES_RETRIES_TOTAL: "moleculer.channels.messages.retries.total",
	METRIC_CHANNELS_MESSAGES_DEAD_LETTERING_TOTAL: "moleculer.channels.messages.deadLettering.total"
} as const;

/**
 * What a channel handler receives as its raw message. It has no JetStream-like `working()`:
 * there is no ack wait to extend, and its presence made the retries middleware keep a timer
 * per delivery.
 */
export interface InProcessMessage {
	seq: number;
	data: Buffer;
	headers: Record<string, string>;
	/** Deliveries so far, this one included. */
	redeliveryCount: number;
}

interface Group {
	queue: InProcessMessage[];
	consumers: Channel[];
	inFlight: number;
	next: number;
}

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export class InProcessAdapter extends Adapters.Base {
	/** Channel name → consumer group → its queue and consumers. */
	private readonly channels = new Map<string, Map<string, Group>>();
	private seq = 0;
	private stopping = false;

	override async connect(): Promise<void> {
		this.stopping = false;
		this.connected = true;
	}

	/** Lets the deliveries under way finish, like the other adapters; undelivered messages are dropped. */
	override async disconnect(): Promise<void> {
		this.stopping = true;
		while ([...this.groups()].some(group => group.inFlight > 0)) await pause(10);
		this.channels.clear();
		this.connected = false;
	}

	override async subscribe(chan: Channel): Promise<void> {
		chan.maxInFlight ??= this.opts.maxInFlight;
		chan.maxRetries ??= this.opts.maxRetries;
		chan.deadLettering = { ...this.opts.deadLettering, ...chan.deadLettering } as Channel["deadLettering"] & object;
		if (chan.deadLettering.enabled) chan.deadLettering.queueName = this.addPrefixTopic(chan.deadLettering.queueName);
		let groups = this.channels.get(chan.name);
		if (!groups) this.channels.set(chan.name, (groups = new Map()));
		let group = groups.get(chan.group);
		if (!group) groups.set(chan.group, (group = { queue: [], consumers: [], inFlight: 0, next: 0 }));
		this.initChannelActiveMessages(chan.id);
		group.consumers.push(chan);
		this.pump(group);
	}

	/** The group and its queue stay: a consumer that comes back gets what was published meanwhile. */
	override async unsubscribe(chan: Channel): Promise<void> {
		if (chan.unsubscribing) return;
		chan.unsubscribing = true;
		const group = this.channels.get(chan.name)?.get(chan.group);
		if (group) group.consumers = group.consumers.filter(c => c !== chan);
		while (this.getNumberOfChannelActiveMessages(chan.id) > 0) await pause(10);
		this.stopChannelActiveMessages(chan.id);
	}

	override async publish(channelName: string, payload: unknown, opts: { raw?: boolean; headers?: Record<string, string> } = {}): Promise<void> {
		if (!this.connected || this.stopping) throw new Error(`The in-process channel adapter is not connected: '${channelName}' not published`);
		const groups = this.channels.get(channelName);
		if (!groups || groups.size === 0) {
			if (!this.broker.started) throw new Error(`No consumer group has subscribed to '${channelName}' yet: not published`);
			this.logger.debug(`No consumer group reads '${channelName}': the event has no one to go to`);
			return;
		}
		// Serialized as on the wire: a consumer never shares an object with the publisher or another group.
		const data = opts.raw ? (payload as Buffer) : this.serializer.serialize(payload as object, "");
		for (const group of groups.values()) {
			group.queue.push({ seq: ++this.seq, data, headers: { ...opts.headers }, redeliveryCount: 0 });
			this.pump(group);
		}
	}

	override parseMessageHeaders(raw: InProcessMessage): Record<string, string> {
		return raw.headers;
	}

	private *groups(): Iterable<Group> {
		for (const groups of this.channels.values()) yield* groups.values();
	}

	/** Starts deliveries while the group has room, messages and a consumer. */
	private pump(group: Group): void {
		while (!this.stopping && group.queue.length > 0 && group.consumers.length > 0) {
			const chan = group.consumers[group.next++ % group.consumers.length];
			if (group.inFlight >= (chan.maxInFlight ?? 1)) return;
			const message = group.queue.shift()!;
			message.redeliveryCount++;
			group.inFlight++;
			this.addChannelActiveMessages(chan.id, [message.seq]);
			void this.deliver(chan, group, message).finally(() => {
				group.inFlight--;
				this.removeChannelActiveMessages(chan.id, [message.seq]);
				this.pump(group);
			});
		}
	}

	private async deliver(chan: Channel, group: Group, message: InProcessMessage): Promise<void> {
		try {
			await chan.handler(this.serializer.deserialize(message.data, ""), message);
		} catch {
			this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_ERRORS_TOTAL, chan);
			if (chan.maxRetries && message.redeliveryCount < chan.maxRetries) {
				this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_RETRIES_TOTAL, chan);
				// At the head: the group's order holds, as with one message in flight on JetStream.
				group.queue.unshift(message);
			} else if (chan.deadLettering?.enabled) {
				await this.moveToDeadLetter(chan, message);
			} else {
				this.logger.error(`Message ${message.seq} of '${chan.name}' failed ${message.redeliveryCount} times: dropped`);
			}
		}
	}

	private async moveToDeadLetter(chan: Channel, message: InProcessMessage): Promise<void> {
		const queueName = chan.deadLettering!.queueName;
		try {
			const headers = { ...message.headers, [C.HEADER_ORIGINAL_CHANNEL]: chan.name, [C.HEADER_ORIGINAL_GROUP]: chan.group };
			await this.publish(queueName, message.data, { raw: true, headers });
			this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_DEAD_LETTERING_TOTAL, chan);
			this.logger.warn(`Moved message ${message.seq} of '${chan.name}' (group ${chan.group}) to '${queueName}'`);
		} catch (err) {
			this.logger.error(`Message ${message.seq} of '${chan.name}' could not move to '${queueName}': dropped.`, (err as Error).message);
		}
	}
}
