/**
 * Names of the actions and events services call across the cluster, one file per bounded
 * context, so a typo fails to compile and the layering test can resolve every call.
 */
export * from "./identity";
export * from "./org";
export * from "./employees";
export * from "./leave";
export * from "./recruitment";
export * from "./app";
export * from "./onboarding";
export * from "./reports";
export * from "./notifications";
export * from "./shorturl";
export * from "./audit";
export * from "./services";
export * from "./jobs";
export * from "./imports";
