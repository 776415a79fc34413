/**
 * Which methods a path takes, for a 405 with `Allow` when it is asked with another: the
 * gateway's own aliases answer, matched exactly as moleculer-web routes (params like
 * /employees/:id), kept routes of a service that went away included.
 */

/** The part of a moleculer-web alias this needs (moleculer-web's src/alias.js). */
export interface MatchableAlias {
	method: string;
	match(url: string): false | Record<string, unknown>;
}

/**
 * The methods of the aliases matching `url`, sorted; empty when the path is unknown. HEAD with
 * GET: the gateway answers a HEAD of any path it takes a GET on (RFC 9110 9.3.2; api.service.ts,
 * resolveAlias), so a client reading Allow must find it there.
 */
export function allowedMethods(aliases: readonly MatchableAlias[], url: string): string[] {
	const methods = new Set<string>();
	for (const alias of aliases) {
		// "*" takes every method, so such a path never reaches a 405.
		if (alias.method !== "*" && alias.match(url)) methods.add(alias.method);
	}
	if (methods.has("GET")) methods.add("HEAD");
	return [...methods].sort();
}
