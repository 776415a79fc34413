/**
 * deploy/nginx.conf under a real nginx, with the fewest changes that let it run outside Docker:
 * no Docker DNS (the `resolver` lines and `resolve` go), the upstream names become the test's
 * own 127.0.0.1 ports, and it listens on a free port. Every location, header, timeout and retry
 * rule stays the file's own. Each rewrite fails when the line it expects is not there, so a
 * change to the file shows up here rather than passing unseen.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { waitFor } from "./cluster-system";
import { NGINX_PATH } from "./external";

export const NGINX_CONF = path.resolve(__dirname, "../../deploy/nginx.conf");

export interface Upstreams {
	listen: number;
	gateways: number[];
	realtime: number[];
}

function rewriteOnce(text: string, pattern: RegExp, replace: (...groups: string[]) => string, what: string): string {
	const found = text.match(new RegExp(pattern.source, `${pattern.flags.replace("g", "")}g`))?.length ?? 0;
	if (found !== 1) throw new Error(`${NGINX_CONF}: expected exactly one ${what} (${pattern}), found ${found}: the test's rewrite must follow the file`);
	return text.replace(pattern, (_match, ...groups: string[]) => replace(...groups));
}

/** The upstream `server <host>:<port> resolve …;` line, as the same parameters once per local port. */
function localServers(text: string, host: string, ports: number[]): string {
	const line = new RegExp(`^([ \\t]*)server ${host} resolve((?: [^;]*)?);[ \\t]*$`, "m");
	return rewriteOnce(text, line, (indent, params) => ports.map(port => `${indent}server 127.0.0.1:${port}${params};`).join("\n"), `upstream server ${host}`);
}

/** deploy/nginx.conf's text with the rewrites above: what goes in the http context. */
export function runnableConfig(source: string, ports: Upstreams): string {
	let text = source;
	text = rewriteOnce(text, /^[ \t]*resolver [^;]*;[ \t]*\n/m, () => "", "`resolver` line");
	text = rewriteOnce(text, /^[ \t]*resolver_timeout [^;]*;[ \t]*\n/m, () => "", "`resolver_timeout` line");
	text = localServers(text, "gateway:3000", ports.gateways);
	text = localServers(text, "realtime:3300", ports.realtime);
	text = rewriteOnce(text, /^([ \t]*)listen 80;/m, indent => `${indent}listen 127.0.0.1:${ports.listen};`, "`listen 80;`");
	// Anything left that wants Docker's DNS or names a host of the compose network would make this
	// nginx fail or differ from the deployed one without saying why.
	const leftover = text.replace(/#.*$/gm, "").match(/\bresolver?\b.*|^[ \t]*server[ \t]+(?!127\.0\.0\.1:|\{).*$/m);
	if (leftover) throw new Error(`${NGINX_CONF}: the test does not know how to run "${leftover[0].trim()}" outside Docker`);
	return text;
}

export interface Nginx {
	url: string;
	wsUrl: string;
	/** The access log: one line per request, `<method> <uri> <status> upstreams=<addr, …> statuses=<status, …>`. */
	accessLog(): string;
	output(): string;
	stop(): Promise<void>;
}

/** nginx in the foreground with everything of its own (pid, logs, temp files) in a temp directory. */
export async function startNginx(ports: Upstreams): Promise<Nginx> {
	const config = runnableConfig(readFileSync(NGINX_CONF, "utf8"), ports);
	const dir = mkdtempSync(path.join(os.tmpdir(), "roster-nginx-"));
	// Started as root, nginx's workers run as nobody: they must reach the temp directories inside.
	chmodSync(dir, 0o755);
	writeFileSync(path.join(dir, "roster.conf"), config);
	const at = (name: string) => path.join(dir, name);
	writeFileSync(
		at("nginx.conf"),
		[
			"daemon off;",
			"worker_processes 1;",
			`pid ${at("nginx.pid")};`,
			`error_log ${at("error.log")} warn;`,
			"events { worker_connections 256; }",
			"http {",
			...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(kind => `\t${kind}_temp_path ${at(kind)};`),
			// Which gateways a request went to, and what each answered: the retry rules made visible.
			"\tlog_format upstreams '$request_method $uri $status upstreams=$upstream_addr statuses=$upstream_status';",
			`\taccess_log ${at("access.log")} upstreams;`,
			`\tinclude ${at("roster.conf")};`,
			"}",
			""
		].join("\n")
	);
	const child: ChildProcess = spawn(NGINX_PATH, ["-p", dir, "-e", at("error.log"), "-c", at("nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
	let log = "";
	child.stdout!.on("data", chunk => (log += chunk));
	child.stderr!.on("data", chunk => (log += chunk));
	const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
	const read = (name: string) => {
		try {
			return readFileSync(at(name), "utf8");
		} catch {
			return "";
		}
	};
	const output = () => `${log}${read("error.log")}`;
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
		await exited;
		rmSync(dir, { recursive: true, force: true });
	};
	process.once("exit", () => child.kill("SIGKILL"));
	const url = `http://127.0.0.1:${ports.listen}`;
	try {
		await waitFor("nginx to listen", async () => {
			if (child.exitCode !== null) throw new Error(`(nginx exited with ${child.exitCode})`);
			await fetch(`${url}/health/live`);
			return true;
		});
	} catch (err) {
		const why = `${(err as Error).message}\n--- nginx ---\n${output()}`;
		await stop();
		throw new Error(why);
	}
	return { url, wsUrl: `ws://127.0.0.1:${ports.listen}/realtime`, accessLog: () => read("access.log"), output, stop };
}
