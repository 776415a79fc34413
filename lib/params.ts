/**
 * Parameter rules shared by every published action (fastest-validator). Every action's schema
 * is strict ($$strict: true), so an unknown field is a 422 that names it.
 */
/**
 * One line of text: no control character, line breaks included. No name or title holds one, and
 * a name goes into mail subjects, where a line break would begin a header of its own.
 */
export const text = (max = 200) =>
	({
		type: "string",
		trim: true,
		min: 1,
		max,
		// As text: a RegExp would reach a gateway on another node (its OpenAPI document) as {}.
		pattern: String.raw`^[^\u0000-\u001f\u007f]*$`,
		messages: { stringPattern: "The '{field}' field must be one line of text, without control characters." }
	}) as const;
export const optionalText = (max = 200) => ({ ...text(max), optional: true }) as const;
/** A field that may be cleared with null. */
export const nullableText = (max = 200) => ({ ...text(max), optional: true, nullable: true }) as const;

/** Text of several lines (an address, a description, a note): line breaks and tabs, no other control character. */
export const prose = (max: number) =>
	({
		type: "string",
		trim: true,
		min: 1,
		max,
		pattern: String.raw`^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$`,
		messages: { stringPattern: "The '{field}' field must be text without control characters other than line breaks and tabs." }
	}) as const;
export const optionalProse = (max: number) => ({ ...prose(max), optional: true }) as const;
export const nullableProse = (max: number) => ({ ...prose(max), optional: true, nullable: true }) as const;
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
