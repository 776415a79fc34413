/**
 * A steady, bounded stream of authenticated GET requests through one or more gateways, as the
 * load balancer in front of them sends it (deploy/nginx.conf): round-robin, and a request that a
 * gateway cannot take (refused, the connection dropped before an answer, or 503) goes to the
 * next one, as `proxy_next_upstream error http_503` does for idempotent requests. Every
 * request's outcome and time is recorded, so a test can say what a client saw.
 */
import http from "node:http";

export interface Sample {
	/** When it was sent, in ms since the stream started. */
	at: number;
	/** How long the client waited for the final answer, in ms. */
	ms: number;
	/** The HTTP status, or what went wrong before one came ("refused", "reset", "timeout"). */
	status: number | string;
	path: string;
	/** What made the load balancer pass the request on to the next gateway, once per hand-over ("refused", "reset", "503"). */
	handedOver: string[];
	/** The X-Request-Id the gateway answered with, to find the request in node logs. */
	requestId?: string;
}

export interface StreamOptions {
	gateways: string[];
	paths: string[];
	token: string;
	ratePerSecond: number;
	durationMs: number;
	/** A request the client gives up on: counted as "timeout" (a hang, as far as a client cares). */
	clientTimeoutMs: number;
	/** Requests in flight at most; one more is not sent but counted as "not sent". */
	maxInFlight?: number;
}

export interface ReadStream {
	/** The stream's start (Date.now()), the origin of every sample's `at`. */
	t0: number;
	/** ms since the stream started. */
	elapsed(): number;
	/** Sends no more requests (before the duration is over); `done` still waits for those in flight. */
	stop(): void;
	/** Resolves once every request has been sent and answered. */
	done: Promise<Sample[]>;
}

/** Codes that mean the gateway never answered this request: the load balancer tries the next. */
const HAND_OVER: Record<string, string> = { ECONNREFUSED: "refused", ECONNRESET: "reset", EPIPE: "reset" };

interface Attempt {
	status: number | string;
	requestId?: string;
}

function get(agent: http.Agent, base: string, path: string, token: string, timeoutMs: number): Promise<Attempt> {
	return new Promise(resolve => {
		const req = http.get(`${base}${path}`, { agent, headers: { Authorization: `Bearer ${token}` }, timeout: timeoutMs }, res => {
			res.resume();
			res.once("end", () => resolve({ status: res.statusCode ?? 0, requestId: res.headers["x-request-id"] as string | undefined }));
			res.once("error", () => resolve({ status: "reset" }));
		});
		req.once("timeout", () => {
			req.destroy();
			resolve({ status: "timeout" });
		});
		req.once("error", (err: NodeJS.ErrnoException) => resolve({ status: HAND_OVER[err.code ?? ""] ?? `error ${err.code ?? err.message}` }));
	});
}

export function startReadStream(opts: StreamOptions): ReadStream {
	// Connections kept alive, as nginx's upstream keepalive does; no cap: maxInFlight bounds them.
	const agents = opts.gateways.map(() => new http.Agent({ keepAlive: true }));
	let total = Math.round((opts.ratePerSecond * opts.durationMs) / 1000);
	const maxInFlight = opts.maxInFlight ?? 1000;
	const samples: Sample[] = [];
	const pending: Array<Promise<void>> = [];
	const t0 = Date.now();
	let sent = 0;
	let inFlight = 0;

	async function send(n: number): Promise<void> {
		const at = Date.now() - t0;
		const path = opts.paths[n % opts.paths.length];
		if (inFlight >= maxInFlight) {
			samples.push({ at, ms: 0, status: "not sent", path, handedOver: [] });
			return;
		}
		inFlight++;
		let attempt: Attempt = { status: "not sent" };
		const handedOver: string[] = [];
		// Round-robin, then each other gateway once, as long as none could take the request.
		for (let i = 0; i < opts.gateways.length; i++) {
			const g = (n + i) % opts.gateways.length;
			attempt = await get(agents[g], opts.gateways[g], path, opts.token, Math.max(1, opts.clientTimeoutMs - (Date.now() - t0 - at)));
			if (attempt.status !== "refused" && attempt.status !== "reset" && attempt.status !== 503) break;
			if (i < opts.gateways.length - 1) handedOver.push(String(attempt.status));
		}
		inFlight--;
		samples.push({ at, ms: Date.now() - t0 - at, status: attempt.status, path, handedOver, requestId: attempt.requestId });
	}

	const done = new Promise<Sample[]>(resolve => {
		const interval = 1000 / opts.ratePerSecond;
		const tick = () => {
			// As many as are due by now: a late timer catches up instead of slowing the stream.
			const due = Math.min(total, Math.floor((Date.now() - t0) / interval) + 1);
			while (sent < due) pending.push(send(sent++));
			if (sent < total) setTimeout(tick, Math.max(1, Math.floor(interval / 2)));
			else
				void Promise.all(pending).then(() => {
					for (const agent of agents) agent.destroy();
					resolve(samples.sort((a, b) => a.at - b.at));
				});
		};
		tick();
	});
	return { t0, elapsed: () => Date.now() - t0, stop: () => void (total = sent), done };
}

export interface StreamSummary {
	requests: number;
	failed: number;
	/** The failures by what the client got: {"504": 3, "timeout": 1}. */
	failures: Record<string, number>;
	/** Requests the load balancer passed on, by what the gateway it tried first did: {"refused": 40, "503": 2}. */
	handedOver: Record<string, number>;
	p50: number;
	p99: number;
	max: number;
}

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return 0;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const failed = (s: Sample) => s.status !== 200;

export function summarize(samples: Sample[]): StreamSummary {
	const failures: Record<string, number> = {};
	for (const s of samples.filter(failed)) failures[String(s.status)] = (failures[String(s.status)] ?? 0) + 1;
	const handedOver: Record<string, number> = {};
	for (const s of samples.filter(x => x.handedOver.length > 0)) handedOver[s.handedOver[0]] = (handedOver[s.handedOver[0]] ?? 0) + 1;
	const times = samples.map(s => s.ms).sort((a, b) => a - b);
	return {
		requests: samples.length,
		failed: samples.filter(failed).length,
		failures,
		handedOver,
		p50: percentile(times, 50),
		p99: percentile(times, 99),
		max: times[times.length - 1] ?? 0
	};
}
