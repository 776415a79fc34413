/**
 * Moleculer's tracing, from TRACING: off, or one exporter. A span's trace id is the request id
 * (moleculer/src/middlewares/tracing.js), so a trace and the request's log lines share a key.
 */
import type { BrokerOptions } from "moleculer";
import type { TracingConfig } from "../config";

function exporter({ exporter, endpoint }: Required<Pick<TracingConfig, "exporter">> & TracingConfig) {
	switch (exporter) {
		case "console":
			// Through the broker's logger (the TRACER module), in whichever LOG_FORMAT.
			return { type: "Console", options: { colors: false, width: 120 } };
		case "jaeger":
			// With an endpoint, jaeger-client posts spans over HTTP to the collector (no UDP agent).
			return { type: "Jaeger", options: { endpoint } };
		case "zipkin":
			return { type: "Zipkin", options: { baseURL: endpoint } };
	}
}

export function tracingOptions(cfg: TracingConfig): BrokerOptions["tracing"] {
	if (!cfg.exporter) return { enabled: false };
	return {
		enabled: true,
		events: true,
		exporter: exporter({ ...cfg, exporter: cfg.exporter }),
		// By default every action span keeps a copy of its params as tags: a login's would hold the
		// password, sent on to Jaeger or Zipkin. Spans say which action, on which node, how long.
		tags: { action: { params: false, meta: false }, event: { params: false, meta: false } }
	};
}
