/**
 * How many backups hedged reads may send: every call earns `ratio` of a token, a backup spends
 * one, and the bucket holds at most `burst`. Over any stretch of n calls at most
 * `ratio × n + burst` backups go out, so the extra load a hedge puts on the nodes stays near
 * `ratio` however slow they get, and a slow minute cannot double the traffic. Unused tokens
 * are what lets a sudden stall (a node frozen) be met with a burst of backups at once; a
 * spender may leave some of them (`keep`) for a need it ranks higher.
 */
export interface BackupBudgetOptions {
	/** Tokens a call earns: 0.1 lets one call in ten have a backup. */
	ratio: number;
	/** Tokens kept at most; the bucket starts full. */
	burst: number;
}

export class BackupBudget {
	private tokens: number;

	constructor(private readonly opts: BackupBudgetOptions) {
		this.tokens = opts.burst;
	}

	/** A call was made. */
	earn(): void {
		this.tokens = Math.min(this.opts.burst, this.tokens + this.opts.ratio);
	}

	/** Spends a token for one backup, unless fewer than `keep` would be left: false then. */
	take(keep = 0): boolean {
		// A hair under, so ten earnings of 0.1 (0.9999…) buy a backup.
		if (this.tokens - 1 < keep - 1e-9) return false;
		this.tokens = Math.max(0, this.tokens - 1);
		return true;
	}

	get available(): number {
		return this.tokens;
	}
}
