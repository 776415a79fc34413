import { MAX_BODY_DEPTH, tooDeepField } from "../../services/gateway/body-depth";

describe("request bodies nested too deep", () => {
	const nested = (depth: number, wrap: (inner: unknown) => unknown): unknown => {
		let value: unknown = "x";
		for (let i = 0; i < depth; i++) value = wrap(value);
		return value;
	};

	it("names the field whose value nests past the limit, arrays and objects alike", () => {
		expect(tooDeepField({ ok: "fine", deep: nested(MAX_BODY_DEPTH + 1, v => [v]) })).toBe("deep");
		expect(tooDeepField({ deep: nested(100_000, v => ({ a: v })) })).toBe("deep");
	});

	it("lets every ordinary body through, up to the limit", () => {
		expect(tooDeepField({ name: "Ann", tags: ["a"], address: { city: "Berlin", lines: ["1", "2"] } })).toBeUndefined();
		expect(tooDeepField({ edge: nested(MAX_BODY_DEPTH, v => [v]) })).toBeUndefined();
		expect(tooDeepField(undefined)).toBeUndefined();
		expect(tooDeepField("text")).toBeUndefined();
	});
});
