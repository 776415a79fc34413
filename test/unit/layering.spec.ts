/**
 * The dependency rule, checked by reading the code: data services never call application or
 * gateway services, application services hold no collections, and no collection has two
 * owners. Calls are found in the source, with names resolved through lib/names.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import * as Names from "../../lib/names";

type Layer = "gateway" | "app" | "data";

interface ServiceFile {
	file: string;
	layer: Layer;
	name: string;
	source: string;
	schema: ServiceSchema;
}

const ROOT = path.resolve(__dirname, "../..");
const SERVICES = path.join(ROOT, "services");

/**
 * A service's source: its .service.ts file and, when it is split by aggregate, the files of
 * the folder beside it (services/data/leave.service.ts + services/data/leave.parts/). The
 * folder must not bear the service's bare name: moleculer-runner would take SERVICES=data/leave
 * for that folder and find no service in it.
 */
function sourceOf(file: string): string {
	const folder = path.join(SERVICES, file.replace(/\.service\.ts$/, ".parts"));
	const parts = existsSync(folder)
		? readdirSync(folder, { recursive: true, encoding: "utf8" })
				.filter(f => f.endsWith(".ts"))
				.map(f => path.join(folder, f))
		: [];
	return [path.join(SERVICES, file), ...parts].map(f => readFileSync(f, "utf8")).join("\n");
}

function serviceFiles(): ServiceFile[] {
	return readdirSync(SERVICES, { recursive: true, encoding: "utf8" })
		.filter(f => f.endsWith(".service.ts"))
		.map(file => {
			const layer = file.split(path.sep)[0] as Layer;
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const mod = require(path.join(SERVICES, file));
			const schema = (mod.default ?? mod) as ServiceSchema;
			return { file, layer, name: schema.name, source: sourceOf(file), schema };
		});
}

/** `"org.getDepartment"` or `OrgActions.getDepartment` → "org.getDepartment". */
function resolveTarget(expression: string): string | undefined {
	const literal = /^["'`]([\w$-]+\.[\w.$-]+)["'`]$/.exec(expression);
	if (literal) return literal[1];
	const constant = /^(\w+)\.(\w+)$/.exec(expression);
	if (constant) {
		const group = (Names as unknown as Record<string, Record<string, unknown> | undefined>)[constant[1]];
		const value = group?.[constant[2]];
		if (typeof value === "string") return value;
	}
	return undefined;
}

/** Every call target in the source: ctx.call, broker.call, mcall entries. */
export function callTargets(source: string): { expression: string; target: string | undefined }[] {
	const found: { expression: string; target: string | undefined }[] = [];
	const callRe = /\.(?:call|mcall)\s*(?:<[^()]*?>)?\s*\(\s*([^,()]+?)\s*[,)]/g;
	for (const match of source.matchAll(callRe)) {
		found.push({ expression: match[1], target: resolveTarget(match[1]) });
	}
	return found;
}

describe("layering", () => {
	const files = serviceFiles();
	const layerOf = new Map(files.map(f => [f.name, f.layer]));

	it("reads calls written either way", () => {
		const source = `await ctx.call<number, { id: string }>(EmployeeActions.countInDepartment, { id });
			this.broker.call("identity.session", {}); ctx.mcall([]); ctx.call(name, {});`;
		expect(callTargets(source).map(c => c.target)).toEqual(["employees.countInDepartment", "identity.session", undefined, undefined]);
	});

	it("finds the services in their layers", () => {
		expect(files.length).toBeGreaterThan(1);
		for (const f of files) expect(["gateway", "app", "data"]).toContain(f.layer);
		expect(layerOf.get("identity")).toBe("data");
		expect(layerOf.get("api")).toBe("gateway");
	});

	it("resolves every call a service makes to a known service", () => {
		for (const f of files) {
			for (const call of callTargets(f.source)) {
				// A computed name (e.g. the readiness probe's registry walk) must stay in the gateway.
				if (call.target === undefined) {
					expect({ file: f.file, call: call.expression, layer: f.layer }).toMatchObject({ layer: "gateway" });
					continue;
				}
				const service = call.target.slice(0, call.target.lastIndexOf("."));
				expect({ file: f.file, call: call.target, known: layerOf.has(service) }).toMatchObject({ known: true });
			}
		}
	});

	it("data services call only data services", () => {
		for (const f of files.filter(f => f.layer === "data")) {
			for (const { target } of callTargets(f.source)) {
				const service = target!.slice(0, target!.lastIndexOf("."));
				expect({ file: f.file, calls: target, layer: layerOf.get(service) }).toMatchObject({ layer: "data" });
			}
		}
	});

	it("application services call no gateway", () => {
		for (const f of files.filter(f => f.layer === "app")) {
			for (const { target } of callTargets(f.source)) {
				const service = target!.slice(0, target!.lastIndexOf("."));
				expect({ file: f.file, calls: target, layer: layerOf.get(service) }).not.toMatchObject({ layer: "gateway" });
			}
		}
	});

	it("only the store adapters (lib/store/) and the db mixin name a storage library", () => {
		const offenders = readdirSync(ROOT, { recursive: true, encoding: "utf8" })
			.filter(f => /^(services|lib|middlewares|mixins)\//.test(f) && f.endsWith(".ts"))
			.filter(f => !f.startsWith(path.join("lib", "store") + path.sep) && f !== path.join("mixins", "db.mixin.ts"))
			.filter(f => /(from |require\()"(moleculer-db-adapter-mongo|mongodb|pg|@seald-io\/nedb)"/.test(readFileSync(path.join(ROOT, f), "utf8")));
		expect(offenders).toEqual([]);
	});

	describe("collections", () => {
		const broker = new ServiceBroker({ logger: false });
		const services = files.map(f => ({ file: f, service: broker.createService(f.schema) }));
		afterAll(() => broker.stop());

		it("belong to data services only, each to exactly one", () => {
			const owner = new Map<string, string>();
			for (const { file, service } of services) {
				const s = service as unknown as { adapter?: unknown; schema: { collection?: string }; stores?: Map<string, unknown> };
				const owned = [s.schema.collection, ...(s.stores?.keys() ?? [])].filter((c): c is string => !!c);
				if (file.layer !== "data") {
					expect({ file: file.file, adapter: !!s.adapter, owned }).toEqual({ file: file.file, adapter: false, owned: [] });
					continue;
				}
				for (const collection of owned) {
					expect({ collection, owners: [owner.get(collection), file.name].filter(Boolean) }).toEqual({ collection, owners: [file.name] });
					owner.set(collection, file.name);
				}
			}
			expect(owner.size).toBeGreaterThan(0);
		});
	});
});
