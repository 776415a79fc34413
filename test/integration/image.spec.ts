/**
 * The image builds, and its configuration loads, without a Docker engine: the Dockerfile's build
 * stage is replayed in a temporary directory from exactly the files its COPY lines name (with
 * .dockerignore applied), its build command runs there, and the result starts as the final
 * stage's ENV and CMD say. A file the build needs but the Dockerfile forgets to copy fails here
 * (the reason this exists: moleculer.config imported scripts/, which the image never had).
 *
 * Two steps are stood in for, and only these:
 * - `npm ci` is replaced by a symlink to this checkout's node_modules (the same lockfile,
 *   installed already; a real install would take minutes and the network).
 * - `npm prune --omit=dev` is not run on that shared node_modules (it would delete this
 *   checkout's dev dependencies); instead every require() in the built dist/ must name a Node
 *   built-in or one of package.json's `dependencies`, which is what the prune leaves.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { builtinModules } from "node:module";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const SECRET = "image-test-secret-0123456789-abcdefghijklmnop";

interface Stage {
	from: string;
	name?: string;
	/** Instructions after FROM, continuation lines joined: [keyword, rest]. */
	steps: [string, string][];
}

function parseDockerfile(text: string): Stage[] {
	const lines = text
		.replace(/\\\r?\n/g, " ")
		.split(/\r?\n/)
		.map(l => l.trim())
		.filter(l => l !== "" && !l.startsWith("#"));
	const stages: Stage[] = [];
	for (const line of lines) {
		const [, keyword, rest] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
		if (!keyword) throw new Error(`cannot read Dockerfile line: ${line}`);
		if (keyword.toUpperCase() === "FROM") {
			const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
			stages.push({ from, name, steps: [] });
		} else {
			stages.at(-1)!.steps.push([keyword.toUpperCase(), rest]);
		}
	}
	return stages;
}

/** .dockerignore as plain paths (every entry here is one); a pattern would need teaching this test. */
function dockerIgnored(): (relative: string) => boolean {
	const file = path.join(ROOT, ".dockerignore");
	const entries = existsSync(file)
		? readFileSync(file, "utf8")
				.split(/\r?\n/)
				.map(l => l.trim().replace(/^\/+|\/+$/g, ""))
				.filter(l => l !== "" && !l.startsWith("#"))
		: [];
	for (const entry of entries) if (/[*?[!]/.test(entry)) throw new Error(`.dockerignore pattern ${entry}: teach image.spec.ts patterns`);
	return relative => entries.some(entry => relative === entry || relative.startsWith(`${entry}/`));
}

/** COPY as Docker does it from the build context: a directory's contents, a file by its name. */
function copyFromContext(args: string, workdir: string, ignored: (relative: string) => boolean): void {
	const parts = args.split(/\s+/);
	if (parts.some(p => p.startsWith("--"))) throw new Error(`COPY ${args}: flags are not replayed by image.spec.ts`);
	const dest = parts.pop()!;
	const target = path.resolve(workdir, dest);
	const intoDir = parts.length > 1 || dest.endsWith("/");
	for (const source of parts) {
		const from = path.join(ROOT, source);
		if (ignored(source) || !existsSync(from)) throw new Error(`COPY ${source}: not in the build context`);
		if (statSync(from).isDirectory()) {
			cpSync(from, target, { recursive: true, filter: f => !ignored(path.relative(ROOT, f)) });
		} else {
			const to = intoDir ? path.join(target, path.basename(source)) : target;
			mkdirSync(path.dirname(to), { recursive: true });
			cpSync(from, to);
		}
	}
}

/** Every package name a built file require()s, other than relative paths. */
function requiredPackages(dir: string): Map<string, string> {
	const found = new Map<string, string>();
	for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
		if (!file.endsWith(".js")) continue;
		const code = readFileSync(path.join(dir, file), "utf8");
		for (const [, spec] of code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
			if (spec.startsWith(".") || spec.startsWith("/")) continue;
			const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
			found.set(name, file);
		}
	}
	return found;
}

/** A build command as the build stage runs it (no NODE_ENV there); its output is the error. */
function run(command: string, cwd: string): void {
	try {
		execFileSync("sh", ["-c", command], { cwd, stdio: "pipe", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir() } });
	} catch (err) {
		const { stdout, stderr } = err as { stdout: Buffer; stderr: Buffer };
		throw new Error(`RUN ${command} failed in the replayed build stage:\n${stdout}${stderr}`);
	}
}

function exited(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise(resolve => child.once("exit", () => resolve()));
}

const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, "Dockerfile"), "utf8"));
const build = dockerfile.find(stage => stage.name === "build");
const runtime = dockerfile.at(-1)!;
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
	engines: { node: string };
	dependencies: Record<string, string>;
};

describe("the image (Dockerfile)", () => {
	let app: string;
	let workspace: string;

	beforeAll(() => {
		workspace = mkdtempSync(path.join(os.tmpdir(), "roster-image-"));
		app = workspace;
		const ignored = dockerIgnored();
		for (const [keyword, args] of build!.steps) {
			if (keyword === "WORKDIR") {
				app = path.join(workspace, args);
				mkdirSync(app, { recursive: true });
			} else if (keyword === "COPY") {
				copyFromContext(args, app, ignored);
			} else if (keyword === "RUN") {
				for (const command of args.split("&&").map(c => c.trim())) {
					if (/^npm ci\b/.test(command)) symlinkSync(path.join(ROOT, "node_modules"), path.join(app, "node_modules"), "dir");
					else if (/^npm prune --omit=dev$/.test(command))
						continue; // checked by "needs only dependencies" below
					else run(command, app);
				}
			} else {
				throw new Error(`${keyword} in the build stage: teach image.spec.ts to replay it`);
			}
		}
	}, 180_000);

	afterAll(() => {
		if (workspace) rmSync(workspace, { recursive: true, force: true });
	});

	/** The final stage's ENV, as the container's environment, plus what compose would add. */
	function imageEnv(extra: Record<string, string>): Record<string, string> {
		const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
		for (const [keyword, args] of runtime.steps) {
			if (keyword !== "ENV") continue;
			for (const [, name, value] of args.matchAll(/(\w+)=(\S+)/g)) env[name] = value;
		}
		return { ...env, ...extra };
	}

	it("runs on a supported Node LTS, the same in both stages, that package.json's engines allow", () => {
		expect(build).toBeDefined();
		expect(new Set(dockerfile.map(stage => stage.from))).toEqual(new Set([build!.from]));
		const major = /^node:(\d+)-/.exec(build!.from)?.[1];
		expect(Number(major)).toBeGreaterThanOrEqual(22);
		expect(pkg.engines.node.split("||").map(range => range.trim())).toContain(major);
	});

	it("builds from exactly the files its build stage copies", () => {
		expect(existsSync(path.join(app, "dist/moleculer.config.js"))).toBe(true);
		expect(readdirSync(path.join(app, "dist/services"), { recursive: true, encoding: "utf8" }).some(f => f.endsWith(".service.js"))).toBe(true);
	});

	it("needs only package.json's dependencies at run time (what npm prune --omit=dev keeps)", () => {
		const builtins = new Set(builtinModules.flatMap(m => [m, `node:${m}`]));
		const missing = [...requiredPackages(path.join(app, "dist"))].filter(([name]) => !builtins.has(name) && !(name in pkg.dependencies));
		expect(missing).toEqual([]);
	});

	it("loads dist/moleculer.config.js with the image's environment into broker options", () => {
		const script = `
			const load = require("./dist/moleculer.config.js").default;
			const options = load();
			console.log(JSON.stringify({ namespace: options.namespace, transporter: options.transporter, cacher: options.cacher.type,
				logLevel: options.logLevel, middlewares: options.middlewares.length }));`;
		const out = execFileSync(process.execPath, ["-e", script], { cwd: app, env: imageEnv({ JWT_SECRET: SECRET }), encoding: "utf8" });
		expect(JSON.parse(out)).toEqual({ namespace: "roster", transporter: null, cacher: "Memory", logLevel: "info", middlewares: expect.any(Number) });
	});

	it("refuses production without JWT_SECRET, in one line", () => {
		let stderr = "";
		try {
			execFileSync(process.execPath, ["-e", `require("./dist/moleculer.config.js").default()`], { cwd: app, env: imageEnv({}), stdio: "pipe" });
		} catch (err) {
			stderr = String((err as { stderr: Buffer }).stderr);
		}
		expect(stderr.trim().split("\n")).toEqual([expect.stringContaining("JWT_SECRET")]);
	});

	it("starts its CMD: every service in one node answers /health/ready, and stops on SIGTERM", async () => {
		const cmd = runtime.steps.find(([keyword]) => keyword === "CMD")?.[1];
		const [binary, ...args] = JSON.parse(cmd!) as string[];
		expect(binary).toBe("node");
		const child = spawn(process.execPath, args, { cwd: app, env: imageEnv({ JWT_SECRET: SECRET, PORT: "0" }), stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		child.stdout!.on("data", chunk => (output += chunk));
		child.stderr!.on("data", chunk => (output += chunk));
		try {
			const deadline = Date.now() + 30_000;
			let port: string | undefined;
			while (!port && Date.now() < deadline && child.exitCode === null) {
				port = /API Gateway listening on http:\/\/[^:]+:(\d+)/.exec(output)?.[1];
				if (!port) await new Promise(r => setTimeout(r, 100));
			}
			if (!port) throw new Error(`the image's CMD did not listen:\n${output}`);
			let ready = 0;
			while (ready !== 200 && Date.now() < deadline) {
				ready = (await fetch(`http://127.0.0.1:${port}/health/ready`)).status;
				if (ready !== 200) await new Promise(r => setTimeout(r, 100));
			}
			expect(ready).toBe(200);
			child.kill("SIGTERM");
			await exited(child);
			expect(child.exitCode).toBe(0);
		} finally {
			if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
			await exited(child);
		}
	}, 60_000);
});
