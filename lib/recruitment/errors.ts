/** The recruitment context's own errors, in the shape of lib/errors.ts. */
import { Errors } from "moleculer";
import { ForbiddenError } from "../errors";
import type { Stage } from "../names/recruitment";
import type { MoveVerdict } from "./stages";

/**
 * A change the rules do not allow, of an application's stage or an offer's or opening's status,
 * or one that lost a race to a concurrent change: 409 naming from and to.
 */
export class IllegalTransitionError extends Errors.MoleculerClientError {
	constructor(from: string, to: string, message: string, reason: string) {
		super(message, 409, "illegalTransition", { from, to, reason });
		this.name = "ConflictError";
	}
}

/** The error a refused move answers with: 403 for a role problem, 409 otherwise. */
export function refusal(verdict: Extract<MoveVerdict, { allowed: false }>, from: Stage, to: Stage): Error {
	if (verdict.forbidden) return new ForbiddenError(verdict.message, { from, to, reason: verdict.refusal });
	return new IllegalTransitionError(from, to, verdict.message, verdict.refusal);
}
