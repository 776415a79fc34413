/**
 * `npm run repl` joined to a running cluster (a data, an application and a gateway node over
 * NATS), driven at its prompt as a developer would: it seeds the cluster, lists its routes and
 * companies, prints a token the gateway accepts, and calls an action as a user.
 */
import { ServiceBroker } from "moleculer";
import request from "supertest";
import { loadConfig } from "../../lib/config";
import { IdentityActions } from "../../lib/names";
import { brokerOptions } from "../../moleculer.config";
import { type ClusterNode, clusterNamespace, startNode, waitForGateway } from "../support/cluster-system";
import { NATS_URL, describeWith } from "../support/external";
import { bearer } from "../support/http";
import { freePort } from "../support/ports";
import { type ReplProcess, startRepl } from "../support/repl-process";

jest.setTimeout(180_000);

describeWith(["nats"], "a REPL-only node joined to a cluster", () => {
	const namespace = clusterNamespace();
	const nodes: ClusterNode[] = [];
	let url: string;
	let repl: ReplProcess;

	beforeAll(async () => {
		const port = await freePort();
		const env = { RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
		nodes.push(
			startNode("data", "data", { namespace, env }),
			startNode("app", "app", { namespace, env }),
			startNode("gateway", "gateway/api", { namespace, env: { ...env, PORT: String(port) } })
		);
		url = `http://127.0.0.1:${port}`;
		try {
			await waitForGateway(url);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output()}`).join("\n")}`);
		}
		repl = startRepl({
			NODE_ENV: "development",
			TRANSPORTER: NATS_URL,
			NAMESPACE: namespace,
			NODE_ID: `repl-${namespace}`,
			JWT_SECRET: "cluster-test-secret-0123456789-abcdefghijklmnop",
			LOG_LEVEL: "warn",
			SERVICES: "",
			SERVICEDIR: ""
		});
	});

	afterAll(async () => {
		await repl?.stop();
		await Promise.allSettled(nodes.map(node => node.stop()));
	});

	it("seeds the cluster and prints the demo logins", async () => {
		const printed = await repl.run("seed", /Demo logins:[\s\S]*employee\s+\S+@example\.test|Seeding failed.*\n/, 120_000);
		expect(printed).toMatch(/Seeded "Acme Demo": \{"departments":\d+,"employees":\d+/);
	});

	it("routes: each route with the node serving its action", async () => {
		const printed = await repl.run("routes", /routes, as the gateway on \S+ has them\)/);
		expect(printed).toMatch(new RegExp(`GET\\s+/api/v1/employees\\s+employees\\.list\\s+data-${namespace}\\n`));
		expect(printed).toMatch(new RegExp(`POST\\s+/api/v1/leave-requests/:id/approve\\s+leaveWorkflow\\.approve\\s+app-${namespace}\\n`));
		expect(printed).toContain(`as the gateway on gateway-${namespace} has them`);
	});

	it("tenants: the demo company with its counts", async () => {
		const printed = await repl.run("tenants", /Acme Demo.*\n/);
		expect(printed).toMatch(/Acme Demo\s+\d{4}-\d{2}-\d{2}\s+\d+\s+20\d\s+1\d\s/);
	});

	it("token: an access token the cluster's gateway accepts as that user", async () => {
		const printed = await repl.run("token hr@demo.roster.test", /expires in \d+ s\)/);
		const token = /(eyJ[\w-]+\.[\w-]+\.[\w-]+)/.exec(printed)![1];
		const res = await request(url).get("/api/v1/me").set(bearer(token));
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ email: "hr@demo.roster.test", role: "hr" });
	});

	it("token --tenant: the company named, and a clear refusal for one the person is not in", async () => {
		const tenantId = /^(\S+)\s+Acme Demo\s/m.exec(await repl.run("tenants", /Acme Demo.*\n/))![1];
		const printed = await repl.run(`token hr@demo.roster.test --tenant ${tenantId}`, /expires in \d+ s\)/);
		expect(printed).toContain(`in Acme Demo, tenant ${tenantId}`);
		const refused = await repl.run("token hr@demo.roster.test --tenant no-such-company", /NOT_FOUND.*\n/);
		expect(refused).toContain("NotFoundError 404 NOT_FOUND: Active membership in that company not found");
	});

	it("as: calls an action with the user's meta, and refuses what their role may not do", async () => {
		const printed = await repl.run(`as employee@demo.roster.test call employees.list '{"pageSize": 1}'`, /"totalPages": \d+\n\}/);
		expect(printed).toMatch(/"total": 1,/);
		const refused = await repl.run(`as employee@demo.roster.test call org.createDepartment '{"name": "Nope"}'`, /FORBIDDEN.*\n/);
		expect(refused).toContain("ForbiddenError 403 FORBIDDEN: Your role does not allow this");
	});
});

describeWith(["nats"], "identity on a production node", () => {
	const namespace = clusterNamespace();
	let identity: ClusterNode;
	let client: ServiceBroker;

	beforeAll(async () => {
		identity = startNode("identity", "data/identity", { namespace, env: { NODE_ENV: "production" } });
		client = new ServiceBroker({
			...brokerOptions(loadConfig({ ...process.env, TRANSPORTER: NATS_URL, NAMESPACE: namespace, CACHER: "" })),
			logger: false
		});
		await client.start();
		await client.waitForServices(["identity"], 30_000).catch(err => {
			throw new Error(`${(err as Error).message}\n${identity.output()}`);
		});
	});

	afterAll(async () => {
		await client?.stop();
		await identity?.stop();
	});

	it("refuses to sign anyone in without a password, whatever the REPL's own NODE_ENV", async () => {
		await expect(client.call(IdentityActions.signInWithoutPassword, { email: "someone@example.test" })).rejects.toMatchObject({
			code: 403,
			message: "Signing in without a password is refused on a production node"
		});
	});
});
