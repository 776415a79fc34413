/**
 * The library's JetStream adapter, with one fix. The first node of a consumer group to
 * subscribe creates the group's durable consumer; the others attach to it. Two nodes that
 * subscribe for the first time at the same moment both find no consumer and both create one:
 * the second gets "consumer name already in use", the adapter throws, and that node's broker
 * fails to start (two data nodes starting together did so about every other time). Here that
 * error is retried: by then the consumer exists, and the node attaches to it.
 *
 * A publish to a channel that no group has subscribed to yet finds no stream, and the library
 * fails it, logging an ERROR (a fresh deployment showed one per channel). Here a node makes
 * sure of a channel's stream (as a subscriber would make it) before its first publish there,
 * so an event that only later consumers want (audit, say) is kept; a stream deleted later is
 * made again when a publish finds it missing.
 *
 * And a NATS server without JetStream answers the adapter's first request with a bare "503":
 * the node then stops with a line that says what to do.
 */
import { Adapters } from "@moleculer/channels";
import type { StreamConfig } from "nats";

const ATTEMPTS = 5;

/** The stream the library names for a channel. */
const streamOf = (channelName: string) => channelName.split(".").join("_");

export class JetStreamAdapter extends Adapters.NATS {
	/** Channels this node has made sure have a stream: made once, shared by parallel first publishes. */
	private readonly streams = new Map<string, Promise<unknown>>();

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
		if (this.connected && !this.stopping) await this.ensureStream(channelName);
		try {
			return await super.publish(channelName, payload, { ...opts });
		} catch (err) {
			// nats.js: "503" is "no responders", a subject that no stream listens on (deleted since).
			if ((err as { code?: string }).code !== "503" || this.stopping) throw err;
			this.streams.delete(channelName);
			await this.ensureStream(channelName);
			return super.publish(channelName, payload, { ...opts });
		}
	}

	private ensureStream(channelName: string): Promise<unknown> {
		let made = this.streams.get(channelName);
		if (!made) {
			// The library merges its own stream settings (retention) into these, as for a subscriber;
			// an existing stream is left as it is. A failure to make it is the publish's to report.
			made = this.createStream(streamOf(channelName), [channelName], {} as StreamConfig).catch(() => this.streams.delete(channelName));
			this.streams.set(channelName, made);
		}
		return made;
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
