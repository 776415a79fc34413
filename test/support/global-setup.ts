import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CHROMIUM_PATH, NATS_URL, NGINX_PATH, POSTGRES_URL, REDIS_URL, answers, chromiumInstalled, nginxInstalled } from "./external";
import { ensureTestDatabase } from "./postgres";

async function postgresReady(): Promise<boolean> {
	if (!(await answers(POSTGRES_URL, 5432))) return false;
	try {
		await ensureTestDatabase();
		return true;
	} catch (err) {
		console.warn(`\n[roster] PostgreSQL answers at ${POSTGRES_URL} but the test database could not be made: ${(err as Error).message}`);
		return false;
	}
}

/** Probe NATS, Redis, PostgreSQL, the browser and nginx once; the workers read the result from the environment. */
export default async function globalSetup(): Promise<void> {
	// One mail folder for the run, shared by the test processes and every node they start.
	process.env.MAIL_DIR ??= mkdtempSync(path.join(os.tmpdir(), "roster-test-mail-"));
	process.env.SMS_DIR ??= mkdtempSync(path.join(os.tmpdir(), "roster-test-sms-"));
	const [nats, redis, postgres] = await Promise.all([answers(NATS_URL, 4222), answers(REDIS_URL, 6379), postgresReady()]);
	process.env.ROSTER_HAS_NATS = nats ? "1" : "0";
	process.env.ROSTER_HAS_REDIS = redis ? "1" : "0";
	process.env.ROSTER_HAS_POSTGRES = postgres ? "1" : "0";
	const chromium = chromiumInstalled();
	process.env.ROSTER_HAS_CHROMIUM = chromium ? "1" : "0";
	const nginx = nginxInstalled();
	process.env.ROSTER_HAS_NGINX = nginx ? "1" : "0";
	const missing = [
		!nats && `NATS (${NATS_URL})`,
		!redis && `Redis (${REDIS_URL})`,
		!postgres && `PostgreSQL (${POSTGRES_URL})`,
		!chromium && `chromium (${CHROMIUM_PATH})`,
		!nginx && `nginx (${NGINX_PATH})`
	].filter(Boolean);
	if (missing.length > 0) {
		const what = process.env.ROSTER_REQUIRE_SERVICES === "1" ? "will FAIL" : "are SKIPPED";
		console.warn(`\n[roster] ${missing.join(" and ")} not reachable: the tests that need them ${what}.\n`);
	}
}
