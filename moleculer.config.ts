/**
 * Broker options. Everything comes from the environment through lib/config (validated once);
 * moleculer-runner's MOL_* variables still override any option here, and no other variable does.
 */
import { type BrokerOptions, Runner } from "moleculer";
import type { DestinationStream } from "pino";
import { ActionTimeouts } from "./lib/action-timeouts";
import { channelAdapter } from "./lib/channels/adapter";
import { CIRCUIT_BREAKER } from "./lib/circuit-breaker";
import { type Config, ConfigError, loadConfig } from "./lib/config";
import { loggerOptions } from "./lib/logging/logger";
import { tracingOptions } from "./lib/logging/tracing";
import { BATCHED_NATS_TRANSPORTER } from "./lib/nats-transporter";
import { RESILIENT_REDIS_CACHER } from "./lib/redis-cacher";
import { STALL_AWARE_DISCOVERER } from "./lib/stall-aware-discoverer";
import { onlyPrefixedEnvOverrides } from "./lib/runner-env";
import { SafeValidator } from "./lib/validator";
import { middlewares } from "./middlewares";

/**
 * NATS on the servers of TRANSPORTER, with the credentials and TLS the configuration gives;
 * one socket write per turn of the event loop (lib/nats-transporter.ts).
 */
function natsTransporter(servers: string, { user, password, token, tls, tlsCaFile }: Config["nats"]): BrokerOptions["transporter"] {
	return {
		type: BATCHED_NATS_TRANSPORTER,
		options: {
			servers: servers.split(",").map(server => server.trim()),
			...(user && { user, pass: password }),
			...(token && { token }),
			// The client refuses a server that does not offer TLS, and checks its certificate.
			...(tls && { tls: tlsCaFile ? { caFile: tlsCaFile } : {} })
		}
	};
}

/** `logDestination`: where JSON log lines go instead of stdout (tests read them back). */
export function brokerOptions(cfg: Config, { logDestination }: { logDestination?: DestinationStream } = {}): BrokerOptions {
	return {
		namespace: cfg.namespace,
		nodeID: cfg.nodeId ?? null,
		logger: loggerOptions(cfg, logDestination),
		logLevel: cfg.logLevel,
		transporter: cfg.transporter ? natsTransporter(cfg.transporter, cfg.nats) : null,
		// Redis as a cache that may die or stall: a miss then, never a failed or hung request (lib/redis-cacher.ts).
		cacher: cfg.cacherRedisUrl
			? { type: RESILIENT_REDIS_CACHER, options: { prefix: `${cfg.namespace}-cache`, ttl: 300, redis: cfg.cacherRedisUrl } }
			: { type: "Memory", options: { ttl: 300, clone: true } },
		serializer: "JSON",
		// For an action that declares no timeout and is not read-only: a write. Reads, logins and
		// reports declare theirs (lib/action-timeouts.ts); each read attempt inside a call has a
		// shorter one while another node is left (READ_ATTEMPT_TIMEOUT).
		requestTimeout: ActionTimeouts.write,
		// Moleculer's Retry stays off: most writes are not idempotent. Read-only actions are tried
		// on another node by middlewares/read-retry.middleware.ts, which avoids the node that failed.
		retryPolicy: { enabled: false },
		contextParamsCloning: false,
		maxCallLevel: 100,
		// A node that vanishes (killed, frozen, cut off) is declared gone after 3 to 6 s without a
		// heartbeat: the NATS transporter has no other way to learn it (discoverers/base.js checks
		// every heartbeatTimeout s). Its pending calls are then rejected, and reads go elsewhere.
		heartbeatInterval: 1,
		heartbeatTimeout: 3,
		// In-flight requests finish before a node stops.
		tracking: { enabled: true, shutdownTimeout: 10_000 },
		// A node that stood still (frozen, starved) does not take its own stall for the others' silence (lib/stall-aware-discoverer.ts).
		registry: { strategy: "RoundRobin", preferLocal: true, discoverer: { type: STALL_AWARE_DISCOVERER, options: {} } },
		// Opens for an endpoint (an action on one node) that fails at cluster traffic within about 2 s;
		// never for 4xx or a node shedding load (lib/circuit-breaker.ts).
		circuitBreaker: { ...CIRCUIT_BREAKER },
		// Off broker-wide: it would wrap every action and event handler, the gateway's api.rest
		// (every HTTP request) included, so 20 slow requests of one kind would queue all the others
		// of every tenant. CPU-heavy work is bounded where it happens instead: password hashing
		// (lib/auth/passwords.ts). An action that needs a bulkhead sets its own `bulkhead` option.
		bulkhead: { enabled: false },
		validator: new SafeValidator(),
		// Off unless METRICS_PORT is set: every action call and event then pays for its counters.
		// Moleculer's Prometheus reporter serves GET /metrics on a listener of its own, every series
		// labelled with this node's namespace and nodeID.
		metrics:
			cfg.metricsPort === undefined
				? { enabled: false }
				: { enabled: true, reporter: { type: "Prometheus", options: { port: cfg.metricsPort, path: "/metrics" } } },
		tracing: tracingOptions(cfg.tracing),
		middlewares: middlewares({
			healthPort: cfg.healthPort,
			requestLogContext: cfg.logFormat === "json",
			reads: { attemptTimeout: cfg.reads.attemptTimeoutMs, retries: cfg.reads.retries },
			hedgedReads: cfg.reads.hedged,
			channels: { adapter: channelAdapter(cfg), retryDelayMs: cfg.channels.retryDelayMs, ackWaitMs: cfg.channels.ackWaitMs }
		}),

		started(broker) {
			if (cfg.jwt.generated) {
				broker.logger.warn("JWT_SECRET is not set: using a random secret for this process (tokens end with it).");
			}
		}
	};
}

function configOrExit(): Config {
	try {
		return loadConfig();
	} catch (err) {
		if (err instanceof ConfigError) {
			console.error(err.message);
			process.exit(1);
		}
		throw err;
	}
}

/**
 * What moleculer-runner loads: it calls a config module's function with itself as `this`, before
 * it merges the environment into the options (moleculer/src/runner.js, loadConfigFile).
 */
export default function runnerOptions(this: unknown): BrokerOptions {
	if (this instanceof Runner) onlyPrefixedEnvOverrides(this);
	return brokerOptions(configOrExit());
}
