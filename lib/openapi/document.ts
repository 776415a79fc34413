/**
 * The OpenAPI 3.1 document of the REST API, built from what the gateway routes (its aliases,
 * including those of services on other nodes) and what each action declares: its `params`
 * (fastest-validator, turned into path and query parameters or a JSON body), its `auth` (the
 * Bearer scheme, or none) and its `openapi.responses`.
 */
import { errorResponse, errorStatuses } from "./errors";
import { type JsonSchema, objectSchema } from "./fastest-validator";
import { COMPONENT_SCHEMAS } from "./components";
import { CONTEXT_TAGS, tagOf } from "./tags";
import type { ActionOpenApi, ResponseSpec } from "./types";

/** One route as the gateway holds it. */
export interface RouteInfo {
	method: string;
	/** "/api/v1/employees/:id" */
	path: string;
	action: string;
	/** "stream" for a body handed to the action as a stream (the CSV upload). */
	type: string;
	/** The route asks for no token at all (health). */
	routePublic: boolean;
}

/** What the registry knows of an action (from any node). */
export interface ActionInfo {
	params?: Record<string, unknown>;
	auth?: false | { roles?: string[] };
	openapi?: ActionOpenApi;
}

export interface DocumentInfo {
	title: string;
	version: string;
	description?: string;
}

type Operation = Record<string, unknown>;

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/** "/employees/:id" → "/employees/{id}", and the parameter names in order. */
export function openApiPath(path: string): { path: string; names: string[] } {
	const names: string[] = [];
	const converted = path.replace(/:([A-Za-z0-9_]+)\??/g, (_m, name: string) => {
		names.push(name);
		return `{${name}}`;
	});
	return { path: converted, names };
}

function operation(route: RouteInfo, action: ActionInfo | undefined): Operation {
	const { names } = openApiPath(route.path);
	const params = action?.params ?? {};
	const fields = objectSchema(params, false);
	const properties = fields.properties as Record<string, JsonSchema>;
	const required = new Set((fields.required as string[] | undefined) ?? []);
	const rest = Object.keys(properties).filter(name => !names.includes(name));
	const isPublic = route.routePublic || action?.auth === false;
	const jsonBody = BODY_METHODS.has(route.method) && route.type !== "stream" && rest.length > 0;

	const parameters: Operation[] = names.map(name => ({ name, in: "path", required: true, schema: properties[name] ?? { type: "string" } }));
	if (!jsonBody && route.type !== "stream") {
		for (const name of rest) parameters.push({ name, in: "query", required: required.has(name), schema: properties[name] });
	}

	const op: Operation = {
		operationId: route.action,
		tags: [tagOf(route.action)],
		summary: action?.openapi?.summary ?? route.action,
		...(parameters.length > 0 ? { parameters } : {})
	};
	if (jsonBody) {
		const body = objectSchema(Object.fromEntries(Object.entries(params).filter(([key]) => !names.includes(key))));
		op.requestBody = { required: ((body.required as string[] | undefined) ?? []).length > 0, content: { "application/json": { schema: body } } };
	}
	if (route.type === "stream") {
		op.requestBody = { required: true, content: { "text/csv": { schema: { type: "string" } } } };
	}
	op.security = isPublic ? [] : [{ bearerAuth: [] }];

	const responses: Record<string, ResponseSpec | { $ref: string }> = {};
	for (const [status, spec] of Object.entries(action?.openapi?.responses ?? {})) responses[status] = spec;
	// Visible in the document as what it is; the contract test then takes any answer for it.
	if (Object.keys(responses).length === 0) responses.default = { description: "Not documented yet: the action declares no answers (openapi.responses)" };
	const traits = {
		method: route.method,
		public: isPublic,
		// Routes with no token at all (health) skip the gateway's authenticate(), where limits apply.
		limited: !route.routePublic,
		validated: action?.params !== undefined,
		hasParams: Object.keys(properties).length > 0,
		jsonBody: BODY_METHODS.has(route.method) && route.type !== "stream",
		extra: action?.openapi?.errors
	};
	// An action's own answer for a status (readiness's 503 report) wins over the generic error.
	for (const status of errorStatuses(traits)) responses[String(status)] ??= { $ref: `#/components/responses/Error${status}` };
	op.responses = responses;
	return op;
}

/** The document for these routes; `actions` looks an action's declaration up by name. */
export function buildDocument(info: DocumentInfo, routes: RouteInfo[], actions: (name: string) => ActionInfo | undefined): Record<string, unknown> {
	const paths: Record<string, Record<string, Operation>> = {};
	const used = new Set<string>();
	const sorted = [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
	for (const route of sorted) {
		const { path } = openApiPath(route.path);
		const op = operation(route, actions(route.action));
		used.add((op.tags as string[])[0]);
		(paths[path] ??= {})[route.method.toLowerCase()] = op;
	}
	const known = CONTEXT_TAGS.filter(tag => used.has(tag.name)).map(({ name, description }) => ({ name, description }));
	const others = [...used]
		.filter(name => !CONTEXT_TAGS.some(tag => tag.name === name))
		.sort()
		.map(name => ({ name }));
	const errorStatusesUsed = new Set(
		Object.values(paths).flatMap(ops => Object.values(ops).flatMap(op => Object.keys(op.responses as object).filter(status => Number(status) >= 400)))
	);
	return {
		openapi: "3.1.0",
		info,
		servers: [{ url: "/" }],
		tags: [...known, ...others],
		paths,
		components: {
			securitySchemes: {
				bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The accessToken from POST /api/v1/auth/login" }
			},
			schemas: COMPONENT_SCHEMAS,
			responses: Object.fromEntries(
				[...errorStatusesUsed]
					.sort()
					.map(status => [
						`Error${status}`,
						{ ...errorResponse(Number(status)), content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }
					])
			)
		}
	};
}
