/** What a short link may point to, and what its codes look like. */
import { randomCode } from "../../lib/shorturl/codes";
import { MAX_URL_LENGTH, checkTarget } from "../../lib/shorturl/target";

describe("short-link targets", () => {
	it("keeps an http(s) URL, normalised as a browser would", () => {
		expect(checkTarget("https://Example.COM/a b?q=1#frag")).toBe("https://example.com/a%20b?q=1#frag");
		expect(checkTarget("http://example.com")).toBe("http://example.com/");
	});

	it.each([
		["javascript:alert(1)", "urlScheme"],
		["JAVASCRIPT:alert(1)", "urlScheme"],
		["data:text/html,hi", "urlScheme"],
		["mailto:a@example.com", "urlScheme"],
		["//example.com/path", "url"],
		["/path", "url"],
		["https://user:pw@example.com/", "urlCredentials"],
		["https://user@example.com/", "urlCredentials"],
		[`https://example.com/${"a".repeat(MAX_URL_LENGTH)}`, "stringMax"]
	])("refuses %s as %s, naming the field", (raw, type) => {
		expect(() => checkTarget(raw)).toThrow(expect.objectContaining({ code: 422, data: [expect.objectContaining({ field: "url", type })] }));
	});
});

describe("short codes", () => {
	it("are base62 of the asked length, and do not repeat", () => {
		const codes = Array.from({ length: 10_000 }, () => randomCode());
		expect(codes.every(code => /^[0-9A-Za-z]{8}$/.test(code))).toBe(true);
		expect(new Set(codes).size).toBe(codes.length);
		expect(randomCode(3)).toMatch(/^[0-9A-Za-z]{3}$/);
	});

	it("use the whole alphabet, about evenly (no modulo bias towards the first characters)", () => {
		const counts = new Map<string, number>();
		for (const ch of Array.from({ length: 5000 }, () => randomCode()).join("")) counts.set(ch, (counts.get(ch) ?? 0) + 1);
		expect(counts.size).toBe(62);
		// 40,000 draws over 62 characters: about 645 each; a biased draw would skew far past these bounds.
		for (const n of counts.values()) expect(n).toBeGreaterThan(500);
		for (const n of counts.values()) expect(n).toBeLessThan(800);
	});
});
