/**
 * Hostile input against the auth, account and user routes, property-based (fast-check), over HTTP to the
 * whole system in one process. Whatever a client sends, the gateway must answer with a 4xx in
 * the error shape (never a 5xx, never a stack), accept only input that is actually valid, stay
 * alive, and leave the data as it was. Generators for routes that write (signup, logout, create,
 * update, delete) only make input that must be refused, so "nothing changed" can be exact.
 */
import http from "node:http";
import zlib from "node:zlib";
import fc from "fast-check";
import request from "supertest";
import { config } from "../../lib/config";
import { MAX_PAGE } from "../../lib/pagination";
import { ROLES } from "../../lib/roles";
import { itInProcess } from "../support/cluster-topology";
import { PASSWORD, type Session, type Signup, bearer, createUser, signup, uniqueEmail } from "../support/http";
import { type RunningSystem, startLocalSystem } from "../support/local-system";

// Every property sends a hundred-odd requests; the default 5 s is for one request.
const PROPERTY_TIMEOUT = 30_000;

// Limits out of the way: a 429 would hide what the routes themselves answer.
const roomyLimits = {
	...config(),
	rateLimit: { ...config().rateLimit, anonymousPoints: 1_000_000, userPoints: 1_000_000, loginFailsPerAccount: 1_000_000, loginFailsPerIp: 1_000_000 }
};

// ---- HTTP --------------------------------------------------------------------------------

interface Reply {
	status: number;
	contentType: string;
	text: string;
}

interface Call {
	method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
	path: string;
	token?: string;
	headers?: Record<string, string>;
	body?: string | Buffer;
}

let system: RunningSystem;

/**
 * Plain node:http rather than supertest: superagent resolves "..", "%2e%2e" in paths and sets a
 * Content-Type of its own, and these tests must put exact bytes on the wire.
 */
function send(call: Call): Promise<Reply> {
	const { hostname, port } = new URL(system.url);
	const headers: Record<string, string> = { ...call.headers };
	if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
	if (call.body !== undefined) headers["content-length"] = String(Buffer.byteLength(call.body));
	return new Promise((resolve, reject) => {
		const req = http.request({ host: hostname, port, method: call.method, path: call.path, headers, agent: false, timeout: 10_000 }, res => {
			const chunks: Buffer[] = [];
			res.on("data", (chunk: Buffer) => chunks.push(chunk));
			res.on("end", () =>
				resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(chunks).toString("utf8") })
			);
			res.on("error", reject);
		});
		req.on("timeout", () => req.destroy(new Error(`no answer within 10 s to ${call.method} ${call.path}`)));
		req.on("error", reject);
		req.end(call.body);
	});
}

const JSON_TYPE = { "content-type": "application/json" };

// ---- What an acceptable answer looks like --------------------------------------------------

const CLIENT_ERRORS = new Set([400, 401, 403, 404, 409, 413, 415, 422]);
const ERROR_KEYS = new Set(["name", "message", "code", "type", "data"]);

function hasKeyDeep(value: unknown, key: string): boolean {
	if (Array.isArray(value)) return value.some(v => hasKeyDeep(v, key));
	if (value && typeof value === "object") {
		return Object.entries(value).some(([k, v]) => k === key || hasKeyDeep(v, key));
	}
	return false;
}

/** What is wrong with `reply`; `valid` says whether the input deserved a 2xx. */
function faults(reply: Reply, valid: boolean): string[] {
	const { status } = reply;
	if (status >= 500) return [`server error ${status}`];
	if (status >= 200 && status < 300) return valid ? [] : [`accepted invalid input with ${status}`];
	const found: string[] = [];
	if (!CLIENT_ERRORS.has(status)) found.push(`unexpected status ${status}`);
	if (!reply.contentType.startsWith("application/json")) found.push(`error content type ${JSON.stringify(reply.contentType)}`);
	let body: Record<string, unknown>;
	try {
		body = JSON.parse(reply.text);
	} catch {
		return [...found, "error body is not JSON"];
	}
	if (!body || typeof body !== "object" || Array.isArray(body)) return [...found, "error body is not an object"];
	for (const key of ["name", "message", "type"]) {
		if (typeof body[key] !== "string" || body[key] === "") found.push(`error body without a string '${key}'`);
	}
	if (body.code !== status) found.push(`error code ${JSON.stringify(body.code)} is not the status ${status}`);
	const extra = Object.keys(body).filter(k => !ERROR_KEYS.has(k));
	if (extra.length > 0) found.push(`error body has extra keys ${extra.join(", ")}`);
	if (hasKeyDeep(body, "stack") || /\n\s+at .+:\d+:\d+/.test(reply.text)) found.push("error body carries a stack trace");
	return found;
}

function describeCall(call: Call): string {
	const body =
		call.body === undefined
			? ""
			: ` body=${JSON.stringify(squeezeRuns(String(call.body)).slice(0, 300))}${call.body.length > 300 ? `…(${call.body.length} bytes)` : ""}`;
	const headers = call.headers ? ` headers=${JSON.stringify(call.headers)}` : "";
	return `${call.method} ${call.path.slice(0, 300)}${call.token ? " (with token)" : ""}${headers}${body}`;
}

/** Sends `call` and fails, naming the request and the answer, when the answer is not acceptable. */
async function expectRefusedOrValid(call: Call, valid = false): Promise<Reply> {
	const reply = await send(call);
	const found = faults(reply, valid);
	if (found.length > 0) {
		throw new Error(`${describeCall(call)}\n→ ${reply.status} ${reply.text.slice(0, 500)}\nproblems: ${found.join("; ")}`);
	}
	return reply;
}

/** The property form: `call` must be refused. */
function refused(call: Call): Promise<void> {
	return expectRefusedOrValid(call).then(() => undefined);
}

async function expectAlive(): Promise<void> {
	const live = await send({ method: "GET", path: "/health/live" });
	expect(live.status).toBe(200);
	expect(JSON.parse(live.text)).toEqual({ status: "ok" });
}

/** "[[[[…" forty thousand times says less than "[×40000": keeps a counterexample readable. */
function squeezeRuns(text: string): string {
	return text.replace(/([\s\S])\1{99,}/g, (run, char: string) => `${char.repeat(10)}…(${run.length}×${JSON.stringify(char)})…`);
}

/** Runs a property, then checks the node is still alive. */
async function check<T>(property: fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
	try {
		await fc.assert(property, { numRuns });
	} catch (err) {
		if (err instanceof Error) err.message = squeezeRuns(err.message);
		throw err;
	}
	await expectAlive();
}

// ---- Generators ----------------------------------------------------------------------------

/** Every field name some schema of these routes knows. */
const KNOWN_FIELDS = [
	"company",
	"name",
	"email",
	"password",
	"role",
	"employeeId",
	"refreshToken",
	"id",
	"page",
	"pageSize",
	"sort",
	"status",
	"search",
	"tenantId"
];

const nastyString = fc.constantFrom(
	"",
	" ",
	"\t\n",
	"\u0000",
	"null",
	"undefined",
	"true",
	"0",
	"-1",
	"NaN",
	"[object Object]",
	"owner",
	"admin",
	"hr",
	"manager",
	"employee",
	"OWNER",
	"a@b.co",
	"x@y",
	"$ne",
	'{"$gt":""}',
	"<script>alert(1)</script>",
	"' OR 1=1 --",
	"../../etc/passwd",
	"\u202e\u0000\uffff",
	"🙂",
	"x".repeat(201),
	"x".repeat(255),
	"x".repeat(513),
	"x".repeat(1025)
);

const nastyObject = fc.constantFrom<unknown>(
	{ $ne: null },
	{ $gt: "" },
	{ $regex: ".*" },
	{ $where: "1" },
	{ $in: ["owner"] },
	{ toString: 1 },
	{ toString: {}, valueOf: {} },
	{ valueOf: 1 },
	{ hasOwnProperty: 1 },
	[],
	[null],
	[{ toString: 1 }],
	{},
	{ length: 1e9 },
	// JSON.parse makes "__proto__" an own key, which JSON.stringify then writes out again.
	JSON.parse('{"__proto__":{"role":"owner"}}')
);

function nest(depth: number, asArray: boolean): unknown {
	let value: unknown = asArray ? [] : {};
	for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
	return value;
}

const nested = fc.tuple(fc.integer({ min: 2, max: 500 }), fc.boolean()).map(([depth, asArray]) => nest(depth, asArray));
const longString = fc.integer({ min: 1_000, max: 120_000 }).map(n => "y".repeat(n));

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
	{ weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
	{ weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 64 }) },
	{ weight: 2, arbitrary: nastyString },
	{ weight: 2, arbitrary: nastyObject },
	{ weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, true, false, null) },
	{ weight: 1, arbitrary: longString },
	{ weight: 1, arbitrary: nested }
);

const anyKey = fc.oneof(
	fc.constantFrom(
		"$ne",
		"$gt",
		"$where",
		"$regex",
		"$or",
		"$set",
		"__proto__",
		"constructor",
		"prototype",
		"toString",
		"valueOf",
		"hasOwnProperty",
		"_id",
		"roles",
		"passwordHash",
		"isAdmin",
		"",
		" ",
		"a.b",
		"a[b]",
		"\u0000",
		"💥",
		"$$strict",
		"$$async"
	),
	fc.constantFrom(...KNOWN_FIELDS),
	fc.string({ unit: "grapheme", maxLength: 16 })
);

/**
 * A key the route's schema does not know, and that reaches the validator as an own key:
 * "__proto__" does not (assigning it sets a prototype), tenantId is dropped by the gateway and
 * id is overwritten by the path.
 */
function unknownKey(known: readonly string[]): fc.Arbitrary<string> {
	const excluded = new Set([...known, "__proto__", "tenantId", "id"]);
	return fc
		.oneof(
			fc.constantFrom(
				"$ne",
				"$where",
				"constructor",
				"toString",
				"valueOf",
				"hasOwnProperty",
				"isAdmin",
				"passwordHash",
				"_id",
				"roles",
				"",
				" ",
				"Email",
				"email ",
				"$$strict",
				"💥",
				...KNOWN_FIELDS
			),
			fc.string({ unit: "grapheme", maxLength: 16 })
		)
		.filter(key => !excluded.has(key));
}

type FieldKind = "text" | "optionalText" | "email" | "password" | "role" | "optionalRole" | "employeeId" | "token";

const nonString = fc.oneof(
	fc.constant(null),
	fc.integer(),
	fc.double(),
	fc.boolean(),
	fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
	fc.dictionary(anyKey, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
	nastyObject
);

const oversized = (max: number) => fc.integer({ min: max + 1, max: max + 2000 }).map(n => "z".repeat(n));

/**
 * Values the field's schema must refuse. For optional fields null counts as wrong too: "no name"
 * is spelt by leaving the field out, and null is not a name.
 */
const WRONG: Record<FieldKind, fc.Arbitrary<unknown>> = {
	text: fc.oneof(nonString, fc.constantFrom("", "   ", "\t\n"), oversized(200)),
	optionalText: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, nonString, fc.constantFrom("", "   ", "\t\n"), oversized(200)),
	email: fc.oneof(
		nonString,
		fc.string({ unit: "grapheme", maxLength: 40 }).map(s => s.replace(/@/g, "")),
		fc.constant(`a@${"b".repeat(260)}.com`)
	),
	password: fc.oneof(nonString, fc.constant(""), oversized(1024)),
	role: fc.oneof(
		nonString,
		fc.string({ maxLength: 12 }).filter(s => !(ROLES as readonly string[]).includes(s))
	),
	optionalRole: fc.oneof(
		{ weight: 2, arbitrary: fc.constant(null) },
		nonString,
		fc.string({ maxLength: 12 }).filter(s => !(ROLES as readonly string[]).includes(s))
	),
	employeeId: fc.oneof(
		nonString.filter(v => v !== null),
		fc.constant(""),
		oversized(64)
	),
	token: fc.oneof(nonString, fc.constant(""), oversized(512))
};

/** Values the field's schema accepts, so that often the poison is the only thing wrong. */
const PLAUSIBLE: Record<FieldKind, fc.Arbitrary<unknown>> = {
	text: fc.constantFrom("Acme", "Mallory"),
	optionalText: fc.constantFrom("Acme", "Mallory"),
	email: fc.constantFrom("robust-probe@example.test", "ROBUST-probe@Example.TEST "),
	password: fc.constantFrom("Another-Sturdy-Pass-99", "short"),
	role: fc.constantFrom(...ROLES),
	optionalRole: fc.constantFrom(...ROLES),
	employeeId: fc.constantFrom("E-1", null),
	token: fc.constant(`${"0".repeat(8)}-0000-0000-0000-${"0".repeat(12)}.${"A".repeat(43)}`)
};

type Fields = Record<string, FieldKind>;

const ROUTE_FIELDS = {
	signup: { company: "text", name: "text", email: "email", password: "password" },
	login: { email: "email", password: "password" },
	refresh: { refreshToken: "token" },
	logout: { refreshToken: "token" },
	createUser: { email: "email", name: "text", role: "role", employeeId: "employeeId" },
	updateUser: { name: "optionalText", role: "optionalRole" },
	activate: { token: "token", password: "password" },
	changePassword: { currentPassword: "password", newPassword: "password" },
	forgotPassword: { email: "email" },
	resetPassword: { token: "token", password: "password" },
	switchCompany: { companyId: "employeeId" },
	linkEmployee: { employeeId: "employeeId" }
} satisfies Record<string, Fields>;

/** JSON text of an object from entries, so "__proto__" and repeated keys reach the server as written. */
function objectText(entries: Array<[string, unknown]>): string {
	return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`;
}

/**
 * The JSON text of a body `fields`' route must refuse: any junk, then plausible values for its
 * fields, then (last, so it wins over a repeated key) an unknown key or a field of the wrong type.
 */
function invalidBody(fields: Fields): fc.Arbitrary<string> {
	const names = Object.keys(fields);
	const junk = fc.oneof({ weight: 2, arbitrary: fc.constant<Array<[string, unknown]>>([]) }, fc.array(fc.tuple(anyKey, anyValue), { maxLength: 5 }));
	const plausible = fc
		.subarray(names)
		.chain(chosen => fc.tuple(...chosen.map(name => fc.tuple(fc.constant(name), fc.oneof({ weight: 3, arbitrary: PLAUSIBLE[fields[name]] }, anyValue)))));
	const poison = fc.oneof(
		fc.tuple(unknownKey(names), anyValue),
		fc.constantFrom(...names).chain(name => fc.tuple(fc.constant(name), WRONG[fields[name]]))
	);
	const flat = fc.tuple(junk, plausible, poison).map(([j, p, last]) => objectText([...j, ...p, last as [string, unknown]]));
	// Nesting deeper than any object a client builds, written as text (too deep for JSON.stringify's taste).
	const deep = fc
		.tuple(fc.constantFrom(...names, "zz"), fc.integer({ min: 1_000, max: 30_000 }), fc.constantFrom(["[", "]"], ['{"a":', "}"]), unknownKey(names))
		.map(
			([name, depth, [open, close], key]) =>
				`{${JSON.stringify(name)}:${open.repeat(depth)}${close === "]" ? "" : "1"}${close.repeat(depth)},${JSON.stringify(key)}:1}`
		);
	return fc.oneof({ weight: 5, arbitrary: flat }, { weight: 1, arbitrary: deep });
}

/** Any JSON body at all: for routes where no generated input can be valid (login, refresh). */
const anyJsonBody = fc.oneof(
	fc.jsonValue({ maxDepth: 4 }).map(v => JSON.stringify(v)),
	fc.array(fc.tuple(anyKey, anyValue), { maxLength: 6 }).map(objectText),
	fc
		.tuple(fc.oneof(PLAUSIBLE.email, WRONG.email, anyValue), fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), WRONG.password, anyValue))
		.map(([email, password]) =>
			objectText([
				["email", email],
				["password", password]
			])
		),
	fc.integer({ min: 1_000, max: 30_000 }).map(depth => `{"email":${"[".repeat(depth)}${"]".repeat(depth)},"password":"x"}`)
);

/** Text the gateway's strict JSON parser refuses: anything but an object or an array. */
const notJson = fc
	.oneof(
		fc.string({ unit: "grapheme", maxLength: 200 }),
		fc.constantFrom(
			"{",
			'{"a":',
			"[1,",
			"nul",
			"null",
			"1",
			'"str"',
			'{"a":1}{"b":2}',
			"{'a':1}",
			'{"a":01}',
			"[1,]",
			'{"a":NaN}',
			"\u0000{}",
			"\uFEFF\uFEFF{}",
			"x".repeat(150_000)
		)
	)
	.filter(text => {
		// An empty body is read as {}: for PATCH that is a valid (empty) update.
		if (text === "") return false;
		try {
			const parsed: unknown = JSON.parse(text);
			return parsed === null || typeof parsed !== "object";
		} catch {
			return true;
		}
	});

interface RawBody {
	bytes: string | Buffer;
	encoding?: string;
}

/** Raw bytes with a Content-Encoding that may or may not match them. */
/**
 * A body invalid for signup may be valid for another route ({"refreshToken": "…"} is a logout):
 * one field that no strict schema accepts makes an object invalid everywhere.
 */
function invalidForEveryRoute(text: string): string {
	try {
		const parsed: unknown = JSON.parse(text);
		if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return JSON.stringify({ ...parsed, fieldNoRouteAccepts: true });
	} catch {
		// Not JSON: invalid for every route as it is.
	}
	return text;
}

const rawBody: fc.Arbitrary<RawBody> = fc.oneof(
	notJson.map(bytes => ({ bytes })),
	fc.uint8Array({ minLength: 1, maxLength: 300 }).map(bytes => ({ bytes: Buffer.from(bytes) })),
	fc
		.tuple(notJson, fc.constantFrom("gzip", "deflate", "identity", "br", "compress", "gzip, gzip", "GZIP", "x-gzip"))
		.map(([bytes, encoding]) => ({ bytes, encoding })),
	fc.tuple(invalidBody(ROUTE_FIELDS.signup).map(invalidForEveryRoute), fc.constantFrom("gzip", "deflate")).map(([text, encoding]) => ({
		bytes: encoding === "gzip" ? zlib.gzipSync(text) : zlib.deflateSync(text),
		encoding
	})),
	fc.tuple(invalidBody(ROUTE_FIELDS.signup).map(invalidForEveryRoute), fc.integer({ min: 1, max: 15 })).map(([text, cut]) => {
		const zipped = zlib.gzipSync(text);
		return { bytes: zipped.subarray(0, Math.max(1, zipped.length - cut)), encoding: "gzip" };
	})
);

/** Content types the gateway does not parse as JSON, or parses with a charset it cannot decode. */
const oddContentType = fc.constantFrom(
	"text/plain",
	"text/json",
	"application/x-www-form-urlencoded",
	"multipart/form-data; boundary=----x",
	"application/octet-stream",
	"application/xml",
	"*/*",
	"",
	"application/vnd.api+json",
	"application/merge-patch+json",
	"application/json; charset=utf-16",
	"application/json; charset=latin1",
	"application/json; charset=bogus",
	"application/jsonx",
	"json"
);

/** Refresh tokens: our shape with a made-up secret, near misses and junk. */
function refreshTokens(realSessionIds: string[]): fc.Arbitrary<string> {
	const secret = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
	return fc.oneof(
		fc.tuple(fc.oneof(fc.uuid(), fc.constantFrom(...realSessionIds)), secret).map(([sid, s]) => `${sid}.${s}`),
		fc.tuple(fc.constantFrom(...realSessionIds), fc.stringMatching(/^[A-Za-z0-9_-]{42,44}$/)).map(([sid, s]) => `${sid}.${s}`),
		fc.constantFrom(...realSessionIds),
		fc.string({ unit: "grapheme", maxLength: 100 }),
		oversized(512)
	);
}

// ---- Queries and paths ----------------------------------------------------------------------

const LIST_SORTABLE = ["name", "email", "role", "createdAt"];

function isWholeNumberIn(value: string, min: number, max: number): boolean {
	// The schema converts with Number(): " 3 ", "0x10" and "1e1" are numbers too.
	const n = Number(value);
	return Number.isInteger(n) && n >= min && n <= max;
}

/** Whether GET /users accepts one query parameter, by the documented rules. */
function listParamValid(key: string, value: string): boolean {
	switch (key) {
		case "tenantId":
			return true;
		case "page":
			return isWholeNumberIn(value, 1, MAX_PAGE);
		case "pageSize":
			return isWholeNumberIn(value, 1, 100);
		case "sort":
			return (
				value.length <= 200 &&
				value
					.split(",")
					.map(s => s.trim())
					.filter(Boolean)
					.every(field => LIST_SORTABLE.includes(field.startsWith("-") ? field.slice(1) : field))
			);
		case "role":
			return (ROLES as readonly string[]).includes(value);
		case "status":
			return value === "active" || value === "disabled" || value === "invited";
		case "search":
			return value.trim().length >= 1 && value.trim().length <= 100;
		default:
			return false;
	}
}

const listValue = fc.oneof(
	fc.constantFrom(
		"1",
		"2",
		"100",
		"101",
		"0",
		"-1",
		"1.5",
		" 3 ",
		"0x10",
		"1e1",
		"1e20",
		"1e308",
		"9007199254740993",
		"1e400",
		"",
		" ",
		"name",
		"-name",
		"email,-createdAt",
		"name,,role",
		" name , -role ",
		"--name",
		"password",
		"passwordHash",
		"-",
		"owner",
		"disabled",
		"active",
		"ACTIVE",
		"Owner",
		"olivia",
		"*",
		".*",
		"(",
		"[",
		"\\",
		"$",
		"s".repeat(101),
		"s".repeat(201)
	),
	fc.string({ unit: "grapheme", maxLength: 30 }),
	fc.integer({ min: -5, max: 200 }).map(String)
);

/** A list query of known keys with one value each, as [key, value] pairs (encoded when sent). */
const listQuery = fc.uniqueArray(fc.tuple(fc.constantFrom("page", "pageSize", "sort", "role", "status", "search", "tenantId"), listValue), {
	selector: ([key]) => key,
	maxLength: 4
});

const queryText = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");

/** A query-string key the parser keeps as it is and no route knows. */
const plainUnknownKey = fc.stringMatching(/^zz[a-z0-9_]{0,8}$/);

/** Raw query fragments aimed at the query parser: brackets, operators, prototypes, bad escapes. */
const rawQueryPart = fc.oneof(
	fc.constantFrom(
		"page[]=1",
		"page[$ne]=1",
		"__proto__[role]=owner",
		"constructor[prototype][role]=owner",
		"role[$ne]=x",
		"role[]=owner",
		"search=%",
		"search=%E0%A4%A",
		"sort=%00",
		"a[b][c][d][e][f][g]=1",
		"page=1&page=2",
		"=",
		"&&",
		"%=1",
		"tenantId=other",
		"pageSize=1e3",
		"a[999]=x",
		";",
		"search[toString]=1",
		"status[length]=1",
		`search=${"s".repeat(5000)}`,
		"search=%2525",
		"#frag",
		"?"
	),
	fc.string({ maxLength: 30 }).map(s => s.replace(/[^\x21-\x7e]/g, c => encodeURIComponent(c)))
);

/** A path segment for :id, as sent: encoded strings, raw escapes, traversal and junk. */
const rawId = fc.oneof(
	fc.string({ unit: "grapheme", minLength: 1, maxLength: 80 }).map(encodeURIComponent),
	fc.uuid(),
	fc.constantFrom(
		"..",
		".",
		"%2e%2e",
		"%2E",
		"%2F",
		"a%2Fb",
		"%00",
		"%",
		"%zz",
		"%E0%A4%A",
		"%C0%AF",
		"x".repeat(64),
		"y".repeat(65),
		"z".repeat(5000),
		"$ne",
		"%24ne",
		"[object%20Object]",
		"undefined",
		"null",
		"__proto__",
		"constructor",
		"prototype",
		"*",
		"me",
		"~",
		"%20",
		"+",
		"%2B"
	),
	fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@[\]-]{1,40}$/)
);

function decodedId(segment: string): string | undefined {
	try {
		return decodeURIComponent(segment);
	} catch {
		return undefined;
	}
}

// ---- Fixtures --------------------------------------------------------------------------------

interface World {
	owner: Signup;
	employee: { id: string; email: string } & Session;
	/** The owner of another tenant. */
	stranger: Signup;
}

interface Snapshot {
	ownerList: unknown;
	ownerMe: unknown;
	employeeMe: unknown;
	strangerMe: unknown;
	strangerList: unknown;
}

async function getJson(path: string, token: string): Promise<unknown> {
	const res = await request(system.url).get(path).set(bearer(token));
	if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body;
}

async function snapshot(world: World): Promise<Snapshot> {
	return {
		ownerList: await getJson("/api/v1/users?pageSize=100", world.owner.accessToken),
		ownerMe: await getJson("/api/v1/me", world.owner.accessToken),
		employeeMe: await getJson("/api/v1/me", world.employee.accessToken),
		strangerMe: await getJson("/api/v1/me", world.stranger.accessToken),
		strangerList: await getJson("/api/v1/users?pageSize=100", world.stranger.accessToken)
	};
}

const sessionId = (refreshToken: string) => refreshToken.split(".")[0];

// ---- Suite -----------------------------------------------------------------------------------

beforeAll(async () => {
	system = await startLocalSystem({ roster: roomyLimits });
}, PROPERTY_TIMEOUT);

// A request that crashed the validator stays "in flight" for Moleculer: stopping then waits 10 s.
afterAll(() => system?.stop(), 20_000);

describe("hostile input to the auth, account and user routes", () => {
	let world: World;
	let before: Snapshot;

	beforeAll(async () => {
		const owner = await signup(system.url, "Robust Inc");
		world = { owner, employee: await createUser(system.url, owner, "employee"), stranger: await signup(system.url, "Elsewhere Ltd") };
		before = await snapshot(world);
	}, PROPERTY_TIMEOUT);

	const ownIds = () => [world.owner.user.id, world.employee.id];

	describe("auth routes", () => {
		it(
			"POST /auth/signup refuses every invalid body with a 4xx",
			async () => {
				await check(
					fc.asyncProperty(invalidBody(ROUTE_FIELDS.signup), body =>
						refused({ method: "POST", path: "/api/v1/auth/signup", headers: JSON_TYPE, body })
					),
					120
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"POST /auth/login refuses any JSON body it is sent (no generator knows a password)",
			async () => {
				const withRealEmail = fc
					.tuple(
						fc.constantFrom(world.owner.email, world.employee.email.toUpperCase(), ` ${world.stranger.email} `),
						fc.string({ minLength: 1, maxLength: 40 })
					)
					.map(([email, password]) =>
						objectText([
							["email", email],
							["password", password]
						])
					);
				await check(
					fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: anyJsonBody }, { weight: 1, arbitrary: withRealEmail }), body =>
						refused({ method: "POST", path: "/api/v1/auth/login", headers: JSON_TYPE, body })
					),
					120
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"POST /auth/refresh refuses made-up refresh tokens and any other body",
			async () => {
				const sessions = [sessionId(world.owner.refreshToken), sessionId(world.employee.refreshToken)];
				const body = fc.oneof(
					refreshTokens(sessions).map(token => objectText([["refreshToken", token]])),
					fc.tuple(refreshTokens(sessions), unknownKey(["refreshToken"]), anyValue).map(([token, key, value]) =>
						objectText([
							["refreshToken", token],
							[key, value]
						])
					),
					anyJsonBody
				);
				await check(
					fc.asyncProperty(body, text => refused({ method: "POST", path: "/api/v1/auth/refresh", headers: JSON_TYPE, body: text })),
					120
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"POST /auth/logout refuses invalid bodies, signed in or not",
			async () => {
				const caller = fc.constantFrom<string | undefined>(world.owner.accessToken, undefined, "not-a-jwt");
				await check(
					fc.asyncProperty(caller, invalidBody(ROUTE_FIELDS.logout), (token, body) =>
						refused({ method: "POST", path: "/api/v1/auth/logout", token, headers: JSON_TYPE, body })
					),
					80
				);
			},
			PROPERTY_TIMEOUT
		);
	});

	describe("account routes", () => {
		/** Made-up link tokens of our shape, near misses and junk. */
		const linkTokens = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.stringMatching(/^[A-Za-z0-9_-]{40,46}$/), fc.string({ maxLength: 80 }));

		it(
			"POST /auth/activate and /auth/password/reset refuse made-up links and every invalid body",
			async () => {
				const madeUp = fc
					.tuple(linkTokens, fc.option(fc.constantFrom("Another-Sturdy-Pass-99", "short"), { nil: undefined }))
					.map(([token, password]) =>
						objectText(
							password === undefined
								? [["token", token]]
								: [
										["token", token],
										["password", password]
									]
						)
					);
				const route = fc.constantFrom("/api/v1/auth/activate", "/api/v1/auth/password/reset");
				await check(
					fc.asyncProperty(route, fc.oneof(madeUp, invalidBody(ROUTE_FIELDS.activate), invalidBody(ROUTE_FIELDS.resetPassword)), (path, body) =>
						refused({ method: "POST", path, headers: JSON_TYPE, body })
					),
					120
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"POST /auth/password/forgot refuses every invalid body",
			async () => {
				await check(
					fc.asyncProperty(invalidBody(ROUTE_FIELDS.forgotPassword), body =>
						refused({ method: "POST", path: "/api/v1/auth/password/forgot", headers: JSON_TYPE, body })
					),
					80
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"POST /auth/password refuses every invalid body and any wrong current password",
			async () => {
				const wrongCurrent = fc
					.tuple(
						fc.string({ minLength: 1, maxLength: 40 }).filter(p => p !== "Sturdy-Password-42"),
						fc.constantFrom("Brand-New-Phrase-2031", "short")
					)
					.map(([current, next]) =>
						objectText([
							["currentPassword", current],
							["newPassword", next]
						])
					);
				await check(
					fc.asyncProperty(fc.oneof(wrongCurrent, invalidBody(ROUTE_FIELDS.changePassword)), body =>
						refused({ method: "POST", path: "/api/v1/auth/password", token: world.employee.accessToken, headers: JSON_TYPE, body })
					),
					80
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"POST /auth/switch refuses companies the caller is not in and every invalid body",
			async () => {
				const notMine = fc.constantFrom(world.stranger.tenant.id, "00000000-0000-4000-8000-000000000000").map(id => objectText([["companyId", id]]));
				await check(
					fc.asyncProperty(fc.oneof(notMine, invalidBody(ROUTE_FIELDS.switchCompany)), body =>
						refused({ method: "POST", path: "/api/v1/auth/switch", token: world.owner.accessToken, headers: JSON_TYPE, body })
					),
					80
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"PUT and DELETE /users/:id/employee refuse bad links, one's own account and another tenant's user",
			async () => {
				const target = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ownIds(), world.stranger.user.id) }, rawId);
				const madeUpEmployee = fc.uuid().map(id => objectText([["employeeId", id]]));
				await check(
					fc.asyncProperty(target, fc.oneof(madeUpEmployee, invalidBody(ROUTE_FIELDS.linkEmployee)), (segment, body) =>
						refused({ method: "PUT", path: `/api/v1/users/${segment}/employee`, token: world.owner.accessToken, headers: JSON_TYPE, body })
					),
					100
				);
				const unlinkable = fc.oneof(fc.constantFrom(world.owner.user.id, world.stranger.user.id), rawId);
				await check(
					fc.asyncProperty(unlinkable, segment =>
						refused({ method: "DELETE", path: `/api/v1/users/${segment}/employee`, token: world.owner.accessToken })
					),
					40
				);
			},
			PROPERTY_TIMEOUT
		);
	});

	describe("user routes, as the owner", () => {
		it(
			"POST /users refuses every invalid body with a 4xx",
			async () => {
				await check(
					fc.asyncProperty(invalidBody(ROUTE_FIELDS.createUser), fc.option(plainUnknownKey, { nil: undefined }), (body, queryKey) =>
						refused({
							method: "POST",
							path: `/api/v1/users${queryKey ? `?${queryKey}=1` : ""}`,
							token: world.owner.accessToken,
							headers: JSON_TYPE,
							body
						})
					),
					120
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"GET /users answers 200 exactly when the query is valid, and only with the caller's tenant",
			async () => {
				await check(
					fc.asyncProperty(listQuery, async pairs => {
						const valid = pairs.every(([k, v]) => listParamValid(k, v));
						const call: Call = { method: "GET", path: `/api/v1/users?${queryText(pairs)}`, token: world.owner.accessToken };
						const reply = await expectRefusedOrValid(call, valid);
						if (valid && reply.status !== 200)
							throw new Error(`${describeCall(call)}\n→ ${reply.status} ${reply.text.slice(0, 300)}\nproblems: a valid query was refused`);
						if (reply.status === 200) {
							const page = JSON.parse(reply.text) as { rows: Array<{ tenantId: string }>; pageSize: number };
							expect(page.pageSize).toBeLessThanOrEqual(100);
							for (const row of page.rows) expect(row.tenantId).toBe(world.owner.tenant.id);
						}
					}),
					150
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"GET /users refuses raw, hostile query strings that carry an unknown key",
			async () => {
				await check(
					fc.asyncProperty(plainUnknownKey, fc.array(rawQueryPart, { maxLength: 5 }), (key, parts) =>
						refused({ method: "GET", path: `/api/v1/users?${[`${key}=1`, ...parts].join("&")}`, token: world.owner.accessToken })
					),
					100
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"GET /users/:id answers 200 exactly for the caller's own tenant's users",
			async () => {
				const target = fc.oneof(fc.constantFrom(...ownIds(), world.stranger.user.id).map(encodeURIComponent), rawId);
				// Only queries whose meaning is certain: the query parser drops some raw keys (__proto__, "=").
				const query = fc.option(
					fc.oneof(
						plainUnknownKey.map(k => `${k}=1`),
						fc.constantFrom("tenantId=x", `id=${world.stranger.user.id}`)
					),
					{ nil: undefined }
				);
				await check(
					fc.asyncProperty(target, query, async (segment, q) => {
						const id = decodedId(segment);
						// tenantId is dropped by the gateway and id is overwritten by the path: neither makes the query invalid.
						const harmlessQuery = q === undefined || q === "tenantId=x" || q.startsWith("id=");
						const valid = id !== undefined && ownIds().includes(id) && harmlessQuery;
						const call: Call = { method: "GET", path: `/api/v1/users/${segment}${q === undefined ? "" : `?${q}`}`, token: world.owner.accessToken };
						const reply = await expectRefusedOrValid(call, valid);
						if (valid && reply.status !== 200)
							throw new Error(
								`${describeCall(call)}\n→ ${reply.status} ${reply.text.slice(0, 300)}\nproblems: the tenant's own user was not found`
							);
					}),
					120
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"PATCH /users/:id refuses every invalid body, for real and made-up ids",
			async () => {
				const target = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ownIds(), world.stranger.user.id) }, rawId);
				await check(
					fc.asyncProperty(target, invalidBody(ROUTE_FIELDS.updateUser), (segment, body) =>
						refused({ method: "PATCH", path: `/api/v1/users/${segment}`, token: world.owner.accessToken, headers: JSON_TYPE, body })
					),
					150
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"DELETE /users/:id refuses made-up ids, the caller itself, another tenant's user, and unknown parameters",
			async () => {
				// The employee is a valid target, so it is only ever sent with an unknown query key.
				const target = fc.oneof(
					fc.tuple(fc.constantFrom(world.owner.user.id, world.stranger.user.id), fc.option(plainUnknownKey, { nil: undefined })),
					fc.tuple(rawId, fc.option(plainUnknownKey, { nil: undefined })),
					fc.tuple(fc.constant(world.employee.id), plainUnknownKey)
				);
				const body = fc.option(invalidBody(ROUTE_FIELDS.updateUser), { nil: undefined });
				await check(
					fc.asyncProperty(target, body, ([segment, queryKey], text) =>
						refused({
							method: "DELETE",
							path: `/api/v1/users/${segment}${queryKey ? `?${queryKey}=1` : ""}`,
							token: world.owner.accessToken,
							headers: text === undefined ? undefined : JSON_TYPE,
							body: text
						})
					),
					100
				);
			},
			PROPERTY_TIMEOUT
		);
	});

	describe("bodies that are not JSON", () => {
		const bodyRoutes = (): Array<Pick<Call, "method" | "path" | "token">> => [
			{ method: "POST", path: "/api/v1/auth/signup" },
			{ method: "POST", path: "/api/v1/auth/login" },
			{ method: "POST", path: "/api/v1/auth/refresh" },
			{ method: "POST", path: "/api/v1/auth/logout", token: world.owner.accessToken },
			{ method: "POST", path: "/api/v1/users", token: world.owner.accessToken },
			{ method: "PATCH", path: `/api/v1/users/${world.employee.id}`, token: world.owner.accessToken },
			{ method: "POST", path: "/api/v1/auth/activate" },
			{ method: "POST", path: "/api/v1/auth/password", token: world.employee.accessToken },
			{ method: "POST", path: "/api/v1/auth/password/reset" },
			{ method: "POST", path: "/api/v1/auth/switch", token: world.owner.accessToken },
			{ method: "PUT", path: `/api/v1/users/${world.employee.id}/employee`, token: world.owner.accessToken }
		];

		it(
			"raw bytes declared as JSON, with or without a content encoding, are a 4xx",
			async () => {
				await check(
					fc.asyncProperty(fc.constantFrom(...bodyRoutes()), rawBody, (route, raw) =>
						refused({
							...route,
							headers: { ...JSON_TYPE, ...(raw.encoding ? { "content-encoding": raw.encoding } : {}) },
							body: raw.bytes
						})
					),
					150
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"a body in a content type the gateway does not read is a 4xx, never silently dropped",
			async () => {
				const body = fc.oneof(invalidBody(ROUTE_FIELDS.updateUser), notJson, fc.constant("name=Mallory&role=owner"));
				await check(
					fc.asyncProperty(fc.constantFrom(...bodyRoutes()), oddContentType, body, (route, contentType, text) =>
						refused({ ...route, headers: { "content-type": contentType }, body: text })
					),
					120
				);
			},
			PROPERTY_TIMEOUT
		);
	});

	describe("callers who may not", () => {
		it(
			"an employee, another tenant's owner, no token or a bad token changes nobody, whatever the body",
			async () => {
				const token = world.owner.accessToken;
				const [head, payload, signature] = token.split(".");
				// A character in the middle of the payload: the last one of a segment may only carry padding bits.
				const mid = Math.floor(payload.length / 2);
				const tampered = `${head}.${payload.slice(0, mid)}${payload[mid] === "A" ? "B" : "A"}${payload.slice(mid + 1)}.${signature}`;
				const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`;
				const caller = fc.constantFrom<string | undefined>(
					world.employee.accessToken,
					world.stranger.accessToken,
					undefined,
					tampered,
					unsigned,
					"",
					"x.y.z"
				);
				const updateBody = fc.oneof(
					fc.record({ name: fc.constantFrom("Mallory", "Owned"), role: fc.constantFrom(...ROLES) }, { requiredKeys: [] }).map(v => JSON.stringify(v)),
					invalidBody(ROUTE_FIELDS.updateUser)
				);
				const createBody = fc
					.record({ email: fc.constant("mallory@example.test"), name: fc.constant("Mallory"), role: fc.constantFrom(...ROLES) })
					.map(v => JSON.stringify(v));
				const action = fc.oneof(
					fc.tuple(fc.constant<Call["method"]>("PATCH"), fc.constantFrom(...ownIds()), updateBody),
					fc.tuple(fc.constant<Call["method"]>("DELETE"), fc.constantFrom(...ownIds()), fc.constant(undefined)),
					fc.tuple(fc.constant<Call["method"]>("GET"), fc.constant(world.owner.user.id), fc.constant(undefined)),
					fc.tuple(fc.constant<Call["method"]>("POST"), fc.constant(""), createBody)
				);
				await check(
					fc.asyncProperty(caller, action, (who, [method, id, body]) => {
						// Another tenant's owner may create users in their own tenant; that is not this test.
						if (method === "POST" && who === world.stranger.accessToken) return Promise.resolve();
						return refused({
							method,
							path: id ? `/api/v1/users/${id}` : "/api/v1/users",
							token: who,
							headers: body === undefined ? undefined : JSON_TYPE,
							body
						});
					}),
					100
				);
			},
			PROPERTY_TIMEOUT
		);

		it(
			"junk in the Authorization header is a 401, a well-formed header with the real token is not",
			async () => {
				const token = world.owner.accessToken;
				const header = fc.oneof(
					fc.string({ maxLength: 60 }),
					fc.string({ maxLength: 60 }).map(s => `Bearer ${s}`),
					fc.constantFrom(
						"Bearer",
						"Bearer ",
						"Basic dXNlcjpwYXNz",
						`Basic ${token}`,
						`Bearer ${token}x`,
						`Bearer ${token} ${token}`,
						`Bearer\t${token}`
					),
					fc.constantFrom(`Bearer ${token}`, `bearer ${token}`, `BEARER   ${token}  `)
				);
				await check(
					fc.asyncProperty(header, fc.constantFrom("/api/v1/me", "/api/v1/users"), async (value, path) => {
						const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
						const valid = match?.[1] === token;
						const call: Call = { method: "GET", path, headers: { authorization: value } };
						const reply = await expectRefusedOrValid(call, valid);
						if (!valid && reply.status !== 401) throw new Error(`${describeCall(call)}\n→ ${reply.status}\nproblems: expected 401`);
						if (valid && reply.status !== 200) throw new Error(`${describeCall(call)}\n→ ${reply.status}\nproblems: the real token was refused`);
					}),
					100
				);
			},
			PROPERTY_TIMEOUT
		);
	});

	describe("afterwards", () => {
		it("the node still answers /health/live", async () => {
			await expectAlive();
		});

		itInProcess("leaves no request in flight (a graceful stop would wait for it)", () => {
			// Moleculer's context tracker; a request it still counts makes every shutdown wait its full timeout.
			const tracked = (system.broker.services as unknown as Array<{ name: string; _trackedContexts: unknown[] }>)
				.filter(service => service._trackedContexts.length > 0)
				.map(service => `${service.name}: ${service._trackedContexts.length}`);
			expect(tracked).toEqual([]);
		});

		it("changes nothing: the owner's user list, /me of everyone and the other tenant are as before", async () => {
			const after = await snapshot(world);
			expect(after.ownerList).toEqual(before.ownerList);
			expect(after.ownerMe).toEqual(before.ownerMe);
			expect(after.employeeMe).toEqual(before.employeeMe);
			expect(after.strangerMe).toEqual(before.strangerMe);
			expect(after.strangerList).toEqual(before.strangerList);
			// No password changed, and no link was used up on a real account.
			expect((await request(system.url).post("/api/v1/auth/login").send({ email: world.employee.email, password: PASSWORD })).status).toBe(200);
		});
	});
});

/**
 * The hostile inputs the properties above found, one per test, each on a tenant of its own so
 * that a failure here does not also change the data the properties compare.
 */
describe("hostile inputs found by the properties", () => {
	let scratch: Signup;
	let employee: { id: string } & Session;

	beforeAll(async () => {
		scratch = await signup(system.url, "Scratch Co");
		employee = await createUser(system.url, scratch, "employee");
	}, PROPERTY_TIMEOUT);

	const employeeRow = async () => {
		const res = await request(system.url).get(`/api/v1/users/${employee.id}`).set(bearer(scratch.accessToken));
		return res.body as Record<string, unknown>;
	};

	/** A refusal with exactly `status`: these inputs have one right answer. */
	async function expectStatus(call: Call, status: number): Promise<void> {
		const reply = await expectRefusedOrValid(call);
		if (reply.status !== status) throw new Error(`${describeCall(call)}\n→ ${reply.status} ${reply.text.slice(0, 300)}\nproblems: expected ${status}`);
	}

	const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

	// The validator turns the offending value into a string for its message, and that throws.
	it("a string field given an array holding an object whose toString is not a function is a 422, not a 500", async () => {
		const old = await employeeRow();
		await expectStatus(
			{ method: "PATCH", path: `/api/v1/users/${employee.id}`, token: scratch.accessToken, headers: JSON_TYPE, body: '{"employeeId":[{"toString":1}]}' },
			422
		);
		expect(await employeeRow()).toEqual(old);
	});

	it("a string field given an array nested a few thousand deep is a 422, not a 500", async () => {
		await expectStatus({ method: "POST", path: "/api/v1/auth/signup", headers: JSON_TYPE, body: `{"company":${deepArray(5_000)}}` }, 422);
	});

	// The gateway reads the email for the login throttle before the validator has seen it.
	it("POST /auth/login with an email object whose toString is not a function is a 422, not a 500", async () => {
		await expectStatus({ method: "POST", path: "/api/v1/auth/login", headers: JSON_TYPE, body: '{"email":{"toString":1},"password":"x"}' }, 422);
	});

	it("POST /auth/login with a deeply nested email is a 4xx, not a 500", async () => {
		await refused({ method: "POST", path: "/api/v1/auth/login", headers: JSON_TYPE, body: `{"email":${deepArray(20_000)},"password":"x"}` });
	});

	it("a body declared gzip that is not gzip is a 400, not a 500", async () => {
		await expectStatus({ method: "POST", path: "/api/v1/auth/signup", headers: { ...JSON_TYPE, "content-encoding": "gzip" }, body: "{}" }, 400);
	});

	it("PATCH /users/:id with name null is a 422 and leaves the name alone", async () => {
		const old = await employeeRow();
		await expectStatus(
			{ method: "PATCH", path: `/api/v1/users/${employee.id}`, token: scratch.accessToken, headers: JSON_TYPE, body: '{"name":null}' },
			422
		);
		expect(await employeeRow()).toEqual(old);
	});

	it("a line break or other control character in a name is a 422 naming the field; an address keeps its line breaks", async () => {
		for (const body of [
			{ company: "Evil\r\nBcc: x@evil.test", name: "E", email: uniqueEmail(), password: PASSWORD },
			{ company: "Evil", name: "Tab\there", email: uniqueEmail(), password: PASSWORD }
		]) {
			const res = await request(system.url).post("/api/v1/auth/signup").send(body);
			expect(res.status).toBe(422);
			expect(res.body.data[0]).toMatchObject({ field: body.company.startsWith("Evil\r") ? "company" : "name", type: "stringPattern" });
		}
		const old = await employeeRow();
		const renamed = await request(system.url).patch(`/api/v1/users/${employee.id}`).set(bearer(scratch.accessToken)).send({ name: "Two\nLines" });
		expect(renamed.status).toBe(422);
		expect(await employeeRow()).toEqual(old);
		const location = await request(system.url)
			.post("/api/v1/locations")
			.set(bearer(scratch.accessToken))
			.send({ name: `Office ${Math.random()}`, address: "1 Main Street\r\nSpringfield" });
		expect(location.status).toBe(201);
		expect(location.body.address).toBe("1 Main Street\r\nSpringfield");
	});

	it("a '__proto__' key in a JSON body is a 422 naming its field: its fields would pass the strict check as inherited values", async () => {
		for (const body of [
			'{"__proto__":{"foo":1,"companyId":"zzz"},"email":"a@b.test","password":"x"}',
			'{"email":"a@b.test","password":"x","extra":[{"__proto__":{"tenantId":"other"}}]}'
		]) {
			const res = await request(system.url).post("/api/v1/auth/login").set("Content-Type", "application/json").send(body);
			expect(res.status).toBe(422);
			expect(res.body.data[0]).toMatchObject({ field: body.startsWith('{"__proto__"') ? "__proto__" : "extra", type: "forbiddenKey" });
		}
	});

	it("PATCH /users/:id with a text/plain body is a 415 and changes nothing", async () => {
		const old = await employeeRow();
		await expectStatus(
			{
				method: "PATCH",
				path: `/api/v1/users/${employee.id}`,
				token: scratch.accessToken,
				headers: { "content-type": "text/plain" },
				body: '{"name":"Mallory"}'
			},
			415
		);
		expect(await employeeRow()).toEqual(old);
	});
});
