// Three projects: the fast suites in one process; the cluster suites that start real processes
// over real NATS (built from dist/, so they test what a deployment runs); and the HTTP
// integration suites again, unchanged, on a cluster of two data nodes (PostgreSQL), two
// application nodes and a gateway.
const transform = { "^.+\\.ts$": ["@swc/jest"] };

/** @type {import('jest').Config} */
module.exports = {
	globalSetup: "<rootDir>/test/support/global-setup.ts",
	// Every test and every hook without a timeout of its own (jest-circus: `hook.timeout ||
	// testTimeout`). Jest's 5 s default failed beforeAll hooks that hash passwords or start a
	// system when two runs shared this machine; a spec's jest.setTimeout still raises it.
	testTimeout: 30_000,
	projects: [
		{
			displayName: "unit+integration",
			testEnvironment: "node",
			transform,
			// Every HTTP answer the suites get is checked against GET /api/openapi.json (test/support/contract.ts).
			setupFilesAfterEnv: ["<rootDir>/test/support/contract.setup.ts"],
			testMatch: ["<rootDir>/test/unit/**/*.spec.ts", "<rootDir>/test/integration/**/*.spec.ts"]
		},
		{
			displayName: "cluster-integration",
			testEnvironment: "node",
			transform,
			setupFilesAfterEnv: ["<rootDir>/test/support/cluster-topology.setup.ts", "<rootDir>/test/support/contract.setup.ts"],
			testMatch: ["<rootDir>/test/integration/**/*.spec.ts"],
			// Suites about one process or one artefact rather than the API: they gain nothing on a cluster.
			// notification-smtp points one process's SMTP_URL at the test's own server before it loads the system.
			testPathIgnorePatterns: [
				"/node_modules/",
				"/test/integration/(gateway|storage|postgres-plans|outbox|readiness|health-port|metrics|npm-start|image|overload|cache-outage|logs|tracing|timeouts|report-fallback|scheduled-jobs-mixin|job-runs|notification-smtp|realtime)\\.spec\\.ts$"
			]
		},
		{
			displayName: "cluster",
			testEnvironment: "node",
			transform,
			testMatch: ["<rootDir>/test/cluster/**/*.spec.ts"]
		}
	]
};
