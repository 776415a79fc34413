/**
 * What a node loads to start on the embedded defaults. Modules that only one configuration
 * needs are loaded when it is chosen: each is time and memory on every start (bench:cold-start).
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** The packages a fresh process has loaded after requiring every service file, with `env`. */
function loadedPackages(env: Record<string, string>): string[] {
	const services = readdirSync(path.join(ROOT, "services"), { recursive: true, encoding: "utf8" })
		.filter(file => file.endsWith(".service.ts"))
		.map(file => path.join(ROOT, "services", file));
	const script = `
		for (const file of ${JSON.stringify(services)}) require(file);
		const loaded = new Set(Object.keys(require.cache).map(file => (file.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(.*)$/) ?? []).slice(1).join("/")));
		process.stdout.write(JSON.stringify([...loaded]));`;
	const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
	return JSON.parse(out) as string[];
}

describe("what a node loads to start", () => {
	let embedded: string[];
	beforeAll(() => {
		embedded = loadedPackages({ DATABASE_URL: "", MONGO_URI: "", SMTP_URL: "" });
	}, 60_000);

	it("sees the packages it loads", () => {
		expect(embedded.some(file => file.startsWith("@seald-io/nedb/"))).toBe(true);
		expect(embedded.some(file => file.startsWith("moleculer-web/"))).toBe(true);
	});

	it("does not load Swagger UI's browser bundle: the docs page serves it as a file", () => {
		expect(embedded.filter(file => file.startsWith("swagger-ui-dist/swagger-ui"))).toEqual([]);
	});

	it("does not load the MongoDB driver or nodemailer where neither is configured", () => {
		expect(embedded.filter(file => file.startsWith("mongodb/") || file.startsWith("nodemailer/"))).toEqual([]);
	});
});
