/**
 * The errors a client can see. Each keeps Moleculer's shape { name, message, code, type, data }
 * and carries the HTTP status as its code, so the gateway maps them without a lookup table.
 */
import { Errors } from "moleculer";

const { MoleculerClientError, MoleculerRetryableError } = Errors;

export class UnauthorizedError extends MoleculerClientError {
	constructor(message = "Authentication required", type = "UNAUTHORIZED") {
		super(message, 401, type);
		this.name = "UnauthorizedError";
	}
}

export class ForbiddenError extends MoleculerClientError {
	constructor(message = "You are not allowed to do this", data?: unknown) {
		super(message, 403, "FORBIDDEN", data);
		this.name = "ForbiddenError";
	}
}

export class NotFoundError extends MoleculerClientError {
	constructor(entity: string, id?: string) {
		super(`${entity} not found`, 404, "NOT_FOUND", id === undefined ? undefined : { id });
		this.name = "NotFoundError";
	}
}

export class ConflictError extends MoleculerClientError {
	constructor(message: string, data?: unknown) {
		super(message, 409, "CONFLICT", data);
		this.name = "ConflictError";
	}
}

/** A one-time link that was used or has expired: it will never work again. */
export class GoneError extends MoleculerClientError {
	constructor(message: string, type: string, data: object = { field: "token" }) {
		super(message, 410, type, data);
		this.name = "GoneError";
	}
}

/**
 * A parameter the schema could not check (a real date, a time zone, a sortable field): a 422
 * naming the field, in the same shape and type as the parameter validator's own errors.
 */
export class UnprocessableError extends MoleculerClientError {
	constructor(field: string, message: string, type = "invalid") {
		super("Parameters validation error!", 422, "VALIDATION_ERROR", [{ type, field, message }]);
		this.name = "ValidationError";
	}
}

/**
 * A well-formed request that a rule of the business refuses (dates out of order, a reference to
 * nothing, a manager cycle): a 422 of its own type, whose message says which rule, so a client
 * can tell "fix the form" from "this cannot be done". Data keeps the validator's shape.
 */
export class BusinessRuleError extends MoleculerClientError {
	static readonly TYPE = "BUSINESS_RULE";

	constructor(field: string, message: string, type = "rule") {
		super(`The request breaks a rule: ${message}`, 422, BusinessRuleError.TYPE, [{ type, field, message }]);
		this.name = "BusinessRuleError";
	}
}

/** A path the API knows, asked with a method it does not take there: 405 with the methods it takes. */
export class MethodNotAllowedError extends MoleculerClientError {
	constructor(method: string, path: string, allow: string[]) {
		super(`${method} is not allowed on ${path}; it takes ${allow.join(", ")}`, 405, "METHOD_NOT_ALLOWED", { allow });
		this.name = "MethodNotAllowedError";
	}
}

export class TooManyRequestsError extends MoleculerClientError {
	constructor(retryAfterSeconds: number) {
		super("Too many requests, try again later", 429, "RATE_LIMITED", { retryAfter: retryAfterSeconds });
		this.name = "TooManyRequestsError";
	}
}

/**
 * This node is too busy for the request now (a work queue is full), though it is healthy:
 * 503 with Retry-After. Retryable, and never a reason to trip a circuit breaker (see
 * moleculer.config.ts): the node is shedding load, not failing.
 */
export class ServiceBusyError extends MoleculerRetryableError {
	static readonly TYPE = "SERVICE_BUSY";

	constructor(retryAfterSeconds: number, message = "The server is busy, try again shortly") {
		super(message, 503, ServiceBusyError.TYPE, { retryAfter: retryAfterSeconds });
		this.name = "ServiceBusyError";
	}
}

/**
 * A caller of this node called an action faster than the action allows its callers
 * (`callerRateLimit`), so the call was refused here, before it was sent: a client-side limit
 * that keeps one runaway caller from flooding the action's nodes. Retryable after `retryAfter`
 * seconds; the gateway answers it as 429 with Retry-After, without the internal names.
 */
export class CallerRateLimitedError extends MoleculerRetryableError {
	static readonly TYPE = "CALLER_RATE_LIMITED";

	constructor(caller: string, action: string, retryAfterSeconds: number) {
		super(`${caller} calls ${action} faster than the action allows its callers`, 429, CallerRateLimitedError.TYPE, {
			caller,
			action,
			retryAfter: retryAfterSeconds
		});
		this.name = "CallerRateLimitedError";
	}
}

/** By type, not class: an error from another node arrives rebuilt as a plain error. */
export function isServiceBusy(err: unknown): boolean {
	return (err as { type?: unknown } | null)?.type === ServiceBusyError.TYPE;
}

export class UnsupportedMediaTypeError extends MoleculerClientError {
	constructor() {
		super("Send the request body as JSON (Content-Type: application/json)", 415, "UNSUPPORTED_MEDIA_TYPE");
		this.name = "UnsupportedMediaTypeError";
	}
}

/** This node cannot serve now (its storage is split from its peers', say); another may. */
export class NodeNotReadyError extends Errors.MoleculerError {
	constructor(message: string) {
		super(message, 503, "NODE_NOT_READY");
		this.name = "NodeNotReadyError";
	}
}

/** A request body over a documented limit: 413 naming the limit. */
export class PayloadTooLargeError extends MoleculerClientError {
	constructor(message: string, data: { limit: number; unit: "bytes" | "rows" }) {
		super(message, 413, "PAYLOAD_TOO_LARGE", data);
		this.name = "PayloadTooLargeError";
	}
}

/** A body in a media type the route does not take: 415 saying which it takes. */
export class WrongMediaTypeError extends MoleculerClientError {
	constructor(message: string) {
		super(message, 415, "UNSUPPORTED_MEDIA_TYPE");
		this.name = "UnsupportedMediaTypeError";
	}
}
