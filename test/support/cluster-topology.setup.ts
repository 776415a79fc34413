/**
 * Set up for the `cluster-integration` jest project: the integration suites, unchanged, on a
 * cluster of real processes (cluster-topology.ts). Without NATS, Redis or PostgreSQL they are
 * skipped, saying so, unless ROSTER_REQUIRE_SERVICES=1 (then starting the cluster fails them).
 */
import { type ExternalService, hasService } from "./external";
import { CLUSTER_TIMEOUT_MS } from "./timeouts";

process.env.ROSTER_TEST_TOPOLOGY = "cluster";

const missing = (["nats", "redis", "postgres"] as ExternalService[]).filter(service => !hasService(service));
if (missing.length > 0 && process.env.ROSTER_REQUIRE_SERVICES !== "1") {
	const skip = describe.skip;
	const skipped = (name: string, body: () => void) => skip(`${name} (on a cluster: skipped, ${missing.join(" and ")} not reachable)`, body);
	(globalThis as { describe: unknown }).describe = Object.assign(skipped, describe);
}

// Starting five processes takes seconds, more on a loaded machine: hooks and tests get room.
jest.setTimeout(CLUSTER_TIMEOUT_MS);
