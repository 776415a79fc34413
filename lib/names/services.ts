/**
 * The services the REST API routes to, by layer. The gateway's /health/ready answers 200 only
 * when each of them has a reachable node and its routes are in place (READY_SERVICES narrows
 * the list for a partial deployment). test/unit/api-services.spec.ts fails when a service file
 * is added under services/data or services/app and not listed here.
 */
export const DataServices = ["identity", "org", "employees", "leave", "recruitment", "deadLetters", "notifications", "shorturl", "audit", "imports"] as const;

export const AppServices = ["onboarding", "recruiting", "leaveWorkflow", "reports"] as const;

export type ApiServiceName = (typeof DataServices)[number] | (typeof AppServices)[number];

export const ApiServices: readonly ApiServiceName[] = [...DataServices, ...AppServices];
