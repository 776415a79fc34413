/**
 * Durable events end to end: publish → handled, per second and p50/p99.
 *
 *   npm run bench:events            (COUNT=3000 WINDOW=100 SEQUENTIAL=300; NATS_URL=nats://127.0.0.1:4222)
 *
 * Two brokers of this process with Roster's broker options (the channel middlewares and
 * adapters of lib/channels): a publisher, and a consumer group whose handler records the event
 * in a handled-events collection (handleOnce on NeDB in memory, as a consumer does). Measured
 * on JetStream and, for reference, on the in-process adapter (one broker). Two runs each:
 * sequential (publish one, wait until it is handled: the latency of an idle system) and a
 * stream of COUNT events with at most WINDOW published and not yet handled (the throughput;
 * the latency then includes the wait in the group's queue, one delivery in flight at a time).
 * The publish is broker.sendToChannel, what the outbox relay calls; the outbox's own writes
 * are not in these figures.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ServiceBroker } from "moleculer";
import type { DomainEvent } from "../lib/channels/events";
import { handleOnce } from "../lib/channels/handled";
import { loadConfig } from "../lib/config";
import { createStore } from "../lib/store";
import { brokerOptions } from "../moleculer.config";
import { deleteStreams } from "../test/support/jetstream";
import { percentile } from "./support";

const COUNT = Number(process.env.COUNT ?? 3000);
const WINDOW = Number(process.env.WINDOW ?? 100);
const SEQUENTIAL = Number(process.env.SEQUENTIAL ?? 300);
const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const CHANNEL = "bench.events";

interface Rig {
	publish(event: DomainEvent): Promise<void>;
	/** Resolves when the consumer has handled `eventId`. */
	handled(eventId: string): Promise<void>;
	stop(): Promise<void>;
}

function broker(namespace: string, channels: string, name: string): ServiceBroker {
	const cfg = loadConfig({ NAMESPACE: namespace, CHANNELS: channels, LOG_LEVEL: "warn" });
	return new ServiceBroker({ ...brokerOptions(cfg), nodeID: `${name}-${namespace}`, logger: false });
}

async function rig(adapter: "jetstream" | "in-process"): Promise<Rig> {
	const namespace = `bench-${randomUUID().slice(0, 8)}`;
	const channels = adapter === "jetstream" ? NATS_URL : "memory";
	const consumer = broker(namespace, channels, "consumer");
	const publisher = adapter === "jetstream" ? broker(namespace, channels, "publisher") : consumer;
	const store = createStore({ name: "bench_handled_events" }, loadConfig({}));
	const waiting = new Map<string, () => void>();
	consumer.createService({
		name: "benchConsumer",
		channels: {
			[CHANNEL]: async (event: DomainEvent) => {
				await handleOnce(store, "benchConsumer", event, async () => undefined);
				waiting.get(event.eventId)?.();
			}
		},
		async started() {
			store.init(consumer, this);
			await store.connect();
		}
	});
	await consumer.start();
	if (publisher !== consumer) await publisher.start();
	return {
		publish: event => publisher.sendToChannel!(CHANNEL, event),
		handled: eventId =>
			new Promise(resolve =>
				waiting.set(eventId, () => {
					waiting.delete(eventId);
					resolve();
				})
			),
		async stop() {
			if (publisher !== consumer) await publisher.stop();
			await consumer.stop();
			if (adapter === "jetstream") await deleteStreams([namespace], NATS_URL);
		}
	};
}

const event = (): DomainEvent => ({ eventId: randomUUID(), tenantId: "bench", at: new Date().toISOString(), payload: "x".repeat(200) });

async function sequential(r: Rig, count: number): Promise<number[]> {
	const latencies: number[] = [];
	for (let i = 0; i < count; i++) {
		const e = event();
		const done = r.handled(e.eventId);
		const started = performance.now();
		await r.publish(e);
		await done;
		latencies.push(performance.now() - started);
	}
	return latencies.sort((a, b) => a - b);
}

async function stream(r: Rig, count: number, window: number): Promise<{ perSecond: number; latencies: number[] }> {
	const latencies: number[] = [];
	const all: Promise<void>[] = [];
	const started = performance.now();
	// Published and not yet handled: the publisher waits while WINDOW are.
	let unhandled = 0;
	for (let i = 0; i < count; i++) {
		while (unhandled >= window) await new Promise(resolve => setImmediate(resolve));
		const e = event();
		const sent = performance.now();
		unhandled++;
		const done = r.handled(e.eventId).then(() => {
			unhandled--;
			latencies.push(performance.now() - sent);
		});
		all.push(done);
		await r.publish(e);
	}
	await Promise.all(all);
	const seconds = (performance.now() - started) / 1000;
	return { perSecond: count / seconds, latencies: latencies.sort((a, b) => a - b) };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
	console.log(`events: ${SEQUENTIAL} sequential, then ${COUNT} with at most ${WINDOW} not yet handled; NATS ${NATS_URL}`);
	console.log("| adapter | sequential p50 | sequential p99 | stream events/s | stream p50 | stream p99 |");
	console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
	for (const adapter of ["jetstream", "in-process"] as const) {
		const r = await rig(adapter);
		try {
			await sequential(r, 50);
			const seq = await sequential(r, SEQUENTIAL);
			const { perSecond, latencies } = await stream(r, COUNT, WINDOW);
			console.log(
				`| ${adapter} | ${ms(percentile(seq, 50))} | ${ms(percentile(seq, 99))} | ${perSecond.toFixed(0)} | ${ms(percentile(latencies, 50))} | ${ms(percentile(latencies, 99))} |`
			);
		} finally {
			await r.stop();
		}
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
