/** CSV downloads: fields a spreadsheet reads back as written, and no typed text run as a formula. */
import { csvCell, toCsv } from "../../lib/reports/csv";
import { parseCsv } from "../support/csv";

describe("report CSV", () => {
	it("quotes commas, quotes and line breaks, and reads back to the same values", () => {
		const csv = toCsv(
			["name", "count"],
			[
				["Sales, North", 3],
				['The "A" team', 1],
				["two\nlines", 0],
				[null, 2.5]
			]
		);
		expect(parseCsv(csv)).toEqual([
			["name", "count"],
			["Sales, North", "3"],
			['The "A" team', "1"],
			["two\nlines", "0"],
			["", "2.5"]
		]);
	});

	it("neutralises text a spreadsheet would run as a formula, but writes negative numbers as numbers", () => {
		expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
		expect(csvCell("+1")).toBe("'+1");
		expect(csvCell("-2")).toBe("'-2");
		expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
		expect(csvCell("\tcmd")).toBe("'\tcmd");
		expect(csvCell(-2)).toBe("-2");
		expect(csvCell("Ops")).toBe("Ops");
		// Text that already looks guarded gets one more quote, for the reader to drop.
		expect(csvCell("'+Quoted")).toBe("''+Quoted");
		expect(csvCell("''-42 Main St")).toBe("'''-42 Main St");
		expect(csvCell("'quoted")).toBe("'quoted");
	});
});
