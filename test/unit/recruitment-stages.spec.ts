import fc from "fast-check";
import { STAGES, type Stage } from "../../lib/names/recruitment";
import { IllegalTransitionError, refusal } from "../../lib/recruitment/errors";
import { ACTIVE_STAGES, checkMove, isTerminal, stageAfterScheduling } from "../../lib/recruitment/stages";

const staff = { mayReopen: true };
const manager = { mayReopen: false };

describe("stage moves", () => {
	it("goes forward one stage at a time", () => {
		expect(checkMove("applied", "screening", manager)).toEqual({ allowed: true, reopen: false });
		expect(checkMove("screening", "interview", manager)).toEqual({ allowed: true, reopen: false });
		expect(checkMove("interview", "offer", manager)).toEqual({ allowed: true, reopen: false });
	});

	it("refuses to skip stages", () => {
		expect(checkMove("applied", "interview", staff)).toMatchObject({ allowed: false, refusal: "skipsStages", forbidden: false });
		expect(checkMove("applied", "offer", staff)).toMatchObject({ allowed: false, refusal: "skipsStages" });
		expect(checkMove("screening", "offer", staff)).toMatchObject({ allowed: false, refusal: "skipsStages" });
	});

	it("refuses to go backwards among active stages", () => {
		expect(checkMove("interview", "screening", staff)).toMatchObject({ allowed: false, refusal: "backwards" });
		expect(checkMove("offer", "applied", staff)).toMatchObject({ allowed: false, refusal: "backwards" });
	});

	it("never moves to hired: only an accepted offer hires, even from offer and even for staff", () => {
		for (const from of STAGES.filter(s => s !== "hired")) {
			expect(checkMove(from, "hired", staff)).toMatchObject({ allowed: false, refusal: "hiredByOfferOnly", forbidden: false });
		}
	});

	it("refuses a move to the stage it is in", () => {
		expect(checkMove("screening", "screening", staff)).toMatchObject({ allowed: false, refusal: "sameStage" });
		expect(checkMove("rejected", "rejected", staff)).toMatchObject({ allowed: false, refusal: "sameStage" });
	});

	it("rejects or withdraws from any active stage", () => {
		for (const from of ACTIVE_STAGES) {
			expect(checkMove(from, "rejected", manager)).toEqual({ allowed: true, reopen: false });
			expect(checkMove(from, "withdrawn", manager)).toEqual({ allowed: true, reopen: false });
		}
	});

	it("never moves a hired application, not even to rejected", () => {
		for (const to of STAGES.filter(s => s !== "hired")) {
			expect(checkMove("hired", to, staff)).toMatchObject({ allowed: false, refusal: "fromHired" });
		}
	});

	it("lets staff reopen a closed application up to the stage it had reached", () => {
		expect(checkMove("rejected", "interview", { mayReopen: true, closedFrom: "interview" })).toEqual({ allowed: true, reopen: true });
		expect(checkMove("withdrawn", "applied", { mayReopen: true, closedFrom: "offer" })).toEqual({ allowed: true, reopen: true });
		expect(checkMove("rejected", "offer", { mayReopen: true, closedFrom: "interview" })).toMatchObject({
			allowed: false,
			refusal: "reopenBeyondReached",
			forbidden: false
		});
	});

	it("treats an unknown reached stage as applied", () => {
		expect(checkMove("rejected", "applied", { mayReopen: true, closedFrom: null })).toEqual({ allowed: true, reopen: true });
		expect(checkMove("rejected", "screening", { mayReopen: true })).toMatchObject({ allowed: false, refusal: "reopenBeyondReached" });
	});

	it("does not let a manager reopen: a role problem, not an illegal move", () => {
		expect(checkMove("rejected", "screening", { mayReopen: false, closedFrom: "offer" })).toMatchObject({
			allowed: false,
			refusal: "reopenNeedsStaff",
			forbidden: true
		});
	});

	it("does not turn rejected into withdrawn or back", () => {
		expect(checkMove("rejected", "withdrawn", staff)).toMatchObject({ allowed: false, refusal: "closedToClosed" });
		expect(checkMove("withdrawn", "rejected", staff)).toMatchObject({ allowed: false, refusal: "closedToClosed" });
	});

	it("property: without a reopen, an allowed move is one step forward or out of the race", () => {
		const stage = fc.constantFrom(...STAGES);
		fc.assert(
			fc.property(stage, stage, (from: Stage, to: Stage) => {
				const verdict = checkMove(from, to, manager);
				if (!verdict.allowed) return true;
				const active = ACTIVE_STAGES as readonly Stage[];
				const oneStep = active.includes(to) && active.indexOf(to) === active.indexOf(from) + 1;
				return !isTerminal(from) && (oneStep || to === "rejected" || to === "withdrawn");
			})
		);
	});

	it("property: hired is never the target of an allowed move", () => {
		const stage = fc.constantFrom(...STAGES);
		fc.assert(
			fc.property(
				stage,
				stage,
				fc.boolean(),
				(from: Stage, closedFrom: Stage, mayReopen: boolean) => !checkMove(from, "hired", { mayReopen, closedFrom }).allowed
			)
		);
	});
});

describe("scheduling an interview", () => {
	it("moves an application before interview to interview", () => {
		expect(stageAfterScheduling("applied")).toBe("interview");
		expect(stageAfterScheduling("screening")).toBe("interview");
	});

	it("leaves an application at interview or offer where it is", () => {
		expect(stageAfterScheduling("interview")).toBe("interview");
		expect(stageAfterScheduling("offer")).toBe("offer");
	});

	it("refuses applications that are over", () => {
		expect(stageAfterScheduling("hired")).toBeNull();
		expect(stageAfterScheduling("rejected")).toBeNull();
		expect(stageAfterScheduling("withdrawn")).toBeNull();
	});
});

describe("refusal errors", () => {
	it("is a 409 of type illegalTransition naming from and to", () => {
		const verdict = checkMove("applied", "hired", staff);
		if (verdict.allowed) throw new Error("expected a refusal");
		const err = refusal(verdict, "applied", "hired") as IllegalTransitionError;
		expect(err).toBeInstanceOf(IllegalTransitionError);
		expect(err).toMatchObject({ code: 409, type: "illegalTransition", data: { from: "applied", to: "hired", reason: "hiredByOfferOnly" } });
	});

	it("is a 403 when only the role is wrong", () => {
		const verdict = checkMove("rejected", "applied", manager);
		if (verdict.allowed) throw new Error("expected a refusal");
		expect(refusal(verdict, "rejected", "applied")).toMatchObject({ code: 403, type: "FORBIDDEN" });
	});
});
