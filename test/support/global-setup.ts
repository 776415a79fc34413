import net from "node:net";
import { NATS_URL, REDIS_URL } from "./external";

function answers(url: string): Promise<boolean> {
	const { hostname, port } = new URL(url);
	return new Promise(resolve => {
		const socket = net.connect({ host: hostname, port: Number(port) });
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1000, () => done(false));
		socket.once("connect", () => done(true));
		socket.once("error", () => done(false));
	});
}

/** Probe NATS and Redis once; the workers read the result from the environment. */
export default async function globalSetup(): Promise<void> {
	const [nats, redis] = await Promise.all([answers(NATS_URL), answers(REDIS_URL)]);
	process.env.ROSTER_HAS_NATS = nats ? "1" : "0";
	process.env.ROSTER_HAS_REDIS = redis ? "1" : "0";
	const missing = [!nats && `NATS (${NATS_URL})`, !redis && `Redis (${REDIS_URL})`].filter(Boolean);
	if (missing.length > 0) {
		const what = process.env.ROSTER_REQUIRE_SERVICES === "1" ? "will FAIL" : "are SKIPPED";
		console.warn(`\n[roster] ${missing.join(" and ")} not reachable: the tests that need them ${what}.\n`);
	}
}
