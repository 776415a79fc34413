/**
 * HEALTH_PORT: a node without an HTTP port of its own (data, application) answers an
 * orchestrator's healthcheck: 503 while its services start, 200 once they have and its data
 * services reach their storage, and nothing once it has stopped.
 */
import { ServiceBroker } from "moleculer";
import { loadConfig } from "../../lib/config";
import { HealthPortMiddleware } from "../../middlewares/health-port.middleware";
import { brokerOptions } from "../../moleculer.config";
import IdentityService from "../../services/data/identity.service";
import { freePort } from "../support/ports";
import type { ReadyBody } from "../support/readiness";

async function get(url: string): Promise<{ status: number; body: ReadyBody }> {
	const res = await fetch(url);
	return { status: res.status, body: (await res.json()) as ReadyBody };
}

describe("HEALTH_PORT", () => {
	it("is not ready while the services start, ready once they have, and gone once stopped", async () => {
		const port = await freePort();
		const options = brokerOptions(loadConfig({ ...process.env, TRANSPORTER: "", CACHER: "" }));
		const broker = new ServiceBroker({ ...options, middlewares: [...(options.middlewares ?? []), HealthPortMiddleware(port)], logger: false });
		let release!: () => void;
		const gate = new Promise<void>(resolve => (release = resolve));
		broker.createService(IdentityService);
		broker.createService({ name: "slow", started: () => gate });
		const starting = broker.start();
		const url = `http://127.0.0.1:${port}/health`;
		try {
			let answer = await get(`${url}/ready`).catch(() => undefined);
			for (let i = 0; !answer && i < 50; i++) {
				await new Promise(r => setTimeout(r, 20));
				answer = await get(`${url}/ready`).catch(() => undefined);
			}
			expect(answer).toMatchObject({
				status: 503,
				body: { status: "unavailable", checks: { broker: "starting", channels: "starting" }, missing: ["broker", "channels"] }
			});
			const live = await fetch(`${url}/live`);
			expect([live.status, live.headers.get("x-content-type-options")]).toEqual([200, "nosniff"]);

			release();
			await starting;
			expect(await get(`${url}/ready`)).toEqual({
				status: 200,
				body: { status: "ok", checks: { broker: "ok", channels: "ok", identity: "ok" }, missing: [] }
			});
		} finally {
			release();
			await starting.catch(() => undefined);
			await broker.stop();
		}
		await expect(fetch(`${url}/ready`)).rejects.toThrow();
	});

	it("is read from the environment, and off by default", () => {
		expect(loadConfig({ HEALTH_PORT: "3100" }).healthPort).toBe(3100);
		expect(loadConfig({}).healthPort).toBeUndefined();
		expect(() => loadConfig({ HEALTH_PORT: "http" })).toThrow(/HEALTH_PORT/);
	});
});
