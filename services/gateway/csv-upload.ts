/**
 * The upload route's gate: a body sent as CSV (415 otherwise, saying what to send) and announced
 * no larger than the import's bound (413 naming it). A body sent without a length is counted by
 * the action as it reads it (services/data/imports.parts/upload.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { PayloadTooLargeError, WrongMediaTypeError } from "../../lib/errors";
import { CSV_MEDIA_TYPES, IMPORT_MAX_BYTES } from "../../lib/imports/limits";

/**
 * Refuses after reading the body to its end (and dropping it), as body-parser does: a client
 * still sending would otherwise see its connection broken (EPIPE) instead of the answer.
 */
function refuse(req: IncomingMessage, next: (err?: unknown) => void, err: Error): void {
	let answered = false;
	const answer = () => {
		if (!answered) {
			answered = true;
			next(err);
		}
	};
	if (req.readableEnded || req.complete) return answer();
	req.once("end", answer);
	req.once("close", answer);
	req.once("error", answer);
	req.resume();
}

export function requireCsvBody(req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void {
	// Only the upload itself (the route's one alias). Every other request the route's prefix
	// catches (another method, /imports/x, /importsX) goes on to the API's own 404, 405 or 204.
	// Aliases match regardless of case (path-to-regexp's default), so /IMPORTS/Employees is the upload too.
	const path = (req.url ?? "").split("?")[0].replace(/\/+$/, "").toLowerCase();
	if (req.method !== "POST" || path !== "/employees") return next();
	const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
	const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers["content-type"] ?? "")?.[1]?.toLowerCase();
	if (!CSV_MEDIA_TYPES.includes(type) || (charset && charset !== "utf-8" && charset !== "utf8")) {
		return refuse(req, next, new WrongMediaTypeError("Send the file as the request body with Content-Type: text/csv (UTF-8)."));
	}
	// The file is read as sent: a compressed one would be refused as "not valid UTF-8" (422).
	const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
	if (encoding !== "identity" && encoding !== "") {
		return refuse(req, next, new WrongMediaTypeError("Send the file uncompressed (no Content-Encoding)."));
	}
	const length = Number(req.headers["content-length"] ?? 0);
	if (length > IMPORT_MAX_BYTES) {
		return refuse(
			req,
			next,
			new PayloadTooLargeError(`The file is larger than ${IMPORT_MAX_BYTES} bytes (10 MB): split it into several imports.`, {
				limit: IMPORT_MAX_BYTES,
				unit: "bytes"
			})
		);
	}
	next();
}
