/**
 * Broker options. Everything comes from the environment through lib/config (validated once);
 * moleculer-runner's MOL_* variables still override any option here.
 */
import type { BrokerOptions, Errors } from "moleculer";
import { type Config, ConfigError, loadConfig } from "./lib/config";
import { isServiceBusy } from "./lib/errors";
import { SafeValidator } from "./lib/validator";
import { middlewares } from "./middlewares";
import { replCommands } from "./scripts/repl-commands";

export function brokerOptions(cfg: Config): BrokerOptions {
	return {
		namespace: cfg.namespace,
		nodeID: cfg.nodeId ?? null,
		logger: { type: "Console", options: { formatter: "short", colors: process.stdout.isTTY, moduleColors: false } },
		logLevel: cfg.logLevel,
		transporter: cfg.transporter ?? null,
		cacher: cfg.cacherRedisUrl
			? { type: "Redis", options: { prefix: `${cfg.namespace}-cache`, ttl: 300, redis: cfg.cacherRedisUrl } }
			: { type: "Memory", options: { ttl: 300, clone: true } },
		serializer: "JSON",
		requestTimeout: 10_000,
		// Retries stay off by default: most writes are not idempotent. Safe reads opt in per call.
		retryPolicy: { enabled: false },
		contextParamsCloning: false,
		maxCallLevel: 100,
		heartbeatInterval: 5,
		heartbeatTimeout: 15,
		// In-flight requests finish before a node stops.
		tracking: { enabled: true, shutdownTimeout: 10_000 },
		registry: { strategy: "RoundRobin", preferLocal: true },
		circuitBreaker: {
			enabled: true,
			threshold: 0.5,
			minRequestCount: 20,
			windowTime: 60,
			halfOpenTime: 10_000,
			// A node that sheds load (503 SERVICE_BUSY) is healthy: opening its breaker would turn a
			// burst of logins into no logins at all for halfOpenTime.
			check: (err: Error) =>
				typeof (err as Errors.MoleculerError).code === "number" && (err as Errors.MoleculerError).code >= 500 && !isServiceBusy(err)
		},
		// Off broker-wide: it would wrap every action and event handler, the gateway's api.rest
		// (every HTTP request) included, so 20 slow requests of one kind would queue all the others
		// of every tenant. CPU-heavy work is bounded where it happens instead: password hashing
		// (lib/auth/passwords.ts). An action that needs a bulkhead sets its own `bulkhead` option.
		bulkhead: { enabled: false },
		validator: new SafeValidator(),
		metrics: { enabled: false },
		tracing: { enabled: false },
		middlewares: middlewares(),
		replCommands,

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

export default brokerOptions(configOrExit());
