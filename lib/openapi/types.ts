/**
 * What an action declares about its HTTP answers, next to its `rest` and `params`: the
 * success statuses with their bodies (lib/openapi/responses.ts builds them from the shared
 * schemas), and any error status the generic rules (lib/openapi/errors.ts) would not give it.
 * The gateway's document (GET /api/openapi.json) and the contract test read it from there.
 */
import type { JsonSchema } from "./fastest-validator";

export interface ResponseSpec {
	description: string;
	/** By media type; none for an answer without a body. */
	content?: Record<string, { schema: JsonSchema }>;
}

export interface ActionOpenApi {
	summary?: string;
	/** Success answers by status. */
	responses: Record<number, ResponseSpec>;
	/** Error statuses beyond those every route of its kind may answer. */
	errors?: number[];
}

declare module "moleculer" {
	interface ActionSchema {
		openapi?: ActionOpenApi;
	}
}
