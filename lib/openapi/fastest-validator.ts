/**
 * fastest-validator rules (an action's `params`) as JSON Schema (OpenAPI 3.1 uses JSON Schema
 * 2020-12). Only the rule types and options Roster's actions use are mapped; an unknown type
 * becomes an unconstrained schema rather than a wrong one. Rules may come from another node's
 * INFO packet, where a RegExp pattern arrives as `{}`: such a pattern is left out.
 */
export type JsonSchema = Record<string, unknown>;
type Rule = Record<string, unknown>;

/** The shorthand forms ("string", "number|optional") as rule objects. */
function normalise(rule: unknown): Rule {
	if (typeof rule === "string") {
		const [type, ...flags] = rule.split("|");
		return Object.fromEntries([["type", type], ...flags.map(flag => [flag.trim(), true])]);
	}
	return (rule ?? {}) as Rule;
}

function patternOf(pattern: unknown): string | undefined {
	if (pattern instanceof RegExp) return pattern.source;
	return typeof pattern === "string" ? pattern : undefined;
}

function stringSchema(rule: Rule): JsonSchema {
	const schema: JsonSchema = { type: "string" };
	if (typeof rule.min === "number") schema.minLength = rule.min;
	if (typeof rule.max === "number") schema.maxLength = rule.max;
	if (typeof rule.length === "number") schema.minLength = schema.maxLength = rule.length;
	const pattern = patternOf(rule.pattern);
	if (pattern) schema.pattern = pattern;
	if (Array.isArray(rule.enum)) schema.enum = rule.enum;
	return schema;
}

function numberSchema(rule: Rule): JsonSchema {
	const schema: JsonSchema = { type: rule.integer ? "integer" : "number" };
	if (typeof rule.min === "number") schema.minimum = rule.min;
	if (typeof rule.max === "number") schema.maximum = rule.max;
	if (rule.positive) schema.exclusiveMinimum = 0;
	return schema;
}

/** One rule as a schema; nullable rules also accept null. */
export function ruleToSchema(raw: unknown): JsonSchema {
	const rule = normalise(raw);
	let schema: JsonSchema;
	switch (rule.type) {
		case "string":
			schema = stringSchema(rule);
			break;
		case "email":
			schema = { type: "string", format: "email", ...(typeof rule.max === "number" ? { maxLength: rule.max } : {}) };
			break;
		case "url":
			schema = { type: "string", format: "uri" };
			break;
		case "uuid":
			schema = { type: "string", format: "uuid" };
			break;
		case "date":
			schema = { type: "string", format: "date-time" };
			break;
		case "number":
			schema = numberSchema(rule);
			break;
		case "boolean":
			schema = { type: "boolean" };
			break;
		case "enum":
			schema = { enum: [...(rule.values as unknown[])] };
			break;
		case "equal":
			schema = { const: rule.value };
			break;
		case "array":
			schema = { type: "array", ...(rule.items !== undefined ? { items: ruleToSchema(rule.items) } : {}) };
			if (typeof rule.min === "number") schema.minItems = rule.min;
			if (typeof rule.max === "number") schema.maxItems = rule.max;
			if (rule.unique) schema.uniqueItems = true;
			break;
		case "object":
			schema = rule.props || rule.properties ? objectSchema((rule.props ?? rule.properties) as Rule, rule.strict === true) : { type: "object" };
			break;
		default:
			schema = {};
	}
	if (rule.nullable) schema = addNull(schema);
	if (typeof rule.description === "string") schema.description = rule.description;
	return schema;
}

function addNull(schema: JsonSchema): JsonSchema {
	if (typeof schema.type === "string") return { ...schema, type: [schema.type, "null"] };
	if (Array.isArray(schema.enum)) return { ...schema, enum: [...schema.enum, null] };
	return { anyOf: [schema, { type: "null" }] };
}

/** Whether the caller may leave the field out (a default counts as optional). */
export function isOptional(raw: unknown): boolean {
	const rule = normalise(raw);
	return rule.optional === true || rule.default !== undefined;
}

/** A params schema (or an object rule's props) as an object schema; `$$` keys are options. */
export function objectSchema(props: Rule, strict = props.$$strict === true): JsonSchema {
	const fields = Object.entries(props).filter(([key]) => !key.startsWith("$$"));
	const required = fields.filter(([, rule]) => !isOptional(rule)).map(([key]) => key);
	return {
		type: "object",
		properties: Object.fromEntries(fields.map(([key, rule]) => [key, ruleToSchema(rule)])),
		...(required.length > 0 ? { required } : {}),
		...(strict ? { additionalProperties: false } : {})
	};
}
