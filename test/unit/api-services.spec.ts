/**
 * The gateway's readiness waits for the services listed in lib/names/services.ts: a service
 * added under services/ and forgotten there would let /health/ready answer 200 without it.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import type { ServiceSchema } from "moleculer";
import { loadConfig } from "../../lib/config";
import { ApiServices, AppServices, DataServices } from "../../lib/names";

const SERVICES = path.resolve(__dirname, "../../services");

function namesIn(layer: "data" | "app"): string[] {
	return readdirSync(path.join(SERVICES, layer), { recursive: true, encoding: "utf8" })
		.filter(f => f.endsWith(".service.ts"))
		.map(f => {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const mod = require(path.join(SERVICES, layer, f));
			return ((mod.default ?? mod) as ServiceSchema).name;
		})
		.sort();
}

describe("the services the API needs (lib/names/services.ts)", () => {
	it("lists every data service", () => {
		expect([...DataServices].sort()).toEqual(namesIn("data"));
	});

	it("lists every application service", () => {
		expect([...AppServices].sort()).toEqual(namesIn("app"));
	});
});

describe("READY_SERVICES", () => {
	it("is every service the API needs by default, or the ones named", () => {
		expect(loadConfig({}).readyServices).toEqual([...ApiServices]);
		expect(loadConfig({ READY_SERVICES: "all" }).readyServices).toEqual([...ApiServices]);
		expect(loadConfig({ READY_SERVICES: "identity, org" }).readyServices).toEqual(["identity", "org"]);
	});

	it("refuses a name that is no service of the API", () => {
		expect(() => loadConfig({ READY_SERVICES: "identity,payroll" })).toThrow(/READY_SERVICES names no service of the API/);
	});
});
