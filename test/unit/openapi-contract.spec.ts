/**
 * The pieces of the API reference that need no running system: fastest-validator rules as JSON
 * Schema, the document built from routes and declarations, and the contract check that fails an
 * answer the document does not allow (an undeclared status, a field too many, a wrong type).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type ActionInfo, buildDocument } from "../../lib/openapi/document";
import { objectSchema, ruleToSchema } from "../../lib/openapi/fastest-validator";
import { json, noContent } from "../../lib/openapi/responses";
import { closed, str } from "../../lib/openapi/schemas";
import { DATE_PATTERN, date, email, nullableText, optionalInt } from "../../lib/params";
import { contractViolation } from "../support/contract";

describe("fastest-validator rules as JSON Schema", () => {
	it("keeps lengths, patterns, formats, enums and nullability", () => {
		expect(ruleToSchema(nullableText(50))).toEqual({
			type: ["string", "null"],
			minLength: 1,
			maxLength: 50,
			pattern: String.raw`^[^\u0000-\u001f\u007f]*$`
		});
		expect(ruleToSchema(date)).toEqual({ type: "string", pattern: DATE_PATTERN.source });
		expect(ruleToSchema(email)).toEqual({ type: "string", format: "email", maxLength: 254 });
		expect(ruleToSchema(optionalInt(1, 10))).toEqual({ type: "integer", minimum: 1, maximum: 10 });
		expect(ruleToSchema({ type: "enum", values: ["a", "b"] })).toEqual({ enum: ["a", "b"] });
		expect(ruleToSchema({ type: "array", items: "string", max: 3 })).toEqual({ type: "array", items: { type: "string" }, maxItems: 3 });
	});

	it("drops a pattern that lost its RegExp on the way from another node ({} in JSON)", () => {
		expect(ruleToSchema({ type: "string", pattern: {} })).toEqual({ type: "string" });
	});

	it("makes a strict params schema a closed object, optional fields not required", () => {
		expect(objectSchema({ $$strict: true, name: "string", note: { type: "string", optional: true } })).toEqual({
			type: "object",
			properties: { name: { type: "string" }, note: { type: "string" } },
			required: ["name"],
			additionalProperties: false
		});
	});
});

describe("the contract check", () => {
	let server: http.Server;
	let origin: string;
	const doc = buildDocument(
		{ title: "t", version: "1" },
		[
			{ method: "GET", path: "/api/v1/things/:id", action: "things.get", type: "call", routePublic: false },
			{ method: "DELETE", path: "/api/v1/things/:id", action: "things.remove", type: "call", routePublic: false }
		],
		(name): ActionInfo => ({
			params: { $$strict: true, id: "string" },
			auth: {},
			openapi: { responses: name === "things.get" ? { 200: json(closed({ id: str, name: str })) } : { 204: noContent() } }
		})
	);

	beforeAll(async () => {
		server = http.createServer((_req, res) => res.end(JSON.stringify(doc))).listen(0);
		await new Promise(resolve => server.once("listening", resolve));
		origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(() => new Promise(resolve => server.close(resolve)));

	const answer = (status: number, body: unknown, method = "GET") => ({
		method,
		url: `${origin}/api/v1/things/7`,
		status,
		contentType: "application/json; charset=utf-8",
		body,
		text: JSON.stringify(body)
	});

	it("passes an answer the document declares", async () => {
		expect(await contractViolation(answer(200, { id: "7", name: "A thing" }))).toBeNull();
		expect(await contractViolation(answer(404, { name: "NotFoundError", message: "x", code: 404, type: "NOT_FOUND" }))).toBeNull();
	});

	it("fails an undeclared status, naming route, status and where the statuses are", async () => {
		expect(await contractViolation(answer(418, {}))).toMatch(
			/^GET \/api\/v1\/things\/\{id\} answered 418, which the document does not declare .*#\/paths\/~1api~1v1~1things~1\{id\}\/get\/responses/
		);
	});

	it("fails a field the schema does not name, and a wrong type, with the schema path", async () => {
		expect(await contractViolation(answer(200, { id: "7", name: "A", secret: 1 }))).toMatch(
			/answered 200 with a body off the contract: .*'secret' \(schema #\/paths\/.*additionalProperties\)/
		);
		expect(await contractViolation(answer(200, { id: 7, name: "A" }))).toMatch(/\/id must be string/);
		expect(await contractViolation(answer(404, { message: "x" }))).toMatch(/must have required property 'name'/);
	});

	it("fails a body where the document declares none", async () => {
		expect(await contractViolation({ ...answer(204, { id: "7" }, "DELETE") })).toMatch(/answered 204 with a body, where the document declares none/);
		expect(await contractViolation({ ...answer(204, {}, "DELETE"), text: "" })).toBeNull();
	});
});
