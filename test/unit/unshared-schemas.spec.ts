/**
 * An action's schema as another node sees it. Moleculer sends a node's services to the others
 * as JSON through utils.safetyObject, which drops every object it meets a second time; lodash's
 * cloneDeep of each action keeps a rule used twice within one action one object. So a rule
 * shared by two params (audit.list's `from` and `to`) reached the gateway on another node as
 * one param, and the OpenAPI document a cluster served lacked the other. Two brokers joined by
 * Moleculer's in-memory Fake transporter, with the middlewares of moleculer.config.ts.
 */
import { randomUUID } from "node:crypto";
import { ServiceBroker } from "moleculer";
import { middlewares } from "../../middlewares";
import type { Role } from "../../lib/roles";

function broker(namespace: string, nodeID: string): ServiceBroker {
	return new ServiceBroker({
		namespace,
		nodeID,
		transporter: "Fake",
		logger: false,
		middlewares: middlewares({ reads: { attemptTimeout: 1000, retries: 0 } })
	});
}

const instant = { type: "string", max: 40, pattern: /^\d{4}-\d{2}-\d{2}T/, optional: true };
const id = { type: "string", min: 1, max: 64 };
const roles: Role[] = ["owner", "admin"];

describe("an action's schema on another node", () => {
	const namespace = `unit-${randomUUID().slice(0, 8)}`;
	const gateway = broker(namespace, "gateway");
	const data = broker(namespace, "data");

	beforeAll(async () => {
		data.createService({
			name: "probe",
			actions: {
				list: {
					rest: "GET /probes",
					auth: { roles },
					params: {
						$$strict: true,
						from: instant,
						to: instant,
						pair: { type: "object", props: { left: id, right: id } },
						ids: { type: "array", items: id, optional: true }
					},
					handler: () => []
				},
				get: { rest: "GET /probes/:id", auth: { roles }, params: { id }, handler: () => ({}) }
			}
		});
		await Promise.all([gateway.start(), data.start()]);
		await gateway.waitForServices("probe");
	});
	afterAll(() => Promise.all([gateway.stop(), data.stop()]));

	function remoteAction(name: string): { params: Record<string, Record<string, unknown>>; auth: { roles: string[] } } {
		const found = gateway.registry.getActionList({ onlyAvailable: true }).find(item => item.name === name && !item.hasLocal) as unknown as {
			action: { params: Record<string, Record<string, unknown>>; auth: { roles: string[] } };
		};
		return found.action;
	}

	it("keeps every param whose rule another param of the action shares, nested ones too", () => {
		const { params } = remoteAction("probe.list");
		expect(Object.keys(params)).toEqual(["$$strict", "from", "to", "pair", "ids"]);
		expect(params.to).toMatchObject({ type: "string", max: 40, optional: true });
		expect(params.pair.props).toEqual({ left: id, right: id });
		expect(params.ids.items).toEqual(id);
	});

	it("keeps what several actions share, and leaves the local schema working", async () => {
		expect(remoteAction("probe.get").params).toEqual({ id });
		expect(remoteAction("probe.get").auth).toEqual({ roles });
		expect(remoteAction("probe.list").auth).toEqual({ roles });
		await expect(
			gateway.call("probe.list", { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", pair: { left: "a", right: "b" } })
		).resolves.toEqual([]);
		await expect(gateway.call("probe.list", { to: "yesterday", pair: { left: "a", right: "b" } })).rejects.toThrow("Parameters validation error!");
	});
});
