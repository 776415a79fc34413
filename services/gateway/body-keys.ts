/**
 * Refuses JSON bodies that hold a `__proto__` key, at any depth. JSON.parse makes it an ordinary
 * key, but moleculer-web copies the body onto the action's params with Object.assign, which
 * sets it as the params' prototype instead: its fields then pass `$$strict` (which looks at own
 * keys only) and reach the handler as inherited values, past the gateway's removal of a client's
 * `tenantId` too. No Roster request has such a key.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { UnprocessableError } from "../../lib/errors";

/** The top-level field under which a `__proto__` key sits (itself, at the top); undefined when none. */
export function protoKeyField(body: unknown): string | undefined {
	if (body === null || typeof body !== "object") return undefined;
	for (const field of Object.keys(body)) {
		if (field === "__proto__") return field;
		const stack: unknown[] = [(body as Record<string, unknown>)[field]];
		while (stack.length > 0) {
			const node = stack.pop();
			if (node === null || typeof node !== "object") continue;
			if (Object.keys(node).includes("__proto__")) return field;
			stack.push(...Object.values(node));
		}
	}
	return undefined;
}

export function refuseProtoKeys(req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: (err?: unknown) => void): void {
	const field = protoKeyField(req.body);
	next(
		field === undefined ? undefined : new UnprocessableError(field, `The '${field}' field holds a '__proto__' key, which no request takes.`, "forbiddenKey")
	);
}
