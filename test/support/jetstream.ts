/**
 * JetStream streams outlive the processes that made them: the channels of a test's namespace
 * (`<namespace>_employees_changed`, `<namespace>_dead-letters`, …) are deleted when its suite
 * ends, so the shared NATS does not collect one set per test run.
 */
import { connect } from "nats";
import { NATS_URL } from "./external";

export async function deleteStreams(namespaces: string[], url = NATS_URL): Promise<void> {
	if (namespaces.length === 0) return;
	const nc = await connect({ servers: url, timeout: 2000 });
	try {
		const jsm = await nc.jetstreamManager();
		for await (const stream of jsm.streams.list()) {
			if (namespaces.some(ns => stream.config.name.startsWith(`${ns}_`))) await jsm.streams.delete(stream.config.name);
		}
	} finally {
		await nc.close();
	}
}
