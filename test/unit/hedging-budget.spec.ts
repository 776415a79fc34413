/**
 * The arithmetic behind hedged reads: the latency window whose p90 a read waits before its
 * backup, and the budget that keeps backups near a tenth of calls.
 */
import { BackupBudget } from "../../lib/hedging/backup-budget";
import { LatencyWindow } from "../../lib/hedging/latency-window";

describe("the latency window", () => {
	it("has no percentile until it holds enough samples, then the nearest-rank one", () => {
		const window = new LatencyWindow({ size: 100, minSamples: 20 });
		for (let ms = 1; ms < 20; ms++) window.add(ms);
		expect(window.percentile(90)).toBeUndefined();
		for (let ms = 20; ms <= 100; ms++) window.add(ms);
		expect(window.percentile(90)).toBe(90);
		expect(window.percentile(50)).toBe(50);
		expect(window.percentile(100)).toBe(100);
	});

	it("forgets the oldest samples: a node that got slower is followed within one window", () => {
		const window = new LatencyWindow({ size: 50, minSamples: 10 });
		for (let i = 0; i < 50; i++) window.add(2);
		expect(window.percentile(90)).toBe(2);
		// A tenth of the window slow: the p90 is still the fast time, the p95 is not.
		for (let i = 0; i < 5; i++) window.add(300);
		expect(window.percentile(90)).toBe(2);
		for (let i = 0; i < 16; i++) window.add(300);
		expect(window.percentile(90)).toBe(300);
		expect(window.count).toBe(50);
		// Once the window holds only the new times, the old ones say nothing.
		for (let i = 0; i < 50; i++) window.add(7);
		expect(window.percentile(90)).toBe(7);
	});
});

describe("the backup budget", () => {
	it("starts with its burst, then allows one backup per ten calls", () => {
		const budget = new BackupBudget({ ratio: 0.1, burst: 3 });
		expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, true, false]);
		for (let i = 0; i < 9; i++) budget.earn();
		expect(budget.take()).toBe(false);
		budget.earn();
		expect(budget.take()).toBe(true);
		expect(budget.take()).toBe(false);
	});

	it("never lets more than ratio × calls + burst backups out, however many are wanted", () => {
		for (const wantedEvery of [1, 2, 3, 7]) {
			const budget = new BackupBudget({ ratio: 0.1, burst: 10 });
			let sent = 0;
			const calls = 1000;
			for (let call = 0; call < calls; call++) {
				budget.earn();
				if (call % wantedEvery === 0 && budget.take()) sent++;
			}
			expect(sent).toBeLessThanOrEqual(0.1 * calls + 10);
			// And it does let them out: a budget that refuses everything caps nothing worth having.
			expect(sent).toBeGreaterThanOrEqual(0.1 * calls);
		}
	});

	it("lets a spender keep some tokens back for a need it ranks higher", () => {
		const budget = new BackupBudget({ ratio: 0.1, burst: 4 });
		expect([budget.take(2), budget.take(2), budget.take(2)]).toEqual([true, true, false]);
		expect([budget.take(), budget.take(), budget.take()]).toEqual([true, true, false]);
	});

	it("keeps no more than its burst through a quiet spell", () => {
		const budget = new BackupBudget({ ratio: 0.1, burst: 5 });
		for (let i = 0; i < 1000; i++) budget.earn();
		let sent = 0;
		while (budget.take()) sent++;
		expect(sent).toBe(5);
	});
});
