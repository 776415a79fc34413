/**
 * The contract test: every answer the HTTP suites get is checked against the OpenAPI document
 * the gateway serves (GET /api/openapi.json). The status must be declared for that route and
 * the body must match its schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses); an
 * undeclared status or field fails the request's test with one message naming the route,
 * the status and the schema's path. contract.setup.ts hooks it into every supertest request.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

/** A node of the OpenAPI document, walked by JSON pointers: any part may hold any JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Json = Record<string, any>;

interface Operation {
	/** "/api/v1/employees/{id}" */
	path: string;
	pattern: RegExp;
	methods: Record<string, Json>;
}

interface Contract {
	doc: Json;
	operations: Operation[];
}

export interface Answer {
	method: string;
	url: string;
	status: number;
	contentType: string;
	/** The parsed JSON body, when the answer is JSON. */
	body: unknown;
	text: string;
}

const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

/** The document of each gateway the suites talk to, fetched once (again when a route is missing). */
const contracts = new Map<string, Promise<Contract | null>>();

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Literal paths first (/departments/tree before /departments/{id}), as the gateway routes them: in any case. */
function operationsOf(doc: Json): Operation[] {
	const params = (path: string) => (path.match(/\{/g) ?? []).length;
	const paths = Object.entries(doc.paths as Record<string, Json>).sort(([a], [b]) => params(a) - params(b));
	return paths.map(([path, methods]) => ({
		path,
		methods,
		pattern: new RegExp(
			`^${path
				.split(/\{[^}]+\}/)
				.map(escapeRegExp)
				.join("[^/]+")}$`,
			"i"
		)
	}));
}

async function fetchContract(origin: string): Promise<Contract | null> {
	try {
		const res = await fetch(`${origin}/api/openapi.json`);
		if (res.status !== 200) return null;
		const doc = (await res.json()) as Json;
		return doc.openapi ? { doc, operations: operationsOf(doc) } : null;
	} catch {
		return null;
	}
}

function contractOf(origin: string, fresh = false): Promise<Contract | null> {
	if (fresh || !contracts.has(origin)) contracts.set(origin, fetchContract(origin));
	return contracts.get(origin)!;
}

/** A `$ref` inside the document, followed. */
function resolve(doc: Json, node: Json): { node: Json; pointer?: string } {
	if (typeof node.$ref !== "string") return { node };
	const pointer = node.$ref;
	const target = pointer
		.slice(2)
		.split("/")
		.map((part: string) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
		.reduce((at: Json, key: string) => at?.[key], doc);
	return { node: target, pointer };
}

function pointerOf(...parts: string[]): string {
	return "#/" + parts.map(part => part.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

/** The schema with its `$ref`s to the document's components made local to ajv. */
function validatorFor(doc: Json, key: string, schema: Json): ValidateFunction {
	let validate = compiled.get(key);
	if (!validate) {
		const whole = { ...schema, $defs: doc.components?.schemas ?? {} };
		validate = ajv.compile(JSON.parse(JSON.stringify(whole).replace(/"#\/components\/schemas\/([^"]+)"/g, '"#/$defs/$1"')));
		compiled.set(key, validate);
	}
	return validate;
}

/**
 * What is wrong with the answer by the document, or null when it keeps the contract (or is
 * not the API's: another server, a path the document does not hold).
 */
export async function contractViolation(answer: Answer): Promise<string | null> {
	const url = new URL(answer.url);
	if (url.pathname === "/api/openapi.json" || url.pathname.startsWith("/api/docs")) return null;
	if (answer.method === "HEAD" || answer.method === "OPTIONS") return null;
	let contract = await contractOf(url.origin);
	if (!contract) return null;
	const find = (c: Contract) => c.operations.find(op => op.pattern.test(url.pathname));
	let operation = find(contract);
	const method = answer.method.toLowerCase();
	if ((!operation || !operation.methods[method]) && answer.status !== 404) {
		// Something answered that this copy of the document does not know: a service may have
		// joined since it was fetched. (A 404 is no route at all: no need to ask again.)
		contract = (await contractOf(url.origin, true)) ?? contract;
		operation = find(contract);
	}
	if (!operation) return null;
	const route = `${answer.method} ${operation.path}`;
	const op = operation.methods[method];
	if (!op) {
		// A known path with the wrong method: refused as an error, never served.
		if (answer.status !== 404 && answer.status !== 405) return `${route} is not in the document, yet answered ${answer.status}`;
		return checkBody(contract.doc, route, answer, contract.doc.components.schemas.Error, "#/components/schemas/Error");
	}
	// "default" (an action that declares no answers yet, shown as such in the document) takes any status.
	const declared = op.responses?.[String(answer.status)] ?? op.responses?.default;
	if (declared && !op.responses?.[String(answer.status)] && !declared.content) return null;
	if (!declared) {
		return `${route} answered ${answer.status}, which the document does not declare (it declares ${Object.keys(op.responses ?? {}).join(", ")}; ${pointerOf("paths", operation.path, method, "responses")})`;
	}
	const { node: response, pointer } = resolve(contract.doc, declared);
	const responsePointer = pointer ?? pointerOf("paths", operation.path, method, "responses", String(answer.status));
	const content = response.content as Record<string, { schema: Json }> | undefined;
	if (!content) {
		if (answer.text) return `${route} answered ${answer.status} with a body, where the document declares none (${responsePointer})`;
		return null;
	}
	const mediaType = Object.keys(content).find(type => answer.contentType.startsWith(type));
	if (!mediaType) {
		return `${route} answered ${answer.status} as ${answer.contentType || "no content type"}, where the document declares ${Object.keys(content).join(", ")} (${responsePointer})`;
	}
	if (mediaType !== "application/json") return null;
	return checkBody(contract.doc, route, answer, content[mediaType].schema, `${responsePointer}/content/application~1json/schema`);
}

function checkBody(doc: Json, route: string, answer: Answer, schema: Json, schemaPointer: string): string | null {
	const validate = validatorFor(doc, schemaPointer + JSON.stringify(schema).length, schema);
	if (validate(answer.body)) return null;
	const first = validate.errors![0];
	const where = first.instancePath || "(the body)";
	const detail = first.params && "additionalProperty" in first.params ? ` '${first.params.additionalProperty}'` : "";
	return `${route} answered ${answer.status} with a body off the contract: ${where} ${first.message}${detail} (schema ${schemaPointer}${first.schemaPath.slice(1)})`;
}
