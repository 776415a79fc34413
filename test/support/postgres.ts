/**
 * A schema of its own for each suite in the test database, so suites and parallel runs never
 * see each other's tables; drop it when done.
 */
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { POSTGRES_URL } from "./external";

/** The test database's URL with a fresh schema (created on first use by the store). */
export function freshSchemaUrl(label = "t"): string {
	const url = new URL(POSTGRES_URL);
	url.searchParams.set("schema", `${label}_${randomUUID().replace(/-/g, "").slice(0, 12)}`);
	return url.toString();
}

export async function dropSchema(schemaUrl: string): Promise<void> {
	const url = new URL(schemaUrl);
	const schema = url.searchParams.get("schema");
	url.searchParams.delete("schema");
	if (!schema) return;
	const client = new Client({ connectionString: url.toString() });
	await client.connect();
	try {
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
	} finally {
		await client.end();
	}
}

/** Creates the test database unless it exists (global setup). */
export async function ensureTestDatabase(): Promise<void> {
	const url = new URL(POSTGRES_URL);
	const name = decodeURIComponent(url.pathname.slice(1));
	url.pathname = "/postgres";
	const client = new Client({ connectionString: url.toString() });
	await client.connect();
	try {
		const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
		// Two runs may race to create it; the loser's error is harmless.
		if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch(() => undefined);
	} finally {
		await client.end();
	}
}
