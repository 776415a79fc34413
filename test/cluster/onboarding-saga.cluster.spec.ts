/**
 * Onboarding's saga survives the death of the node that runs it, at every step: real runner
 * processes from dist/ over NATS (JetStream for employee.hired) and a PostgreSQL schema of the
 * suite's own. For each crash point (right before and right after each step's effect, the
 * claim included) a node is started with the test hook TEST_ONBOARDING_CRASH_AT set there; the
 * accept is sent to that node, which kills itself (SIGKILL) at that point. The surviving
 * onboarding node's sweep takes the saga over once its lease runs out (a node that died before
 * claiming anything left nothing to take over: the client's retry goes to the survivor).
 *
 * Every run must end with exactly one hire for the candidate (one employee with their email,
 * one user, their entitlements, the application hired, the offer accepted with both ids, one
 * employee.hired delivered) or a clean compensation (offer sent again, no employee, no user, no
 * entitlements, application back at offer); never an offer left accepted without a hire.
 *
 * One more run shows the other ending: the node dies before the hire, and by the time the
 * survivor resumes, the hire can no longer succeed (the candidate's email became an employee's):
 * the survivor compensates, cleanly.
 *
 * One cluster serves every run; the company is set up once over HTTP.
 */
import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../lib/config";
import type { Offer } from "../../lib/names/recruitment";
import type { Onboarded } from "../../services/app/onboarding.service";
import { type ClusterNode, clusterNamespace, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { NATS_URL, REDIS_URL, describeWith } from "../support/external";
import { leaveType } from "../support/leave";
import { type HireLog, listenToHires, metaUser, sentOffer } from "../support/onboarding";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";
import { type Company, client, setUpCompany } from "../support/recruitment";

jest.setTimeout(600_000);

/** Short, so a dead node's saga is taken over within seconds (the default is 30 s). */
const LEASE_MS = 2000;
const SURVIVOR_SWEEP_MS = 300;
/** From the kill to a finished saga: the lease, a sweep, the remaining steps on a loaded machine. */
const RECOVERY_WAIT_MS = 45_000;
/** Sixteen processes start at once (data, gateway, survivor, a crasher per point and one more): on two busy cores the first 30 s are not enough. */
const STARTUP_WAIT_MS = 180_000;

const STEPS = ["claim", "hire", "invite", "entitlements", "stage", "commit"] as const;
const CRASH_POINTS = STEPS.flatMap(step => (["before", "after"] as const).map(when => ({ step, when, key: `${step},${when}` })));

const ONBOARDING = "onboarding.acceptOffer";

describeWith(["nats", "redis", "postgres"], "onboarding: the node running the saga dies at each step", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("saga");
	const nodes: ClusterNode[] = [];
	const crashers = new Map<string, ClusterNode>();
	let survivor: ClusterNode;
	let clashCrasher: ClusterNode;
	let broker: ServiceBroker;
	let url = "";
	let company: Company;
	let hires: HireLog;
	const outcomes: string[] = [];

	const nodeId = (name: string) => `${name}-${namespace}`;
	const api = () => client(url);

	beforeAll(async () => {
		const env = {
			DATABASE_URL: databaseUrl,
			CACHER: REDIS_URL,
			RATE_LIMIT_ANONYMOUS: "100000",
			RATE_LIMIT_USER: "100000",
			ONBOARDING_LEASE: String(LEASE_MS)
		};
		const port = await freePort();
		survivor = startNode("survivor", "app/onboarding,app/recruiting", {
			namespace,
			env: { ...env, ONBOARDING_SWEEP_INTERVAL: String(SURVIVOR_SWEEP_MS), LOG_LEVEL: "info" }
		});
		nodes.push(
			startNode("data", "data", { namespace, env }),
			startNode("gateway", "gateway/api", {
				namespace,
				env: { ...env, PORT: String(port), READY_SERVICES: "identity,org,employees,leave,recruitment,onboarding,recruiting" }
			}),
			survivor
		);
		// A crasher never sweeps: it is there to die at its own point of its own saga, nowhere else.
		for (const { key } of CRASH_POINTS) {
			const crasher = startNode(`crash-${key.replace(",", "-")}`, "app/onboarding", {
				namespace,
				env: { ...env, TEST_ONBOARDING_CRASH_AT: key, ONBOARDING_SWEEP_INTERVAL: "3600000" }
			});
			crashers.set(key, crasher);
			nodes.push(crasher);
		}
		clashCrasher = startNode("crash-clash", "app/onboarding", {
			namespace,
			env: { ...env, TEST_ONBOARDING_CRASH_AT: "hire", ONBOARDING_SWEEP_INTERVAL: "3600000" }
		});
		nodes.push(clashCrasher);
		broker = new ServiceBroker({
			...brokerOptions(loadConfig({ ...process.env, NODE_ENV: "test", NAMESPACE: namespace, TRANSPORTER: NATS_URL, CACHER: "", DATABASE_URL: "" })),
			nodeID: `test-client-${namespace}`,
			logger: false
		});
		url = `http://127.0.0.1:${port}`;
		try {
			await broker.start();
			await waitForGateway(url, STARTUP_WAIT_MS);
			await waitFor(
				"onboarding on every crasher",
				async () => {
					const onboarding = new Set(
						broker.registry
							.getServiceList({ onlyAvailable: true })
							.filter(svc => svc.name === "onboarding")
							.map(svc => svc.nodeID)
					);
					return [...crashers.values(), clashCrasher].every(crasher => onboarding.has(nodeId(crasher.name)));
				},
				60_000
			);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output().slice(-3000)}`).join("\n")}`);
		}
		hires = await listenToHires(broker);
		company = await setUpCompany(url, "Saga Ltd");
		await leaveType(url, company.hr, { name: "Annual leave", yearlyAllowance: 25 });
	}, 300_000);

	afterAll(async () => {
		console.log(`Onboarding runs, by crash point:\n${outcomes.join("\n")}`);
		await broker?.stop().catch(() => undefined);
		await Promise.allSettled(nodes.map(node => node.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	/** A failure shows what the nodes involved printed. */
	async function explained(involved: ClusterNode[], test: () => Promise<void>): Promise<void> {
		try {
			await test();
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${involved.map(n => `--- ${n.name} ---\n${n.output().slice(-8000)}`).join("\n")}`);
		}
	}

	const accept = (nodeName: string, offerId: string) =>
		broker.call<Onboarded, object>(ONBOARDING, { id: offerId }, { nodeID: nodeId(nodeName), meta: { user: metaUser(company) }, timeout: 60_000 });

	const total = async (path: string) => {
		const res = await api().get(path, company.hr);
		if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
		return res.body.total as number;
	};

	it.each(CRASH_POINTS)("killed $when '$step': the hire happens exactly once, or is cleanly undone", ({ step, when, key }) => {
		const crasher = crashers.get(key)!;
		return explained([crasher, survivor], async () => {
			const sent = await sentOffer(url, company);
			const email = sent.candidate.email;
			const offerPath = `/offers/${sent.offer.id}`;

			// The crasher's answer never comes: it dies mid-request.
			accept(crasher.name, sent.offer.id).catch(() => undefined);
			await waitFor(`the crasher to kill itself ${when} '${step}'`, async () => crasher.process.signalCode === "SIGKILL", 60_000);
			expect(crasher.output()).toContain(`[test hook] onboarding: killed ${when} the step '${step}'`);

			if (step === "claim" && when === "before") {
				// Nothing was written: the offer is still sent, and the client's retry is served by the survivor.
				expect((await api().get(offerPath, company.hr)).body).toMatchObject({ status: "sent", employeeId: null });
				expect((await accept(survivor.name, sent.offer.id)).offer).toMatchObject({ status: "accepted" });
			}

			// Never stuck: the saga ends, one way or the other.
			let offer: Offer = sent.offer;
			await waitFor(
				`the saga of offer ${sent.offer.id} to end`,
				async () => {
					offer = (await api().get(offerPath, company.hr)).body;
					return offer.onboarding?.state === "done" || offer.onboarding?.state === "compensated";
				},
				RECOVERY_WAIT_MS
			);
			const saga = offer.onboarding!;
			const application = (await api().get(`/applications/${sent.application.id}`, company.hr)).body;

			if (saga.state === "done") {
				expect(offer).toMatchObject({ status: "accepted", employeeId: saga.employeeId, userId: saga.userId });
				expect(await total(`/employees?search=${encodeURIComponent(email)}`)).toBe(1);
				expect(await total(`/users?search=${encodeURIComponent(email)}`)).toBe(1);
				expect((await api().get(`/employees/${saga.employeeId}`, company.hr)).body).toMatchObject({ workEmail: email, userId: saga.userId });
				expect((await api().get(`/users/${saga.userId}`, company.hr)).body).toMatchObject({ email, employeeId: saga.employeeId });
				expect(await total(`/leave-entitlements?employeeId=${saga.employeeId}`)).toBe(1);
				expect(application.stage).toBe("hired");
				expect(application.history.filter((h: { to: string }) => h.to === "hired")).toHaveLength(1);
				await waitFor("employee.hired to be delivered", async () => hires.about(sent.offer.id).length > 0, 30_000);
				expect(hires.about(sent.offer.id)).toEqual([
					expect.objectContaining({ employeeId: saga.employeeId, userId: saga.userId, offerId: sent.offer.id })
				]);
				// A retry answers the same hire.
				const again = await accept(survivor.name, sent.offer.id);
				expect(again).toMatchObject({ employee: { id: saga.employeeId }, user: { id: saga.userId } });
			} else {
				expect(offer).toMatchObject({ status: "sent", employeeId: null, userId: null });
				expect(await total(`/employees?search=${encodeURIComponent(email)}`)).toBe(0);
				expect(await total(`/users?search=${encodeURIComponent(email)}`)).toBe(0);
				expect(await total(`/leave-entitlements?employeeId=${saga.employeeId}`)).toBe(0);
				expect(application.stage).toBe("offer");
				expect(hires.about(sent.offer.id)).toEqual([]);
			}
			outcomes.push(`  ${key.padEnd(18)} ${saga.state} (takeovers: ${saga.attempts})`);
		});
	});

	it("killed before 'hire', when the hire can no longer succeed: the survivor undoes the saga cleanly", () =>
		explained([clashCrasher, survivor], async () => {
			const sent = await sentOffer(url, company);
			const email = sent.candidate.email;
			accept(clashCrasher.name, sent.offer.id).catch(() => undefined);
			await waitFor("the crasher to kill itself before 'hire'", async () => clashCrasher.process.signalCode === "SIGKILL", 60_000);
			// Meanwhile someone hires a colleague under the candidate's email.
			const colleague = await api().post("/employees", company.owner, {
				firstName: "Clash",
				lastName: "Colleague",
				workEmail: email,
				hireDate: "2030-01-01"
			});
			expect(colleague.status).toBe(201);

			let offer: Offer = sent.offer;
			await waitFor(
				`the saga of offer ${sent.offer.id} to end`,
				async () => {
					offer = (await api().get(`/offers/${sent.offer.id}`, company.hr)).body;
					return offer.onboarding?.state === "compensated";
				},
				RECOVERY_WAIT_MS
			);
			expect(offer).toMatchObject({
				status: "sent",
				employeeId: null,
				userId: null,
				onboarding: { state: "compensated", error: expect.stringMatching(/workEmail/) }
			});
			// The colleague is the only employee with that email; the saga's employee and user never came to be.
			expect(await total(`/employees?search=${encodeURIComponent(email)}`)).toBe(1);
			expect((await api().get(`/employees/${offer.onboarding!.employeeId}`, company.hr)).status).toBe(404);
			expect(await total(`/users?search=${encodeURIComponent(email)}`)).toBe(0);
			expect(await total(`/leave-entitlements?employeeId=${offer.onboarding!.employeeId}`)).toBe(0);
			expect((await api().get(`/applications/${sent.application.id}`, company.hr)).body.stage).toBe("offer");
			expect(hires.about(sent.offer.id)).toEqual([]);
			outcomes.push(`  ${"hire,before+clash".padEnd(18)} ${offer.onboarding!.state} (takeovers: ${offer.onboarding!.attempts})`);
		}));

	it("delivered employee.hired once per hire, never twice", async () => {
		// Late redeliveries would show here: every event about an offer is one event.
		await new Promise(resolve => setTimeout(resolve, 2000));
		const offers = new Set(hires.events.map(e => e.offerId));
		for (const offerId of offers) expect(hires.about(offerId)).toHaveLength(1);
		expect(offers.size).toBeGreaterThan(0);
	});
});
