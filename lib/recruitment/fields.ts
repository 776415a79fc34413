/**
 * Parameter rules of the recruitment context's own fields (on top of lib/params.ts), and the
 * checks a schema cannot express. Patterns are text, as in lib/params.ts: a RegExp reaches
 * a gateway on another node as {}.
 */
import { UnprocessableError } from "../errors";

/** An instant with a time and a zone: 2030-01-31T09:30:00Z or 2030-01-31T10:30+01:00. */
export const DATETIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export const dateTime = {
	type: "string",
	pattern: DATETIME_PATTERN.source,
	messages: { stringPattern: "The '{field}' field must be an ISO date-time with a zone, such as 2030-01-31T09:30:00Z." }
} as const;

/** The instant in one canonical form (UTC, milliseconds), so stored values sort in time order; 422 when not a real time. */
export function toInstant(value: string, field: string): string {
	const date = new Date(value);
	const [y, m, d] = value.slice(0, 10).split("-").map(Number);
	// Date accepts 2030-02-30 and rolls it over; a real calendar day must survive the round trip.
	const day = new Date(Date.UTC(y, m - 1, d));
	if (Number.isNaN(date.getTime()) || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) {
		throw new UnprocessableError(field, `The '${field}' field is not a real date-time.`, "dateTime");
	}
	return date.toISOString();
}

export const httpUrl = {
	type: "string",
	max: 2000,
	// Any case of the scheme, without a flag: JSON Schema (the OpenAPI document) has none.
	pattern: String.raw`^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+[^\s]*$`,
	messages: { stringPattern: "The '{field}' field must be an http or https URL." }
} as const;

export const phone = {
	type: "string",
	trim: true,
	pattern: String.raw`^\+?[0-9 ()./-]{4,40}$`,
	messages: { stringPattern: "The '{field}' field must be a phone number." }
} as const;

/** ISO 4217, upper case: EUR, USD. */
export const currency = {
	type: "string",
	pattern: "^[A-Z]{3}$",
	messages: { stringPattern: "The '{field}' field must be an ISO 4217 currency code such as EUR." }
} as const;
