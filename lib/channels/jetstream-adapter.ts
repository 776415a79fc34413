/**
 * The library's JetStream adapter, with one fix. The first node of a consumer group to
 * subscribe creates the group's durable consumer; the others attach to it. Two nodes that
 * subscribe for the first time at the same moment both find no consumer and both create one:
 * the second gets "consumer name already in use", the adapter throws, and that node's broker
 * fails to start (two data nodes starting together did so about every other time). Here that
 * error is retried: by then the consumer exists, and the node attaches to it.
 *
 * And a NATS server without JetStream answers the adapter's first request with a bare "503":
 * the node then stops with a line that says what to do.
 */
import { Adapters } from "@moleculer/channels";

const ATTEMPTS = 5;

export class JetStreamAdapter extends Adapters.NATS {
	override async connect(): Promise<void> {
		try {
			await super.connect();
		} catch (err) {
			if ((err as { code?: string }).code !== "503") throw err;
			await this.connection?.close().catch(() => undefined);
			const servers = (this.opts.nats.connectionOptions as { servers?: string[] }).servers?.join(",");
			throw new Error(`JetStream is not enabled on NATS ${servers}: run nats-server with -js (and -sd <dir>), or set CHANNELS=redis://… for Redis Streams`);
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
