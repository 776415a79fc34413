/**
 * Time limits for hooks and tests. jest.setTimeout replaces the limit for the rest of the file,
 * so a suite that asks for 60 s after the cluster-integration project's setup has set 120 s
 * would cut that budget in half, and starting five processes under load needs the whole of it.
 */

/** The cluster-integration project's limit for every hook and test (cluster-topology.setup.ts sets it). */
export const CLUSTER_TIMEOUT_MS = 120_000;

/** A suite's own limit, raised to the cluster project's budget when the suite runs there. */
export function suiteTimeout(ms: number): void {
	jest.setTimeout(process.env.ROSTER_TEST_TOPOLOGY === "cluster" ? Math.max(ms, CLUSTER_TIMEOUT_MS) : ms);
}
