// Two projects: the fast suites in one process, and the cluster suites that start real
// processes over real NATS (built from dist/, so they test what a deployment runs).
const transform = { "^.+\\.ts$": ["@swc/jest"] };

/** @type {import('jest').Config} */
module.exports = {
	globalSetup: "<rootDir>/test/support/global-setup.ts",
	projects: [
		{
			displayName: "unit+integration",
			testEnvironment: "node",
			transform,
			testMatch: ["<rootDir>/test/unit/**/*.spec.ts", "<rootDir>/test/integration/**/*.spec.ts"]
		},
		{
			displayName: "cluster",
			testEnvironment: "node",
			transform,
			testMatch: ["<rootDir>/test/cluster/**/*.spec.ts"]
		}
	]
};
