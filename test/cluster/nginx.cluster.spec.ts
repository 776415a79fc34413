/**
 * The reference deployment's load balancer (deploy/nginx.conf) under a real nginx, in front of
 * two nodes that each serve the REST gateway and the realtime service (as docker-compose.yml's
 * gateway and realtime containers do between them) and one data node, over real NATS.
 * test/support/nginx.ts says what of the file is changed to run outside Docker: only names,
 * addresses and paths.
 *
 * - REST goes to a gateway and keeps the client's X-Request-Id, or gets one.
 * - /realtime is upgraded to a WebSocket on a realtime node, and a REST call made through nginx
 *   pushes a notification down it.
 * - An employee import (up to 10 MB) is let through to the gateway, which names its bound.
 * - With one gateway node stopped, GETs are passed to the other and answer; so is a POST nginx
 *   never got to send; a new WebSocket lands on the node still running.
 * - A gateway's 503 (no node serves the action) sends a GET on to the other gateway, but a POST
 *   is answered once: it may have been acted on.
 */
import { randomUUID } from "node:crypto";
import request from "supertest";
import { IMPORT_MAX_BYTES } from "../../lib/imports/limits";
import { type ClusterNode, clusterNamespace, itWithLogs, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { describeWith } from "../support/external";
import { type Signup, bearer, login, signup, uniqueEmail } from "../support/http";
import { type Nginx, startNginx } from "../support/nginx";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";
import { type TestClient, connected } from "../support/realtime";

jest.setTimeout(120_000);

describeWith(["nats", "postgres", "nginx"], "nginx (deploy/nginx.conf) in front of gateway and realtime nodes", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("nginx");
	const nodes: ClusterNode[] = [];
	const fronts: Array<{ node: ClusterNode; port: number; realtimePort: number }> = [];
	const clients: TestClient[] = [];
	let nginx: Nginx;
	let owner: Signup;

	const logs = () => [...nodes.map(n => `--- ${n.name} ---\n${n.output().slice(-4000)}`), `--- nginx ---\n${nginx?.output() ?? ""}`].join("\n");
	/** The access log's lines for requests to `uri`, in order. */
	const served = (uri: string) =>
		nginx
			.accessLog()
			.split("\n")
			.filter(line => line.split(" ")[1] === uri);
	/** The lines after the first `from` once there are `count` of them: nginx logs a request after its answer has gone. */
	const servedNext = async (uri: string, from: number, count = 1) => {
		await waitFor(`${count} more request(s) to ${uri} in nginx's access log`, async () => served(uri).length >= from + count, 5000);
		return served(uri).slice(from);
	};

	const env = { DATABASE_URL: databaseUrl, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
	const startFront = (name: string, port: number, realtimePort: number) => {
		const node = startNode(name, "gateway/api,gateway/realtime", {
			namespace,
			// As compose runs the gateways: behind one proxy of ours. A data node only, so readiness asks for what the test uses.
			env: { ...env, PORT: String(port), REALTIME_PORT: String(realtimePort), TRUST_PROXY: "true", READY_SERVICES: "identity,notifications" }
		});
		nodes.push(node);
		return node;
	};

	beforeAll(async () => {
		nodes.push(startNode("data", "data", { namespace, env }));
		for (const name of ["front-1", "front-2"]) {
			const [port, realtimePort] = [await freePort(), await freePort()];
			fronts.push({ node: startFront(name, port, realtimePort), port, realtimePort });
		}
		try {
			for (const { port, realtimePort } of fronts) {
				await waitForGateway(`http://127.0.0.1:${port}`);
				await waitFor("the realtime service to be ready", async () => (await fetch(`http://127.0.0.1:${realtimePort}/health/ready`)).status === 200);
			}
			nginx = await startNginx({ listen: await freePort(), gateways: fronts.map(f => f.port), realtime: fronts.map(f => f.realtimePort) });
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${logs()}`);
		}
		owner = await signup(nginx.url, "Front Door");
	});

	afterEach(async () => {
		await Promise.all(clients.splice(0).map(c => c.close()));
	});

	afterAll(async () => {
		await nginx?.stop();
		await Promise.allSettled(nodes.map(node => node.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	itWithLogs("REST reaches a gateway through nginx, with the client's X-Request-Id kept, or one made for it", logs, async () => {
		const mine = `client-${randomUUID()}`;
		const kept = await request(nginx.url).get("/api/v1/notifications").set(bearer(owner.accessToken)).set("X-Request-Id", mine);
		expect(kept.status).toBe(200);
		expect(kept.headers["x-request-id"]).toBe(mine);

		const given = await request(nginx.url).get("/api/v1/notifications").set(bearer(owner.accessToken));
		expect(given.status).toBe(200);
		// nginx's $request_id: 32 hex digits, a new one per request.
		expect(given.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
	});

	itWithLogs(
		"/realtime is upgraded to a WebSocket on a realtime node, and an invitation sent through nginx pushes a notification down it",
		logs,
		async () => {
			const socket = await connected(nginx.wsUrl, { token: owner.accessToken });
			clients.push(socket);
			const email = uniqueEmail("invitee");
			const invited = await request(nginx.url)
				.post("/api/v1/users")
				.set(bearer(owner.accessToken))
				.send({ email, name: "Ivy Invitee", role: "employee" });
			expect(invited.status).toBe(201);
			const pushed = await socket.next(m => m.type === "notification", 30_000);
			expect(pushed.notification).toMatchObject({ type: "invitation.sent", data: { email } });
		}
	);

	itWithLogs("an employee import over 1 MB reaches the gateway, which answers a file over its 10 MB bound with the documented 413", logs, async () => {
		const res = await request(nginx.url)
			.post("/api/v1/imports/employees")
			.set(bearer(owner.accessToken))
			.set("Content-Type", "text/csv")
			.send(Buffer.alloc(IMPORT_MAX_BYTES + 1, "a"));
		expect(res.status).toBe(413);
		expect(res.body.data).toEqual({ limit: IMPORT_MAX_BYTES, unit: "bytes" });
		// Its own location still sends what `location /` does.
		expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
	});

	itWithLogs("with one gateway node stopped, GETs are passed to the other and answer, and a new WebSocket lands on the node left", logs, async () => {
		await fronts[1].node.stop();
		const before = served("/api/v1/notifications").length;
		for (let i = 0; i < 6; i++) {
			const res = await request(nginx.url).get("/api/v1/notifications").set(bearer(owner.accessToken));
			expect(res.status).toBe(200);
		}
		const lines = await servedNext("/api/v1/notifications", before, 6);
		const [alive, stopped] = fronts.map(f => `127.0.0.1:${f.port}`);
		// Round robin sends about every other request to the stopped gateway first: refused, then the next one.
		expect(lines.filter(line => line.includes(`upstreams=${stopped}, ${alive} statuses=502, 200`)).length).toBeGreaterThan(0);
		expect(lines.every(line => line.endsWith(`${alive} statuses=200`) || line.endsWith(`${alive} statuses=502, 200`))).toBe(true);

		// A connection refused means nothing was sent: even a POST goes to the next gateway.
		for (let i = 0; i < 2; i++) await login(nginx.url, owner.email);

		const socket = await connected(nginx.wsUrl, { token: owner.accessToken });
		clients.push(socket);
	});

	itWithLogs("a gateway's 503 (no node serves the action) sends a GET on to the other gateway, never a POST", logs, async () => {
		const { port, realtimePort } = fronts[1];
		fronts[1].node = startFront("front-2-again", port, realtimePort);
		await waitForGateway(`http://127.0.0.1:${port}`);
		await nodes[0].stop();
		for (const front of fronts) {
			await waitFor("the gateway to answer 503 without the data node", async () => {
				const res = await request(`http://127.0.0.1:${front.port}`).post("/api/v1/auth/login").send({ email: owner.email, password: "x" });
				return res.status === 503;
			});
		}
		const gateways = fronts.map(f => `127.0.0.1:${f.port}`);

		const gets = served("/api/v1/notifications").length;
		const get = await request(nginx.url).get("/api/v1/notifications").set(bearer(owner.accessToken));
		expect(get.status).toBe(503);
		const [tried] = await servedNext("/api/v1/notifications", gets);
		expect(tried).toMatch(/ upstreams=\S+, \S+ statuses=503, 503$/);
		expect(gateways.every(g => tried.includes(g))).toBe(true);

		const posts = served("/api/v1/auth/login").length;
		const post = await request(nginx.url).post("/api/v1/auth/login").send({ email: owner.email, password: "x" });
		expect(post.status).toBe(503);
		const [sent] = await servedNext("/api/v1/auth/login", posts);
		expect(sent).toMatch(/ upstreams=\S+ statuses=503$/);
	});
});
