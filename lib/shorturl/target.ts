/**
 * What a short link may point to: an absolute http(s) URL a browser can follow without
 * surprises. Everything else is refused with a 422 naming the field, before anything is stored.
 */
import { UnprocessableError } from "../errors";

/** Long enough for any real link (browsers and mail clients agree up to 2,000 or so), short enough to keep codes cheap. */
export const MAX_URL_LENGTH = 2048;

function refuse(field: string, message: string, type: string): never {
	throw new UnprocessableError(field, message, type);
}

/**
 * The URL as stored and redirected to (WHATWG-normalised), or a 422:
 * - only http: and https: — never javascript:, data:, file: or a relative path;
 * - no user name or password in it: `https://bank.example@evil.example/` reads as one host and goes to another;
 * - at most MAX_URL_LENGTH characters, before and after normalising.
 */
export function checkTarget(raw: string, field = "url"): string {
	if (raw.length > MAX_URL_LENGTH) refuse(field, `The '${field}' field must be at most ${MAX_URL_LENGTH} characters long.`, "stringMax");
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return refuse(field, `The '${field}' field must be an absolute http or https URL.`, "url");
	}
	if (url.protocol !== "http:" && url.protocol !== "https:") {
		refuse(field, `The '${field}' field must be an http or https URL.`, "urlScheme");
	}
	if (!url.hostname) refuse(field, `The '${field}' field must name a host.`, "url");
	if (url.username || url.password) refuse(field, `The '${field}' field must not hold a user name or password.`, "urlCredentials");
	// Normalising may lengthen it (percent-encoding); the bound is on what we store and send.
	if (url.href.length > MAX_URL_LENGTH) refuse(field, `The '${field}' field must be at most ${MAX_URL_LENGTH} characters long.`, "stringMax");
	return url.href;
}
