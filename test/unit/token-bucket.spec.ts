/** The token bucket a calling node spends per call of an action that declares `callerRateLimit`. */
import { TokenBucket } from "../../lib/rate-limit/token-bucket";

describe("the token bucket of a caller", () => {
	it("lets a burst through, then refuses and says how long until the next token", () => {
		const bucket = new TokenBucket({ ratePerSecond: 4, burst: 2 }, 0);
		expect(bucket.take(0)).toBe(0);
		expect(bucket.take(0)).toBe(0);
		expect(bucket.take(0)).toBe(250);
		expect(bucket.take(100)).toBe(150);
		expect(bucket.take(250)).toBe(0);
		expect(bucket.take(250)).toBe(250);
	});

	it("refills at its rate and never beyond its burst", () => {
		const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 }, 0);
		for (let i = 0; i < 3; i++) bucket.take(0);
		// An hour later, still only three.
		const later = 3_600_000;
		const taken = Array.from({ length: 5 }, () => bucket.take(later));
		expect(taken.filter(wait => wait === 0)).toHaveLength(3);
		// Over ten seconds of steady calling, about ten a second get through.
		let allowed = 0;
		for (let t = later; t < later + 10_000; t += 10) if (bucket.take(t) === 0) allowed++;
		expect(allowed).toBeGreaterThanOrEqual(99);
		expect(allowed).toBeLessThanOrEqual(101);
	});
});
