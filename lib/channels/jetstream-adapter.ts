/**
 * The library's JetStream adapter, with one fix. The first node of a consumer group to
 * subscribe creates the group's durable consumer; the others attach to it. Two nodes that
 * subscribe for the first time at the same moment both find no consumer and both create one:
 * the second gets "consumer name already in use", the adapter throws, and that node's broker
 * fails to start (two data nodes starting together did so about every other time). Here that
 * error is retried: by then the consumer exists, and the node attaches to it.
 *
 * A publish to a channel that no group has subscribed to yet finds no stream, and the library
 * fails it: here the stream is made (as a subscriber would make it) and the publish tried again,
 * so an event that only later consumers want (audit, say) is kept, not retried forever.
 *
 * And a NATS server without JetStream answers the adapter's first request with a bare "503":
 * the node then stops with a line that says what to do.
 */
import { Adapters } from "@moleculer/channels";
import type { StreamConfig } from "nats";

const ATTEMPTS = 5;

export class JetStreamAdapter extends Adapters.NATS {
	override async connect(): Promise<void> {
		try {
			await super.connect();
		} catch (err) {
			if ((err as { code?: string }).code !== "503") throw err;
			await this.connection?.close().catch(() => undefined);
			const servers = (this.opts.nats.connectionOptions as { servers?: string[] }).servers?.join(",");
			throw new Error(
				`JetStream is not enabled on NATS ${servers}: run nats-server with -js (and -sd <dir>), or set CHANNELS=redis://… for Redis Streams`
			);
		}
	}

	override async publish(channelName: string, payload: unknown, opts: Record<string, unknown> = {}): Promise<void> {
		try {
			return await super.publish(channelName, payload, { ...opts });
		} catch (err) {
			// nats.js: "503" is "no responders", a subject that no stream listens on.
			if ((err as { code?: string }).code !== "503" || this.stopping) throw err;
			// The library merges its own stream settings (retention) into these, as for a subscriber.
			await this.createStream(channelName.split(".").join("_"), [channelName], {} as StreamConfig);
			return super.publish(channelName, payload, { ...opts });
		}
	}

	override async subscribe(chan: Parameters<InstanceType<typeof Adapters.NATS>["subscribe"]>[0]): Promise<void> {
		// The adapter rewrites these on each call (the dead-letter name gets the prefix): retried from the original.
		const { deadLettering } = chan;
		for (let attempt = 1; ; attempt++) {
			try {
				return await super.subscribe(chan);
			} catch (err) {
				if (!/already in use/.test((err as Error).message) || attempt >= ATTEMPTS) throw err;
				this.logger.info(`Consumer group ${chan.group} of '${chan.name}' was created by another node meanwhile: attaching to it`);
				this.activeMessages.delete(chan.id);
				chan.deadLettering = deadLettering;
				await new Promise(resolve => setTimeout(resolve, 50 * attempt));
			}
		}
	}
}
