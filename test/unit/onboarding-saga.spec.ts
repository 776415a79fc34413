/** The onboarding saga's decisions: where a successor resumes, what a compensation undoes, what a failure leads to. */
import { Errors } from "moleculer";
import { ConflictError, ServiceBusyError, UnprocessableError } from "../../lib/errors";
import { ONBOARDING_STEPS } from "../../lib/names/onboarding";
import { MAX_ATTEMPTS, afterFailure, expectedStages, isStalled, isTransient, retryDelay, stepsFrom, stepsToUndo } from "../../lib/onboarding/saga";

describe("stepsFrom", () => {
	it("runs the recorded step again (it may not have happened) and every later one, in order", () => {
		expect(stepsFrom("hire")).toEqual(["hire", "invite", "entitlements", "stage", "commit"]);
		expect(stepsFrom("entitlements")).toEqual(["entitlements", "stage", "commit"]);
		expect(stepsFrom("commit")).toEqual(["commit"]);
	});
});

describe("stepsToUndo", () => {
	it("undoes the recorded step (it may have happened) and every earlier one, newest first", () => {
		expect(stepsToUndo("hire")).toEqual(["hire"]);
		expect(stepsToUndo("invite")).toEqual(["invite", "hire"]);
		expect(stepsToUndo("stage")).toEqual(["stage", "entitlements", "invite", "hire"]);
	});

	it("never undoes the commit itself: a saga at commit undoes what came before it", () => {
		expect(stepsToUndo("commit")).toEqual(["stage", "entitlements", "invite", "hire"]);
	});

	it("covers every step but the commit, each once, whatever the step", () => {
		for (const step of ONBOARDING_STEPS) {
			const undo = stepsToUndo(step);
			expect(new Set(undo).size).toBe(undo.length);
			expect(undo).not.toContain("commit");
		}
	});
});

describe("expectedStages", () => {
	it("wants the application at offer until the stage step may have run, and hired once it surely has", () => {
		expect(expectedStages("hire")).toEqual(["offer"]);
		expect(expectedStages("entitlements")).toEqual(["offer"]);
		expect(expectedStages("stage")).toEqual(["offer", "hired"]);
		expect(expectedStages("commit")).toEqual(["hired"]);
	});
});

describe("isStalled", () => {
	const now = 1_000_000;
	it("is a saga under way whose lease ran out", () => {
		expect(isStalled({ state: "running", leaseUntil: now - 1 }, now)).toBe(true);
		expect(isStalled({ state: "compensating", leaseUntil: now - 1 }, now)).toBe(true);
	});

	it("is not one whose holder still has it, one that ended, or none", () => {
		expect(isStalled({ state: "running", leaseUntil: now + 1 }, now)).toBe(false);
		expect(isStalled({ state: "done", leaseUntil: now - 1 }, now)).toBe(false);
		expect(isStalled({ state: "compensated", leaseUntil: now - 1 }, now)).toBe(false);
		expect(isStalled(null, now)).toBe(false);
		expect(isStalled(undefined, now)).toBe(false);
	});
});

describe("isTransient and afterFailure", () => {
	const timeout = new Errors.RequestTimeoutError({ action: "leave.grantEntitlements", nodeID: "node-1" });
	const noNode = new Errors.ServiceNotFoundError({ action: "leave.grantEntitlements" });
	const busy = new ServiceBusyError(1);
	const conflict = new ConflictError("workEmail is already taken", { field: "workEmail" });
	const invalid = new UnprocessableError("managerId", "gone", "reference");

	it("tells failures that may pass (timeouts, no node, 5xx, plain crashes) from those that will not (4xx)", () => {
		for (const err of [timeout, noNode, busy, new Error("socket hang up")]) expect(isTransient(err)).toBe(true);
		for (const err of [conflict, invalid]) expect(isTransient(err)).toBe(false);
	});

	it("under a request, compensates whatever failed: the client is told, and retries", () => {
		for (const err of [timeout, conflict]) expect(afterFailure("request", err, 0)).toBe("compensate");
	});

	it("in recovery, retries a transient failure later, up to MAX_ATTEMPTS takeovers, and compensates one that will not pass", () => {
		expect(afterFailure("recovery", timeout, 1)).toBe("retryLater");
		expect(afterFailure("recovery", noNode, MAX_ATTEMPTS - 1)).toBe("retryLater");
		expect(afterFailure("recovery", timeout, MAX_ATTEMPTS)).toBe("compensate");
		expect(afterFailure("recovery", conflict, 1)).toBe("compensate");
	});
});

describe("retryDelay", () => {
	it("doubles from the sweep interval and never waits longer than a lease", () => {
		expect(retryDelay(1, 5000, 30_000)).toBe(5000);
		expect(retryDelay(2, 5000, 30_000)).toBe(10_000);
		expect(retryDelay(3, 5000, 30_000)).toBe(20_000);
		expect(retryDelay(9, 5000, 30_000)).toBe(30_000);
		expect(retryDelay(0, 5000, 30_000)).toBe(5000);
	});
});
