/**
 * How an error leaves the gateway: Moleculer's shape { name, message, code, type, data }, the
 * right status and headers, and never a stack trace. A 5xx tells only its kind: no internal
 * message, and neither the action nor the node that failed.
 */
import type { IncomingMessage } from "node:http";
import { CallerRateLimitedError, isServiceBusy } from "../../lib/errors";

export interface HttpError {
	status: number;
	body: { name: string; message: string; code: number; type: string; data?: unknown };
	headers: Record<string, string>;
}

interface AnyError {
	name?: string;
	message?: string;
	code?: unknown;
	status?: number;
	type?: string;
	data?: unknown;
}

interface ValidationItem {
	type?: string;
	field?: string;
	message?: string;
	actual?: unknown;
	expected?: unknown;
}

/** body-parser's errors carry `status` and a `type` of their own. */
const BODY_ERRORS: Record<string, { name: string; type: string; message: string }> = {
	// The parser is strict: `null`, a number or a string is valid JSON, but no body an action takes.
	"entity.parse.failed": { name: "BadRequestError", type: "INVALID_JSON", message: "The request body is not a JSON object or array" },
	"entity.too.large": { name: "PayloadTooLargeError", type: "PAYLOAD_TOO_LARGE", message: "The request body is too large" },
	"encoding.unsupported": { name: "UnsupportedMediaTypeError", type: "UNSUPPORTED_ENCODING", message: "Unsupported content encoding" },
	"charset.unsupported": { name: "UnsupportedMediaTypeError", type: "UNSUPPORTED_CHARSET", message: "Unsupported charset" }
};

/** What a client learns of a failure on our side: the kind, never the action, node or cause. */
const GENERIC_5XX: Record<number, HttpError["body"]> = {
	500: { name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" },
	503: { name: "ServiceUnavailableError", message: "No node can serve this request right now", code: 503, type: "SERVICE_UNAVAILABLE" },
	504: { name: "RequestTimeoutError", message: "No answer in time; the request may still have taken effect", code: 504, type: "REQUEST_TIMEOUT" }
};

/** Moleculer's transport-level failures, as a client should see them. */
const UNAVAILABLE = new Set(["ServiceNotAvailableError", "ServiceNotFoundError", "RequestRejectedError", "ServiceUnavailableError"]);

/**
 * Unknown fields named one by one, per object, before the rest are only counted: a 100 kB body
 * of 50,000 keys (or a JSON array, whose items become keys "0", "1", …) would otherwise be
 * answered with a list of 50,000 entries, 4 MB.
 */
export const MAX_UNKNOWN_FIELDS_NAMED = 20;

/**
 * One entry per field: fastest-validator reports unknown keys once for the whole object, and
 * adds the node and action names, which are nobody's business outside.
 */
function nameFields(items: ValidationItem[]): ValidationItem[] {
	return items.flatMap(item => {
		if (item.type !== "objectStrict" || typeof item.actual !== "string") {
			return [{ type: item.type, field: item.field, message: item.message }];
		}
		const prefix = item.field ? `${item.field}.` : "";
		const keys = item.actual.split(",").map(key => key.trim());
		const named: ValidationItem[] = keys.slice(0, MAX_UNKNOWN_FIELDS_NAMED).map(key => ({
			type: "unknownField",
			field: prefix + key,
			message: `The '${prefix + key}' field is not allowed.`
		}));
		const more = keys.length - named.length;
		if (more > 0) {
			const where = item.field ? `the '${item.field}' field` : "the request";
			named.push({ type: "unknownFields", field: item.field ?? "", message: `${more} more fields of ${where} are not allowed.` });
		}
		return named;
	});
}

/** Whole seconds, at least one: what the error's data asks for, or one. */
function retryAfterHeader(data: unknown): string {
	const retryAfter = (data as { retryAfter?: unknown } | undefined)?.retryAfter;
	return String(typeof retryAfter === "number" && retryAfter > 0 ? Math.ceil(retryAfter) : 1);
}

/** The methods a 405's data names (MethodNotAllowedError), as the Allow header lists them. */
function allowHeader(data: unknown): string {
	const allow = (data as { allow?: unknown } | undefined)?.allow;
	return Array.isArray(allow) ? allow.join(", ") : "";
}

/** zlib's failure on a body sent compressed that is not (the client's), rewrapped with a string code ("Z_DATA_ERROR"). */
export function isUndecompressableBody(raw: unknown): boolean {
	const code = (raw as AnyError | undefined)?.code;
	return typeof code === "string" && code.startsWith("Z_");
}

export function formatError(raw: unknown, opts: { tokenPresented: boolean }): HttpError {
	const err = (raw ?? {}) as AnyError;
	const headers: Record<string, string> = {};

	// moleculer-web rewraps body-parser's errors, keeping the type and moving status to code.
	const bodyStatus = err.status ?? err.code;
	if (err.type && BODY_ERRORS[err.type] && typeof bodyStatus === "number") {
		const known = BODY_ERRORS[err.type];
		return { status: bodyStatus, body: { ...known, code: bodyStatus }, headers };
	}

	// A path parameter that is no percent-encoding ("/s/%ZZ", "/employees/%"): moleculer-web's
	// 400 "Bad request", which no route documents. Such a code or id names nothing: 404, as an
	// unknown or malformed one is.
	if (err.type === "UNABLE_DECODE_PARAM") {
		return { status: 404, body: { name: "NotFoundError", message: "Not found", code: 404, type: "NOT_FOUND" }, headers };
	}

	if (isUndecompressableBody(err)) {
		return {
			status: 400,
			body: { name: "BadRequestError", message: "The request body could not be decompressed", code: 400, type: "INVALID_ENCODING" },
			headers
		};
	}

	let status = typeof err.code === "number" && err.code >= 400 && err.code < 600 ? err.code : 500;
	if (err.name && UNAVAILABLE.has(err.name)) status = 503;
	if (err.name === "RequestTimeoutError") status = 504;

	if (isServiceBusy(err) || err.name === "QueueIsFullError") {
		// A healthy node shedding load says when to come back; its message is meant for clients.
		// A bulkhead's full queue is the same case, though Moleculer calls it a 429 and names the node.
		const retryAfter = Number(retryAfterHeader(err.data));
		const message = isServiceBusy(err) && err.message ? err.message : "The server is busy, try again shortly";
		return {
			status: 503,
			body: { name: "ServiceBusyError", message, code: 503, type: "SERVICE_BUSY", data: { retryAfter } },
			headers: { "Retry-After": String(retryAfter) }
		};
	}
	if (err.type === CallerRateLimitedError.TYPE) {
		// A limit between our own services (callerRateLimit): when to come back is the client's
		// business, which service called which action is not.
		const retryAfter = Number(retryAfterHeader(err.data));
		return {
			status: 429,
			body: {
				name: "TooManyRequestsError",
				message: "Too many requests of this kind right now, try again shortly",
				code: 429,
				type: CallerRateLimitedError.TYPE,
				data: { retryAfter }
			},
			headers: { "Retry-After": String(retryAfter) }
		};
	}
	if (status >= 500) {
		// Moleculer's messages and data name the action and the node (a timeout, a rejected or
		// unroutable call, the call level); none of it is a client's business.
		const generic = GENERIC_5XX[status] ?? GENERIC_5XX[500];
		return {
			status: generic.code,
			body: { ...generic },
			headers: generic.code === 503 ? { "Retry-After": "5" } : {}
		};
	}

	let data = err.data;
	if (status === 401) {
		headers["WWW-Authenticate"] = opts.tokenPresented ? 'Bearer error="invalid_token"' : "Bearer";
	}
	if (status === 422 && Array.isArray(data)) data = nameFields(data as ValidationItem[]);
	if (status === 429) headers["Retry-After"] = retryAfterHeader(data);
	if (status === 405) headers.Allow = allowHeader(data);

	const body: HttpError["body"] = {
		name: err.name ?? "Error",
		message: err.message ?? "Error",
		code: status,
		type: err.type ?? "ERROR"
	};
	if (data !== undefined) body.data = data;
	return { status, body, headers };
}

/**
 * The client's address. With TRUST_PROXY, one proxy of ours is in front (deploy/nginx.conf),
 * and it appends the address it saw to whatever X-Forwarded-For the client sent: only that
 * last entry is not the client's own say, so it is the one to count limits by.
 */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
	if (trustProxy) {
		const forwarded = req.headers["x-forwarded-for"];
		const last = (Array.isArray(forwarded) ? forwarded.join(",") : forwarded)?.split(",").pop()?.trim();
		if (last) return last;
		// Never an earlier entry: those are the client's. Our proxy always appends one.
	}
	return req.socket?.remoteAddress ?? "unknown";
}
