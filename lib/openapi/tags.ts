/**
 * The document's tags: one per bounded context, whichever service (data or application)
 * serves the route. A service not listed here gets a tag of its own name, so a node that
 * joins with a new service shows up rather than vanishing into another context.
 */
export const CONTEXT_TAGS: Array<{ name: string; description: string; services: string[] }> = [
	{ name: "identity", description: "Sign-up, sessions, passwords and users", services: ["identity"] },
	{ name: "org", description: "Departments, positions and locations", services: ["org"] },
	{ name: "employees", description: "The employee directory and its history", services: ["employees"] },
	{ name: "leave", description: "Leave types, entitlements, holidays, requests and decisions", services: ["leave", "leaveWorkflow"] },
	{ name: "recruitment", description: "Openings, candidates, applications, interviews and offers", services: ["recruitment", "recruiting", "onboarding"] },
	{ name: "reports", description: "Headcount, leave, turnover and recruiting figures", services: ["reports"] },
	{ name: "notifications", description: "The inbox and notification preferences", services: ["notifications"] },
	{ name: "audit", description: "Who changed what", services: ["audit"] },
	{ name: "imports", description: "Bulk imports from CSV files", services: ["imports"] },
	{ name: "short links", description: "Short links and following them", services: ["shorturl"] },
	{ name: "operations", description: "Dead letters of the event channels", services: ["deadLetters"] },
	{ name: "health", description: "Liveness and readiness", services: ["api"] }
];

const BY_SERVICE = new Map(CONTEXT_TAGS.flatMap(tag => tag.services.map(service => [service, tag.name] as const)));

/** The tag of an action: its service's context ("leaveWorkflow.approve" → "leave"). */
export function tagOf(action: string): string {
	const service = action.slice(0, action.lastIndexOf("."));
	return BY_SERVICE.get(service) ?? service;
}
