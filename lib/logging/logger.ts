/**
 * The broker's logger, from LOG_FORMAT. `text` is Moleculer's Console logger as it always was;
 * `json` is Moleculer's own Pino logger (moleculer/src/loggers/pino.js) with three additions
 * of ours: the request's fields on every line, redaction of credentials, and Moleculer's
 * `logger.info("text", value, …)` calls turned into one message plus structured fields.
 */
import { format } from "node:util";
import type { BrokerOptions } from "moleculer";
import pino, { type DestinationStream, type LoggerOptions } from "pino";
import type { Config } from "../config";
import { currentRequestLogFields } from "./request-context";

/**
 * Keys whose value is a credential wherever it appears. `actual` is fastest-validator's copy
 * of the rejected value in a 422's data: for a too-short password, the password.
 */
const SECRET_NAMES = [
	"authorization",
	"cookie",
	"password",
	"currentPassword",
	"newPassword",
	"pass",
	"token",
	"accessToken",
	"refreshToken",
	"secret",
	"actual"
];

/** Compared in lower case: `Authorization` and `authorization` are one header. */
const SECRET_KEYS = new Set(SECRET_NAMES.map(name => name.toLowerCase()));

const CENSOR = "[redacted]";
const MAX_DEPTH = 8;

/**
 * A copy of `value` with every secret key's value censored, at any depth (cut off at MAX_DEPTH).
 * pino's own `redact` needs a wildcard path per depth, and five depths made every line 20 times
 * slower (50 µs instead of 2.5): this runs only on the values a line carries in `data` or `err`.
 */
export function redacted(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
	if (value === null || typeof value !== "object") return value;
	if (depth >= MAX_DEPTH) return "[deep]";
	if (seen.has(value)) return "[circular]";
	seen.add(value);
	if (Array.isArray(value)) return value.map(item => redacted(item, depth + 1, seen));
	const copy: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(value)) {
		copy[key] = SECRET_KEYS.has(key.toLowerCase()) ? CENSOR : redacted(item, depth + 1, seen);
	}
	return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !(value instanceof Error) && !Array.isArray(value);
}

/** `{ requestID }` alone: how Moleculer (and a few of our services) say which request a line is about. */
function requestIdOnly(value: Record<string, unknown>): string | undefined {
	const keys = Object.keys(value);
	return keys.length === 1 && keys[0] === "requestID" && typeof value.requestID === "string" ? value.requestID : undefined;
}

/**
 * pino takes `(object, message)`; Moleculer and our services write `("text", value, error)`,
 * and pino would drop the values. Words join into the message; an Error goes to `err` (pino's
 * serializer), a lone `{ requestID }` to the line's `requestId`, other values to `data`, where
 * redaction reaches them. Never formatted into the
 * message text: a value there could not be redacted.
 */
function moleculerArgs(this: pino.Logger, args: unknown[], method: (...a: unknown[]) => void): void {
	if (isPlainObject(args[0]) && args.slice(1).every(a => typeof a === "string")) {
		return method.apply(this, args);
	}
	const words: string[] = [];
	const data: unknown[] = [];
	let err: Error | undefined;
	let requestId: string | undefined;
	for (const arg of args) {
		if (arg instanceof Error && !err) err = arg;
		// Moleculer's "request is rejected" line is written outside the handler's request context.
		else if (isPlainObject(arg) && requestIdOnly(arg)) requestId = requestIdOnly(arg);
		else if (arg !== null && typeof arg === "object") data.push(arg);
		else words.push(typeof arg === "string" ? arg : format("%s", arg));
	}
	const fields: Record<string, unknown> = {};
	if (requestId) fields.requestId = requestId;
	if (err) fields.err = err;
	if (data.length > 0) fields.data = data.length === 1 ? data[0] : data;
	method.call(this, fields, words.join(" ") || err?.message || "");
}

export function pinoOptions(): LoggerOptions {
	return {
		// Moleculer sets each module's level on its child logger.
		level: "trace",
		timestamp: pino.stdTimeFunctions.isoTime,
		formatters: { level: label => ({ level: label }) },
		mixin: currentRequestLogFields,
		// Where values of unknown shape go (moleculerArgs below): searched at any depth.
		serializers: {
			data: redacted,
			err: (err: Error) => redacted(pino.stdSerializers.err(err))
		},
		// An object logged pino's way, `logger.info({ ... }, "text")`, is ours and flat.
		redact: { paths: [...SECRET_NAMES, "Authorization"], censor: CENSOR },
		hooks: { logMethod: moleculerArgs as NonNullable<LoggerOptions["hooks"]>["logMethod"] }
	};
}

/** `destination` is for tests: a stream to read the lines back from; stdout otherwise. */
export function loggerOptions(cfg: Pick<Config, "logFormat">, destination?: DestinationStream): BrokerOptions["logger"] {
	if (cfg.logFormat === "text") {
		return { type: "Console", options: { formatter: "short", colors: process.stdout.isTTY, moduleColors: false } };
	}
	return { type: "Pino", options: { pino: { options: pinoOptions(), destination: destination ?? null } } };
}
