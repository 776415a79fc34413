/**
 * The cluster-integration project runs the integration suites with CLUSTER_TIMEOUT_MS for every
 * hook and test. A suite's own jest.setTimeout comes after that and replaces it: below the
 * budget, its beforeAll (five processes and a fresh schema) timed out under load.
 */
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { CLUSTER_TIMEOUT_MS } from "../support/timeouts";

const ROOT = path.resolve(__dirname, "../..");
const INTEGRATION = path.join(ROOT, "test/integration");

interface Project {
	displayName: string;
	testPathIgnorePatterns?: string[];
}
const projects = (createRequire(__filename)(path.join(ROOT, "jest.config.js")) as { projects: Project[] }).projects;
const cluster = projects.find(project => project.displayName === "cluster-integration")!;
const ignored = (file: string) => (cluster.testPathIgnorePatterns ?? []).some(pattern => new RegExp(pattern).test(file));

describe("suite time limits on the cluster-integration project", () => {
	const suites = readdirSync(INTEGRATION)
		.filter(name => name.endsWith(".spec.ts"))
		.map(name => path.join(INTEGRATION, name))
		.filter(file => !ignored(file));

	it("finds the suites the project runs", () => {
		expect(suites.length).toBeGreaterThan(10);
	});

	it.each(suites.map(file => [path.basename(file), file]))("%s never sets a limit below the cluster's budget", (_, file) => {
		for (const [, value] of readFileSync(file, "utf8").matchAll(/jest\.setTimeout\(\s*([\d_]+)\s*\)/g)) {
			expect(Number(value.replaceAll("_", ""))).toBeGreaterThanOrEqual(CLUSTER_TIMEOUT_MS);
		}
	});
});
