/**
 * One line per HTTP request, whatever its outcome: a 404 outside any route and a body the
 * parser refused included (moleculer-web logs 2xx and 5xx only, the URL with its query string,
 * in three lines). The route is the pattern (`/api/v1/employees/:id`), never the query, the
 * headers or the body, so neither a token nor a password can reach this line.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "moleculer";
import { type RequestLogFields, requestLogFields } from "../../lib/logging/request-context";
import type { RequestMeta } from "../../lib/meta";

export interface AccessLogRequest extends IncomingMessage {
	$ctx?: Context<unknown, RequestMeta>;
	$alias?: { fullPath?: string };
	originalUrl?: string;
}

export interface AccessLogFields extends RequestLogFields {
	method: string;
	/** The alias matched; for a request that matched none, its path without the query. */
	route: string;
	status: number;
	ms: number;
	/** The client went away before the answer was sent. */
	aborted?: true;
}

interface Logger {
	info(...args: unknown[]): void;
}

const MAX_PATH = 200;

function routeOf(req: AccessLogRequest): string {
	if (req.$alias?.fullPath) return req.$alias.fullPath;
	const path = (req.originalUrl ?? req.url ?? "").split("?")[0];
	return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
}

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"];

/**
 * Whether a broker at `logLevel` prints the access line (info). A level per module (an object)
 * counts as yes. At warn, building the line unprinted cost about 1 % of a read's time.
 */
export function logsAccess(logLevel: unknown): boolean {
	return typeof logLevel !== "string" || LEVELS.indexOf(logLevel) >= LEVELS.indexOf("info");
}

/** Logs once, when the answer has gone out or the connection closed before it did. */
export function logAccess(logger: Logger, structured: boolean, req: AccessLogRequest, res: ServerResponse): void {
	const started = process.hrtime.bigint();
	let logged = false;
	const done = () => {
		if (logged) return;
		logged = true;
		const fields: AccessLogFields = {
			method: req.method ?? "-",
			route: routeOf(req),
			status: res.statusCode,
			ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
			...requestLogFields(req.$ctx),
			...(res.writableFinished ? {} : { aborted: true })
		};
		const line = `${fields.method} ${fields.route} ${fields.status} ${fields.ms}ms${fields.aborted ? " aborted" : ""}`;
		if (structured) return logger.info(fields, line);
		const who = fields.user ? ` user=${fields.user} tenant=${fields.tenant}` : "";
		logger.info(`${line} req=${fields.requestId ?? "-"}${who}`);
	};
	res.once("finish", done);
	res.once("close", done);
}
