/**
 * Parameter rules shared by every published action (fastest-validator). Every action's schema
 * is strict ($$strict: true), so an unknown field is a 422 that names it.
 */
export const text = (max = 200) => ({ type: "string", trim: true, min: 1, max }) as const;
export const optionalText = (max = 200) => ({ ...text(max), optional: true }) as const;
/** A field that may be cleared with null. */
export const nullableText = (max = 200) => ({ ...text(max), optional: true, nullable: true }) as const;
export const id = { type: "string", min: 1, max: 64 } as const;
export const optionalId = { ...id, optional: true } as const;
export const nullableId = { ...id, optional: true, nullable: true } as const;
export const email = { type: "email", normalize: true, max: 254 } as const;
export const enumOf = <T extends string>(values: readonly T[]) => ({ type: "enum", values: [...values] }) as const;

/** A calendar date, YYYY-MM-DD; isRealDate rejects the 30th of February. */
export const DATE_PATTERN = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const date = {
	type: "string",
	// As text: a RegExp would reach a gateway on another node (its OpenAPI document) as {}.
	pattern: DATE_PATTERN.source,
	messages: { stringPattern: "The '{field}' field must be a date as YYYY-MM-DD." }
} as const;
export const optionalDate = { ...date, optional: true } as const;

export function isRealDate(value: string): boolean {
	if (!DATE_PATTERN.test(value)) return false;
	const d = new Date(`${value}T00:00:00Z`);
	return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Query-string booleans arrive as text. */
export const optionalBoolean = { type: "boolean", optional: true, convert: true } as const;
export const optionalInt = (min: number, max: number) => ({ type: "number", integer: true, min, max, optional: true, convert: true }) as const;
