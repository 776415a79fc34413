import { ServiceBroker } from "moleculer";
import { SafeValidator } from "../../lib/validator";

describe("parameter validation", () => {
	const broker = new ServiceBroker({ logger: false, validator: new SafeValidator(), tracking: { enabled: true } });
	const seen: unknown[] = [];
	const echo = broker.createService({
		name: "echo",
		actions: {
			patch: {
				params: {
					$$strict: true,
					name: { type: "string", optional: true },
					note: { type: "string", optional: true, nullable: true },
					role: { type: "enum", values: ["hr", "manager"], optional: true }
				},
				handler(ctx) {
					seen.push(ctx.params);
					return ctx.params;
				}
			}
		}
	});
	beforeAll(() => broker.start());
	afterAll(() => broker.stop());

	const deep = (depth: number): unknown => (depth === 0 ? "x" : [deep(depth - 1)]);

	it.each([
		["an object that cannot be printed", { name: [{ toString: 1 }] }],
		["an array nested thousands deep", { name: deep(5000) }]
	])("answers %s with a 422 naming the field, and the handler never runs", async (_what, params) => {
		await expect(broker.call("echo.patch", params)).rejects.toMatchObject({
			code: 422,
			data: [expect.objectContaining({ field: "name" })]
		});
		expect(seen).toEqual([]);
	});

	it("refuses null for an optional field unless it is nullable", async () => {
		await expect(broker.call("echo.patch", { name: null })).rejects.toMatchObject({ code: 422, data: [{ field: "name", type: "notNull" }] });
		await expect(broker.call("echo.patch", { note: null })).resolves.toEqual({ note: null });
		await expect(broker.call("echo.patch", { name: "ok" })).resolves.toEqual({ name: "ok" });
	});

	it("refuses text holding a NUL character, at any depth, naming the field", async () => {
		const before = seen.length;
		await expect(broker.call("echo.patch", { name: "a\u0000b" })).rejects.toMatchObject({ code: 422, data: [{ field: "name", type: "nulCharacter" }] });
		await expect(broker.call("echo.patch", { note: { deep: ["x", "\u0000"] } })).rejects.toMatchObject({ code: 422, data: [{ field: "note" }] });
		expect(seen).toHaveLength(before);
	});

	it("tells a value outside an enum which values it may take", async () => {
		await expect(broker.call("echo.patch", { role: "boss" })).rejects.toMatchObject({
			code: 422,
			data: [{ field: "role", type: "enumValue", actual: "boss", message: "The 'role' field must be one of: hr, manager." }]
		});
	});

	it("leaves no request in flight after a rejected call", async () => {
		await expect(broker.call("echo.patch", { name: [{ toString: 1 }] })).rejects.toMatchObject({ code: 422 });
		// The stock validator throws synchronously here, and the tracker never forgets the call.
		expect((echo as unknown as { _trackedContexts: unknown[] })._trackedContexts).toEqual([]);
	});
});
