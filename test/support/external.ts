/**
 * Tests that need a real NATS, Redis or PostgreSQL (or a browser, or nginx) use these. On a machine
 * without them the tests are skipped (global setup says so once); with ROSTER_REQUIRE_SERVICES=1, as .ci/run sets it,
 * a missing service fails the suite instead of quietly skipping it.
 */
import { accessSync, constants } from "node:fs";
import net from "node:net";

export const NATS_URL = process.env.TEST_NATS_URL || "nats://127.0.0.1:4222";
export const REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
/** The PostgreSQL database the tests use; each suite takes a schema of its own in it (test/support/postgres). */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/roster_test";

/** Whether something accepts TCP connections at `url` (NATS, Redis, PostgreSQL) within a second. */
export function answers(url: string, defaultPort: number): Promise<boolean> {
	const { hostname, port } = new URL(url);
	return new Promise(resolve => {
		const socket = net.connect({ host: hostname, port: Number(port || defaultPort) });
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1000, () => done(false));
		socket.once("connect", () => done(true));
		socket.once("error", () => done(false));
	});
}

/** The browser the docs page's test drives (Debian's chromium package; .ci/run installs it). */
export const CHROMIUM_PATH = process.env.TEST_CHROMIUM_PATH || "/usr/bin/chromium";

function executable(file: string): boolean {
	try {
		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

export const chromiumInstalled = (): boolean => executable(CHROMIUM_PATH);

/** The load balancer of the reference deployment (Debian's nginx-light package; .ci/run installs it). */
export const NGINX_PATH = process.env.TEST_NGINX_PATH || "/usr/sbin/nginx";

export const nginxInstalled = (): boolean => executable(NGINX_PATH);

export type ExternalService = "nats" | "redis" | "postgres" | "chromium" | "nginx";

const flag: Record<ExternalService, string> = {
	nats: "ROSTER_HAS_NATS",
	redis: "ROSTER_HAS_REDIS",
	postgres: "ROSTER_HAS_POSTGRES",
	chromium: "ROSTER_HAS_CHROMIUM",
	nginx: "ROSTER_HAS_NGINX"
};

export function hasService(name: ExternalService): boolean {
	return process.env[flag[name]] === "1";
}

/** `describe` that runs only when every named service answers. */
export function describeWith(services: ExternalService[], title: string, body: () => void): void {
	const missing = services.filter(s => !hasService(s));
	if (missing.length === 0) return describe(title, body);
	if (process.env.ROSTER_REQUIRE_SERVICES === "1") {
		return describe(title, () => {
			it(`needs ${missing.join(" and ")}`, () => {
				throw new Error(`${missing.join(" and ")} not reachable, and ROSTER_REQUIRE_SERVICES=1`);
			});
		});
	}
	return describe.skip(`${title} (skipped: ${missing.join(" and ")} not reachable)`, body);
}
