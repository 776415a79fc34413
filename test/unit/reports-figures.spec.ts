/** The funnel's per-application figures, from a stage history with times. */
import { figuresOf } from "../../lib/recruitment/figures";
import type { StageChange } from "../../lib/names/recruitment";

const DAY = 24 * 3600 * 1000;
const at = (days: number) => new Date(Date.parse("2030-01-01T00:00:00Z") + days * DAY).toISOString();
const move = (from: StageChange["from"], to: StageChange["to"], day: number): StageChange => ({ from, to, at: at(day), by: "u", reason: null });

describe("funnel figures", () => {
	it("counts a stage reached once however often, sums every completed stay, and times the hire from the application", () => {
		const history = [
			move("applied", "screening", 2),
			move("screening", "interview", 5),
			move("interview", "rejected", 6),
			// Reopened: back a stage, and forward again.
			move("rejected", "screening", 10),
			move("screening", "interview", 11),
			move("interview", "offer", 14),
			move("offer", "hired", 20)
		];
		expect(figuresOf(at(0), history)).toEqual({
			reached: { applied: 1, screening: 1, interview: 1, offer: 1, hired: 1 },
			msInStage: { applied: 2 * DAY, screening: 4 * DAY, interview: 4 * DAY, rejected: 4 * DAY, offer: 6 * DAY },
			visits: { applied: 1, screening: 2, interview: 2, rejected: 1, offer: 1 },
			hired: 1,
			hiredAfterMs: 20 * DAY
		});
	});

	it("counts nothing for the stage an application is still in", () => {
		expect(figuresOf(at(0), [])).toEqual({ reached: { applied: 1 }, msInStage: {}, visits: {}, hired: 0, hiredAfterMs: 0 });
	});
});
