/**
 * `npm start` and `npm run serve` pass signals to the broker: Ctrl-C in a terminal, or a process
 * manager's SIGTERM to npm, stops the broker gracefully and leaves no process behind. (npm
 * forwards the signal to the shell running the script; a shell that does not `exec` the runner
 * dies alone and the broker lives on, re-parented to PID 1.)
 *
 * Runs `npm run serve` on the dist/ that `npm test` builds; `npm start` is the same script after
 * a build, which a test must not run (it would rebuild dist/ under the suites running beside it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** Pids of every live descendant of `pid`, read from /proc. */
function descendants(pid: number): number[] {
	const children = new Map<number, number[]>();
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		const ppid = parentOf(Number(entry));
		if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
	}
	const found: number[] = [];
	const visit = (p: number) => {
		for (const child of children.get(p) ?? []) {
			found.push(child);
			visit(child);
		}
	};
	visit(pid);
	return found;
}

function stat(pid: number): string[] | undefined {
	try {
		// "pid (comm) state ppid …"; comm may hold spaces, so split after its closing parenthesis.
		const text = readFileSync(`/proc/${pid}/stat`, "utf8");
		return text.slice(text.lastIndexOf(")") + 2).split(" ");
	} catch {
		return undefined;
	}
}

function parentOf(pid: number): number | undefined {
	const fields = stat(pid);
	return fields ? Number(fields[1]) : undefined;
}

/** Still running: it exists and is not a zombie (exited, waiting to be reaped by whoever adopted it). */
function running(pid: number): boolean {
	const state = stat(pid)?.[0];
	return state !== undefined && state !== "Z" && state !== "X";
}

interface Served {
	npm: ChildProcess;
	url: string;
	output(): string;
	exited: Promise<void>;
}

/** `npm run serve` with every service in one process on a free port, once the gateway answers. */
async function serve(): Promise<Served> {
	const npm = spawn("npm", ["run", "serve"], {
		cwd: ROOT,
		// A clean environment: the embedded defaults, whatever the developer's shell exports.
		env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test", PORT: "0", LOG_LEVEL: "info" },
		stdio: ["ignore", "pipe", "pipe"]
	});
	let output = "";
	npm.stdout!.on("data", chunk => (output += chunk));
	npm.stderr!.on("data", chunk => (output += chunk));
	const exited = new Promise<void>(resolve => npm.once("exit", () => resolve()));
	const deadline = Date.now() + 30_000;
	let port: string | undefined;
	while (!port) {
		if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`npm run serve did not listen:\n${output}`);
		port = /API Gateway listening on http:\/\/[^:]+:(\d+)/.exec(output)?.[1];
		if (!port) await new Promise(r => setTimeout(r, 100));
	}
	const url = `http://127.0.0.1:${port}`;
	expect((await fetch(`${url}/health/live`)).status).toBe(200);
	return { npm, url, output: () => output, exited };
}

async function allGone(pids: number[], withinMs: number): Promise<number[]> {
	const deadline = Date.now() + withinMs;
	while (Date.now() < deadline) {
		if (!pids.some(running)) return [];
		await new Promise(r => setTimeout(r, 100));
	}
	return pids.filter(running);
}

const describeOnLinux = process.platform === "linux" ? describe : describe.skip;

describeOnLinux("npm run serve passes signals to the broker", () => {
	it("npm start is npm run serve after the build", () => {
		const { scripts } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
		expect(scripts.start).toBe(scripts.serve);
		expect(scripts.prestart).toBe("npm run build");
	});

	it.each(["SIGTERM", "SIGINT"] as const)(
		"%s to npm stops the broker gracefully, and every process of the tree exits within 10 s",
		async signal => {
			const served = await serve();
			const tree = [served.npm.pid!, ...descendants(served.npm.pid!)];
			try {
				expect(tree.length).toBeGreaterThan(1);
				// Real-time push is part of the one process, on a port of its own (any free one with PORT=0).
				const listening = /Realtime listening on ws:\/\/[^:]+:(\d+)\/realtime/;
				for (let tries = 0; !listening.test(served.output()) && tries < 100; tries++) await new Promise(r => setTimeout(r, 100));
				const realtimePort = listening.exec(served.output())?.[1];
				expect(realtimePort).toBeDefined();
				expect((await fetch(`http://127.0.0.1:${realtimePort}/health/live`)).status).toBe(200);
				served.npm.kill(signal);
				expect(await allGone(tree, 10_000)).toEqual([]);
				await served.exited;
				expect(served.output()).toContain("ServiceBroker is stopped");
				await expect(fetch(`${served.url}/health/live`)).rejects.toThrow();
			} finally {
				for (const pid of tree.filter(running)) process.kill(pid, "SIGKILL");
			}
		},
		60_000
	);
});
