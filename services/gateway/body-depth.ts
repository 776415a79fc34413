/**
 * Refuses JSON bodies nested deeper than any Roster request needs. In one process the
 * validator answers such a value with a 422; in a cluster the body would first have to be
 * serialised into a packet for another node, and JSON.stringify overflows the stack on a few
 * thousand levels (a 500). Measured without recursion, so the check itself cannot overflow.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { UnprocessableError } from "../../lib/errors";

/** Far deeper than any request body Roster takes (three or four levels). */
export const MAX_BODY_DEPTH = 32;

/** The first value nested deeper than `max`, by its top-level field; undefined when none is. */
export function tooDeepField(body: unknown, max = MAX_BODY_DEPTH): string | undefined {
	if (body === null || typeof body !== "object") return undefined;
	for (const [field, value] of Object.entries(body)) {
		const stack: Array<[unknown, number]> = [[value, 1]];
		while (stack.length > 0) {
			const [node, depth] = stack.pop()!;
			if (node === null || typeof node !== "object") continue;
			if (depth > max) return field;
			for (const child of Object.values(node)) stack.push([child, depth + 1]);
		}
	}
	return undefined;
}

export function refuseDeepBodies(req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: (err?: unknown) => void): void {
	const field = tooDeepField(req.body);
	next(
		field === undefined
			? undefined
			: new UnprocessableError(field, `The '${field}' field holds a value nested more than ${MAX_BODY_DEPTH} levels deep.`, "tooDeep")
	);
}
