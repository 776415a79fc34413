/**
 * Moleculer's fastest-validator, made safe for hostile input. Two gaps let bad input through
 * or crash a call: the checker throws (instead of reporting) on values it cannot print, such
 * as {"toString": 1} or arrays nested thousands deep, and an `optional` field accepts null.
 * Both now end as a 422 that names the field, and the handler never runs. So does text holding
 * a NUL character, which PostgreSQL cannot store or compare. A value outside an enum is told
 * the values it may take.
 */
import { Validators } from "moleculer";

type Check = ((params: unknown, opts?: unknown) => true | ValidationItem[]) & { async?: boolean };
interface ValidationItem {
	type: string;
	field?: string;
	message: string;
}
type Schema = Record<string, unknown>;

/** Walks a value (not deeper than a sane request) for strings holding NUL, which no store keeps as text. */
function holdsNul(value: unknown, depth = 0): boolean {
	if (typeof value === "string") return value.includes("\u0000");
	if (depth > 32 || value === null || typeof value !== "object") return false;
	return Object.entries(value).some(([key, v]) => key.includes("\u0000") || holdsNul(v, depth + 1));
}

function nullRejectedFields(schema: Schema): string[] {
	return Object.entries(schema)
		.filter(([key, rule]) => !key.startsWith("$$") && typeof rule === "object" && rule !== null)
		.filter(([, rule]) => (rule as Schema).optional === true && (rule as Schema).nullable !== true)
		.map(([key]) => key);
}

/**
 * fastest-validator's own text for a value outside an enum puts the allowed list where the
 * rejected value belongs ("field value 'a, b' does not match any of the allowed values").
 */
const MESSAGES: Record<string, string> = {
	enumValue: "The '{field}' field must be one of: {expected}."
};

export class SafeValidator extends Validators.Fastest {
	constructor() {
		super();
		// Moleculer's typings leave out the fastest-validator instance the class holds.
		const { validator } = this as unknown as { validator: { addMessage(name: string, text: string): void } };
		for (const [name, text] of Object.entries(MESSAGES)) validator.addMessage(name, text);
	}

	override compile(schema: Schema): Check {
		const check = super.compile(schema) as unknown as Check;
		const noNulls = nullRejectedFields(schema);
		let perField: Array<[string, Check]> | undefined;
		/** Only on the failure path: which top-level fields make the checker throw. */
		const culprits = (params: Record<string, unknown>): string[] => {
			perField ??= Object.keys(schema)
				.filter(key => !key.startsWith("$$"))
				.map(key => [key, super.compile({ [key]: schema[key] }) as unknown as Check]);
			return perField
				.filter(([key, fieldCheck]) => {
					try {
						fieldCheck({ [key]: params[key] });
						return false;
					} catch {
						return true;
					}
				})
				.map(([key]) => key);
		};
		const safe: Check = (params, opts) => {
			const given = (params ?? {}) as Record<string, unknown>;
			const nulls = noNulls.filter(field => given[field] === null);
			if (nulls.length > 0) {
				return nulls.map(field => ({ type: "notNull", field, message: `The '${field}' field must not be null.` }));
			}
			const withNul = Object.keys(given).filter(field => holdsNul(given[field]));
			if (withNul.length > 0) {
				return withNul.map(field => ({ type: "nulCharacter", field, message: `The '${field}' field must not hold a NUL character.` }));
			}
			try {
				return check(params, opts);
			} catch {
				// The checker failed while describing the bad value: the value is what is wrong.
				const fields = culprits(given);
				const message = (field?: string) =>
					`The ${field ? `'${field}' field` : "request"} holds a value that cannot be checked (unprintable or nested too deep).`;
				return fields.length > 0
					? fields.map(field => ({ type: "invalid", field, message: message(field) }))
					: [{ type: "invalid", message: message() }];
			}
		};
		safe.async = check.async;
		return safe;
	}
}
