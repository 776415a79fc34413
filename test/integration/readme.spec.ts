/**
 * The README's commands, run as a newcomer would run them, so none rots: the demo seed into a
 * data folder, the system started on it, then every curl block against it (a curl that gets a
 * 4xx or 5xx fails the block). A block this file does not run names the test that does, and a
 * new block that neither runs here nor names one fails.
 *
 * Two changes to each block, both what a reader's machine would differ in: a free port for
 * 3000, a fresh folder for ./data; and `npm run serve` for `npm start` (the same script after
 * the build, which a test must not run: npm-start.spec.ts). Runs dist/, which `npm test` builds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { clusterTopology } from "../support/cluster-topology";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "../..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");

/** Every ```bash block of the README, in order. */
function bashBlocks(markdown: string): string[] {
	return [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map(m => m[1]);
}

/** Blocks run by other tests: a line of the block, and a file with the text that shows it runs. */
const RUN_ELSEWHERE: Array<{ line: string; file: string; shows: string }> = [
	{ line: "npm install && npm start", file: ".ci/run", shows: "ROSTER_REQUIRE_SERVICES=1 npm test" },
	{ line: "npm install && npm start", file: "test/integration/npm-start.spec.ts", shows: "expect(scripts.start).toBe(scripts.serve)" },
	{ line: "SERVICES=data npm run serve", file: "test/cluster/repl.cluster.spec.ts", shows: 'startNode("data", "data"' },
	{ line: "SERVICES=gateway/realtime REALTIME_PORT=3301 npm run serve", file: "test/cluster/realtime.cluster.spec.ts", shows: "gateway/realtime" },
	{ line: "npm run repl                                  # a REPL-only node", file: "test/cluster/repl.cluster.spec.ts", shows: "startRepl(" }
];

/** The blocks this file runs, by a line each holds. */
const DEMO_DATA = "DATA_DIR=./data npm run seed";
const DEMO_CURLS = "MANAGER=$(login manager)";
const SIGNUP_CURLS = "curl -s -X POST localhost:3000/api/v1/auth/signup";

const describeInProcess = clusterTopology ? describe.skip : describe;

describeInProcess("the README's commands", () => {
	const blocks = bashBlocks(README);
	const block = (holding: string) => {
		const found = blocks.filter(b => b.includes(holding));
		expect(found).toHaveLength(1);
		return found[0];
	};

	it("each bash block is run here or by a test that names it", () => {
		for (const b of blocks) {
			const here = [DEMO_DATA, DEMO_CURLS, SIGNUP_CURLS].some(line => b.includes(line));
			const elsewhere = RUN_ELSEWHERE.filter(e => b.includes(e.line));
			expect({ block: b, covered: here || elsewhere.length > 0 }).toEqual({ block: b, covered: true });
			for (const e of elsewhere) expect(readFileSync(path.join(ROOT, e.file), "utf8")).toContain(e.shows);
		}
	});

	it("every `npm run <script>` it names is a script of package.json", () => {
		const { scripts } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
		const named = [...new Set([...README.matchAll(/npm run ([\w:-]*[\w-])/g)].map(m => m[1]))];
		expect(named.length).toBeGreaterThan(5);
		expect(named.filter(name => !(name in scripts))).toEqual([]);
	});

	it("so is every `npm run <script>` that docs/ and the bench files name (the commands beside the recorded figures)", () => {
		const { scripts } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
		const files = [
			...readdirSync(path.join(ROOT, "docs"))
				.filter(f => f.endsWith(".md"))
				.map(f => path.join("docs", f)),
			...readdirSync(path.join(ROOT, "bench"))
				.filter(f => f.endsWith(".ts"))
				.map(f => path.join("bench", f))
		];
		const missing = files.flatMap(file =>
			[...readFileSync(path.join(ROOT, file), "utf8").matchAll(/npm run ([\w:-]*[\w-])/g)]
				.map(m => m[1])
				.filter(name => !(name in scripts))
				.map(name => `${file}: npm run ${name}`)
		);
		expect(files).toContain(path.join("docs", "benchmarks.md"));
		expect([...new Set(missing)]).toEqual([]);
	});

	describe("seeded, started, and tried with curl", () => {
		let dataDir: string;
		let server: ChildProcess;
		let serverOutput = "";
		let base: string;

		/** A block as it runs here: this run's folder and port, a curl that fails on an error status. */
		function runnable(text: string): string {
			const adapted = text
				.replaceAll("./data", dataDir)
				.replaceAll("localhost:3000", base)
				.replaceAll("/tmp/roster-mail-roster", path.join(dataDir, "mail"))
				.replaceAll("<id>", "$LEAVE_ID");
			return `set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n${adapted}`;
		}

		function bash(script: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
			return new Promise(resolve => {
				const child = spawn("bash", ["-c", script], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env } });
				let output = "";
				child.stdout.on("data", chunk => (output += chunk));
				child.stderr.on("data", chunk => (output += chunk));
				child.once("exit", code => resolve({ code, output }));
			});
		}

		beforeAll(async () => {
			dataDir = mkdtempSync(path.join(os.tmpdir(), "roster-readme-"));
			const [seedLine, startLine] = block(DEMO_DATA).trim().split("\n");
			const seeded = await bash(runnable(seedLine));
			if (seeded.code !== 0) throw new Error(`${seedLine} failed:\n${seeded.output}`);
			// `npm start` is `npm run serve` after a build; PORT=0 for a free port, read from its log.
			const start = runnable(startLine).replace("npm start", "exec npm run serve");
			server = spawn("bash", ["-c", start], {
				cwd: ROOT,
				env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0" },
				detached: true
			});
			server.stdout!.on("data", chunk => (serverOutput += chunk));
			server.stderr!.on("data", chunk => (serverOutput += chunk));
			const deadline = Date.now() + 60_000;
			let port: string | undefined;
			while (!port) {
				if (Date.now() > deadline || server.exitCode !== null) throw new Error(`${startLine} did not listen:\n${serverOutput}`);
				port = /API Gateway listening on http:\/\/[^:]+:(\d+)/.exec(serverOutput)?.[1];
				if (!port) await new Promise(r => setTimeout(r, 100));
			}
			base = `127.0.0.1:${port}`;
			for (let tries = 0; (await fetch(`http://${base}/health/ready`)).status !== 200; tries++) {
				if (tries > 100) throw new Error(`not ready:\n${serverOutput}`);
				await new Promise(r => setTimeout(r, 100));
			}
		});

		afterAll(async () => {
			if (server?.pid && server.exitCode === null) {
				const exited = new Promise(resolve => server.once("exit", resolve));
				process.kill(-server.pid, "SIGTERM");
				await exited;
			}
			if (dataDir && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
		});

		it("the demo logins, their lists, an approval and the reports", async () => {
			// The one <id>: leave of the manager's team waiting for them (never their own).
			const token = await demoLogin("manager");
			const me = (await (await fetch(`http://${base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { employeeId: string };
			const waiting = (await (
				await fetch(`http://${base}/api/v1/leave-requests?status=requested&pageSize=100`, { headers: { Authorization: `Bearer ${token}` } })
			).json()) as {
				rows: Array<{ id: string; employeeId: string }>;
			};
			const leave = waiting.rows.find(r => r.employeeId !== me.employeeId);
			if (!leave) throw new Error(`no leave of the manager's team is waiting: ${JSON.stringify(waiting.rows)}`);
			const { code, output } = await bash(runnable(block(DEMO_CURLS)), { LEAVE_ID: leave.id });
			expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`"id":"${leave.id}"`) });
			expect(output).toContain('"status":"approved"');
			expect(output).toContain('"rows":[');
		});

		it("a company's signup, activation from the mailed link, an invitation and the users list", async () => {
			const { code, output } = await bash(runnable(block(SIGNUP_CURLS)));
			expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('"email":"hal@acme.test"') });
			expect(output).toContain('"email":"ann@acme.test"');
		});

		async function demoLogin(who: string): Promise<string> {
			const res = await fetch(`http://${base}/api/v1/auth/login`, {
				method: "POST",
				headers: { "Content-Type": "application/json" },
				body: JSON.stringify({ email: `${who}@demo.roster.test`, password: "Demo-Password-1" })
			});
			expect(res.status).toBe(200);
			return ((await res.json()) as { accessToken: string }).accessToken;
		}
	});
});
