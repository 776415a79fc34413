/**
 * HTTP as clients see it, for Prometheus: how many requests the gateway answered and how long
 * each took, by method, route and status, whoever answered (an action, an error handler, the
 * 404 for a path nothing serves). Moleculer's own `moleculer.request.*` count actions, where every
 * request is one `api.rest` call whatever its route and status.
 *
 * The route is the alias pattern the request matched (`/api/v1/employees/:id`), never its URL:
 * an id in a label would make a series per employee. A request that matched no alias is counted
 * under one route, `unmatched`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServiceBroker } from "moleculer";

export const HttpMetricNames = {
	requests: "roster.http.requests.total",
	duration: "roster.http.request.duration.seconds"
} as const;

export const UNMATCHED_ROUTE = "unmatched";

/** Status of a request whose client went away before the answer was sent. */
export const ABORTED_STATUS = "aborted";

/** Seconds: from a cached read (a few ms) to the 10 s request timeout. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const LABELS = ["method", "route", "status"];

/** A request as the gateway's routing leaves it: the pattern of the alias it matched, if any. */
export interface MeasuredRequest extends IncomingMessage {
	$metricRoute?: string;
}

interface Counter {
	increment(labels: Record<string, string>): void;
}
interface Histogram {
	observe(value: number, labels: Record<string, string>): void;
}

export class HttpMetrics {
	private readonly requests: Counter;
	private readonly duration: Histogram;

	constructor(broker: ServiceBroker) {
		this.requests = broker.metrics.register({
			name: HttpMetricNames.requests,
			type: "counter",
			labelNames: LABELS,
			description: "HTTP requests answered by the gateway, by method, route pattern and status"
		}) as unknown as Counter;
		this.duration = broker.metrics.register({
			name: HttpMetricNames.duration,
			type: "histogram",
			labelNames: LABELS,
			unit: "seconds",
			buckets: BUCKETS,
			description: "HTTP request latency at the gateway, from the request's arrival to the last byte of its answer"
		}) as unknown as Histogram;
	}

	/** Called as a request arrives; counts it once, when its answer is sent or its client leaves. */
	track(req: MeasuredRequest, res: ServerResponse): void {
		const start = process.hrtime.bigint();
		const { requests, duration } = this;
		// "close" comes after "finish" for an answered request, and alone for an abandoned one.
		res.once("close", function countHttpRequest() {
			const labels = {
				method: req.method ?? "",
				route: req.$metricRoute ?? UNMATCHED_ROUTE,
				status: res.writableFinished ? String(res.statusCode) : ABORTED_STATUS
			};
			requests.increment(labels);
			duration.observe(Number(process.hrtime.bigint() - start) / 1e9, labels);
		});
	}
}
