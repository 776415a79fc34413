/**
 * A closed bus. Whoever reaches an open NATS can join the namespace and call any action with a
 * forged meta.user; with authentication on the server (as compose runs it: --user/--pass), only
 * nodes holding NATS_USER/NATS_PASSWORD join. Real runner processes built from dist/ on a
 * nats-server of this test's own (and, for TLS, one with a certificate made here).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import { connect } from "nats";
import { loadConfig } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";
import { type ClusterNode, clusterNamespace, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { describeWithNatsServer, type NatsServer, startNatsServer } from "../support/nats-server";
import { freePort } from "../support/ports";

jest.setTimeout(60_000);

const USER = "roster";
const PASSWORD = randomBytes(18).toString("base64url");
const REFUSED = /Connection is failed\. 'Authorization Violation'/g;

/** How many times the node's broker has been refused by NATS (it retries every 5 s). */
function refusals(node: ClusterNode): number {
	return node.output().match(REFUSED)?.length ?? 0;
}

/** A broker in this process with the transporter options lib/config makes from `env`. */
async function member(namespace: string, env: Record<string, string>): Promise<ServiceBroker> {
	const { transporter } = brokerOptions(loadConfig(env));
	const broker = new ServiceBroker({ namespace, nodeID: `member-${namespace}`, transporter, logger: false });
	await broker.start();
	return broker;
}

async function nodeIds(broker: ServiceBroker): Promise<string[]> {
	const nodes = (await broker.call("$node.list")) as { id: string }[];
	return nodes.map(node => node.id);
}

describeWithNatsServer("a closed bus: NATS with a user and password", () => {
	const namespace = clusterNamespace();
	const nodes: ClusterNode[] = [];
	let nats: NatsServer;
	let credentials: Record<string, string>;
	let url: string;

	beforeAll(async () => {
		nats = await startNatsServer(["--user", USER, "--pass", PASSWORD]);
		credentials = { TRANSPORTER: nats.url, NATS_USER: USER, NATS_PASSWORD: PASSWORD };
		const port = await freePort();
		url = `http://127.0.0.1:${port}`;
		// Info level: what a node logs when it connects must not carry the password either.
		nodes.push(startNode("identity", "data/identity", { namespace, env: { ...credentials, LOG_LEVEL: "info" } }));
		nodes.push(startNode("gateway", "gateway/api", { namespace, env: { ...credentials, PORT: String(port), READY_SERVICES: "identity" } }));
	});

	afterAll(async () => {
		await Promise.all(nodes.map(node => node.stop()));
		await nats?.stop();
	});

	it("nodes with the credentials join: the gateway answers through the identity node", async () => {
		await waitForGateway(url);
		const res = await fetch(`${url}/api/v1/auth/login`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ email: "nobody@example.test", password: "Wrong-Password-1" })
		});
		expect(res.status).toBe(401);
	});

	it("a node without them, or with a wrong password, is refused by the bus and never seen by the cluster", async () => {
		// The same kind of node an intruder would start, with the namespace it would guess right.
		const intruder = startNode("intruder", "data/org", { namespace, env: { TRANSPORTER: nats.url, NATS_USER: "", NATS_PASSWORD: "" } });
		const guesser = startNode("guesser", "data/org", { namespace, env: { ...credentials, NATS_PASSWORD: "not-the-password" } });
		nodes.push(intruder, guesser);
		await waitFor("both to be refused", async () => refusals(intruder) >= 1 && refusals(guesser) >= 1);

		const broker = await member(namespace, credentials);
		try {
			await broker.waitForServices(["identity", "api"], 10_000);
			await expect(broker.call("identity.storageReady")).resolves.toBeDefined();
			// Refused again on its next attempt: they keep trying, and keep failing.
			await waitFor("a second refusal each", async () => refusals(intruder) >= 2 && refusals(guesser) >= 2, 15_000);
			const ids = await nodeIds(broker);
			expect(ids).toEqual(expect.arrayContaining([`identity-${namespace}`, `gateway-${namespace}`]));
			expect(ids).not.toContain(`intruder-${namespace}`);
			expect(ids).not.toContain(`guesser-${namespace}`);
			expect(broker.registry.getServiceList({ skipInternal: true }).map(s => s.name)).not.toContain("org");
		} finally {
			await broker.stop();
		}
	}, 60_000);

	it("a bare NATS client is refused at connect, so it cannot publish a forged request either", async () => {
		await expect(connect({ servers: nats.url, reconnect: false })).rejects.toMatchObject({ code: "AUTHORIZATION_VIOLATION" });
		await expect(connect({ servers: nats.url, user: USER, pass: "guess", reconnect: false })).rejects.toMatchObject({ code: "AUTHORIZATION_VIOLATION" });
	});

	it("no node writes the password to its log", () => {
		for (const node of nodes) expect(node.output()).not.toContain(PASSWORD);
	});
});

/** A CA and a server certificate for 127.0.0.1, made with openssl for this run only. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
	const file = (name: string) => path.join(dir, name);
	const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
	const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
	openssl("req", "-x509", ...ec, "-keyout", file("ca-key.pem"), "-out", file("ca.pem"), "-days", "1", "-subj", "/CN=roster-test-ca");
	openssl("req", ...ec, "-keyout", file("server-key.pem"), "-out", file("server.csr"), "-subj", "/CN=localhost");
	writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
	openssl(
		"x509",
		"-req",
		"-in",
		file("server.csr"),
		"-CA",
		file("ca.pem"),
		"-CAkey",
		file("ca-key.pem"),
		"-CAcreateserial",
		"-out",
		file("server.pem"),
		"-days",
		"1",
		"-extfile",
		file("san.ext")
	);
	return { ca: file("ca.pem"), cert: file("server.pem"), key: file("server-key.pem") };
}

describeWithNatsServer("the bus over TLS (TRANSPORTER=tls://…, NATS_TLS_CA)", () => {
	const namespace = clusterNamespace();
	const nodes: ClusterNode[] = [];
	let dir: string;
	let nats: NatsServer;
	let tlsEnv: Record<string, string>;

	beforeAll(async () => {
		dir = mkdtempSync(path.join(os.tmpdir(), "roster-nats-tls-"));
		const { ca, cert, key } = makeCertificates(dir);
		nats = await startNatsServer(["--tls", "--tlscert", cert, "--tlskey", key, "--user", USER, "--pass", PASSWORD]);
		tlsEnv = { TRANSPORTER: `tls://127.0.0.1:${nats.port}`, NATS_USER: USER, NATS_PASSWORD: PASSWORD, NATS_TLS_CA: ca };
	});

	afterAll(async () => {
		await Promise.all(nodes.map(node => node.stop()));
		await nats?.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it("a node that trusts the server's CA joins; one that does not is refused", async () => {
		const trusted = startNode("identity", "data/identity", { namespace, env: tlsEnv });
		const untrusting = startNode("untrusting", "data/org", { namespace, env: { ...tlsEnv, NATS_TLS_CA: "" } });
		nodes.push(trusted, untrusting);

		const broker = await member(namespace, tlsEnv);
		try {
			await broker.waitForServices(["identity"], 20_000);
			await expect(broker.call("identity.storageReady")).resolves.toBeDefined();
			await waitFor("the untrusting node to fail its handshake", async () => /Connection is failed\. unable to verify/.test(untrusting.output()));
			expect(await nodeIds(broker)).not.toContain(`untrusting-${namespace}`);
		} finally {
			await broker.stop();
		}
	});
});
