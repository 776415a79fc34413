/**
 * The undo steps of a multi-service write (a saga without a log): each step that succeeded
 * registers how to undo itself; on failure they run newest first. An undo that fails is
 * reported and the others still run, so one stuck service does not leave the rest behind.
 */
export interface UndoFailure {
	step: string;
	error: unknown;
}

export class Compensations {
	private readonly steps: { step: string; undo: () => Promise<unknown> }[] = [];

	/** Registers the undo of `step`, to run before every undo registered earlier. */
	add(step: string, undo: () => Promise<unknown>): void {
		this.steps.push({ step, undo });
	}

	get size(): number {
		return this.steps.length;
	}

	/** Runs every undo, newest first, each exactly once; answers the ones that failed. */
	async run(onFailure: (failure: UndoFailure) => void = () => undefined): Promise<UndoFailure[]> {
		const failures: UndoFailure[] = [];
		while (this.steps.length > 0) {
			const { step, undo } = this.steps.pop()!;
			try {
				await undo();
			} catch (error) {
				const failure = { step, error };
				failures.push(failure);
				onFailure(failure);
			}
		}
		return failures;
	}
}
