/** What the gateway's own health routes answer (services/gateway/readiness.ts). */
import { arrayOf, closed, enumeration, str } from "../schemas";

export const Live = closed({ status: { const: "ok" } });

export const Readiness = closed({
	status: enumeration(["ok", "degraded", "unavailable"]),
	checks: { type: "object", additionalProperties: str },
	missing: arrayOf(str)
});
