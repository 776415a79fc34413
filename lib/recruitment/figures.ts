/**
 * What the funnel report sums per opening, kept on each application and recomputed from its
 * whole stage history at every move (so an application stored before figures existed is right
 * again after its next move).
 *
 * Definitions (docs/operations.md, "Reports"):
 * - reached: 1 for each pipeline stage the application ever entered, however often. Moved back
 *   (rejected, then reopened to an earlier stage) and forward again, it still counts once per
 *   stage, so conversion between two stages never exceeds 100%.
 * - msInStage / visits: every completed stay in a stage (entered, then left) adds its length and
 *   one visit; a stay in a stage it came back to is a further visit. The stay in the current
 *   stage is not over and counts nowhere yet.
 * - hiredAfterMs: from the application to its hire.
 */
import { type Stage, type StageChange } from "../names/recruitment";
import { FUNNEL_STAGES } from "../names/reports";

export interface ApplicationFigures {
	reached: Partial<Record<Stage, 1>>;
	msInStage: Partial<Record<Stage, number>>;
	visits: Partial<Record<Stage, number>>;
	hired: 0 | 1;
	hiredAfterMs: number;
}

const isFunnelStage = (stage: Stage): boolean => (FUNNEL_STAGES as readonly string[]).includes(stage);

export function figuresOf(createdAt: string, history: readonly StageChange[]): ApplicationFigures {
	const figures: ApplicationFigures = { reached: { applied: 1 }, msInStage: {}, visits: {}, hired: 0, hiredAfterMs: 0 };
	let since = Date.parse(createdAt);
	for (const change of history) {
		const at = Date.parse(change.at);
		figures.msInStage[change.from] = (figures.msInStage[change.from] ?? 0) + Math.max(0, at - since);
		figures.visits[change.from] = (figures.visits[change.from] ?? 0) + 1;
		if (isFunnelStage(change.to)) figures.reached[change.to] = 1;
		if (change.to === "hired") {
			figures.hired = 1;
			figures.hiredAfterMs = Math.max(0, at - Date.parse(createdAt));
		}
		since = at;
	}
	return figures;
}
