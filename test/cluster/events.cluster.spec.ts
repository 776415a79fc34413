/**
 * A consumer killed mid-handling, over real NATS JetStream: two identity processes consume
 * employees.changed as one consumer group. The test hook TEST_CHANNEL_PAUSE holds each handler
 * between its effect (the linked user disabled) and its record of having handled the event:
 * the worst moment to die. The process that got the termination is SIGKILLed there; JetStream
 * gives the event to the other after CHANNEL_ACK_WAIT, which handles it to the end, and the
 * effect happens once (the user's updatedAt is the first handler's).
 *
 * While the first handler is alive, however slow, the other never gets the event: the
 * handler tells JetStream it is still working.
 */
import { Client } from "pg";
import request from "supertest";
import { type ClusterNode, clusterNamespace, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { hire } from "../support/employees";
import { REDIS_URL, describeWith } from "../support/external";
import { PASSWORD, type Signup, bearer, createUser, signup } from "../support/http";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

jest.setTimeout(150_000);

const PAUSE_MS = 6000;
const ACK_WAIT_MS = 2000;
const HOOK = /\[test hook\] identity:/g;

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describeWith(["nats", "redis", "postgres"], "a channel consumer killed mid-handling", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("events");
	const nodes: ClusterNode[] = [];
	let workers: ClusterNode[] = [];
	let url = "";
	let owner: Signup;

	/** How many events a worker has paused on (its effect done, its record not yet written). */
	const paused = (worker: ClusterNode) => worker.output().match(HOOK)?.length ?? 0;

	async function handledCount(): Promise<number> {
		const dbUrl = new URL(databaseUrl);
		const schema = dbUrl.searchParams.get("schema")!;
		dbUrl.searchParams.delete("schema");
		const client = new Client({ connectionString: dbUrl.toString() });
		await client.connect();
		try {
			const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}"."identity_handled_events"`);
			return rows[0].n;
		} finally {
			await client.end();
		}
	}

	beforeAll(async () => {
		const env = { DATABASE_URL: databaseUrl, CACHER: REDIS_URL, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
		const workerEnv = { ...env, TEST_CHANNEL_PAUSE: String(PAUSE_MS), CHANNEL_ACK_WAIT: String(ACK_WAIT_MS) };
		const port = await freePort();
		workers = [
			startNode("worker-1", "data/identity", { namespace, env: workerEnv }),
			startNode("worker-2", "data/identity", { namespace, env: workerEnv })
		];
		nodes.push(
			...workers,
			startNode("data", "data/employees,data/org,data/dead-letters", { namespace, env }),
			startNode("gateway", "gateway/api", { namespace, env: { ...env, PORT: String(port), READY_SERVICES: "identity,employees,org,deadLetters" } })
		);
		url = `http://127.0.0.1:${port}`;
		try {
			await waitForGateway(url);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output()}`).join("\n")}`);
		}
		owner = await signup(url, "Durable Ltd");
	});

	afterAll(async () => {
		await Promise.allSettled(nodes.map(node => node.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	/** A failure shows what every node printed. */
	async function explained(test: () => Promise<void>): Promise<void> {
		try {
			await test();
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output().slice(-6000)}`).join("\n")}`);
		}
	}

	it("the event completes on the other worker, and its effect happens once", () =>
		explained(async () => {
			const employee = await hire(url, owner);
			const user = await createUser(url, owner, "employee", employee.id);
			// The hire and the account link are events too, but with no effect on accounts: identity
			// records nothing for them and never pauses on them (identity.parts/employee-links.ts).
			const before = workers.map(paused);

			const ended = await request(url)
				.post(`/api/v1/employees/${employee.id}/terminate`)
				.set(bearer(owner.accessToken))
				.send({ date: "2025-06-30", reason: "Left" });
			expect(ended.status).toBe(200);
			await waitFor("a worker to pause on the termination", async () => workers.some((w, i) => paused(w) > before[i]), 30_000);
			const first = workers.find((w, i) => paused(w) > before[i])!;
			const other = workers.find(w => w !== first)!;

			// The effect is done, the record not written: the user is disabled already.
			const disabled = await request(url).get(`/api/v1/users/${user.id}`).set(bearer(owner.accessToken));
			expect(disabled.body.status).toBe("disabled");
			// Alive and slow past the ack wait: JetStream does not hand the event to the other worker.
			await pause(ACK_WAIT_MS * 1.5);
			expect(paused(other)).toBe(before[workers.indexOf(other)]);
			expect(await handledCount()).toBe(0);

			first.process.kill("SIGKILL");
			const killedAt = Date.now();
			await waitFor("the other worker to take the termination over", async () => paused(other) > before[workers.indexOf(other)], 30_000);
			console.log(`The other worker had the event ${Date.now() - killedAt} ms after the kill (CHANNEL_ACK_WAIT=${ACK_WAIT_MS})`);
			await waitFor("the other worker to record it", async () => (await handledCount()) === 1, PAUSE_MS + 30_000);

			// Once in effect: the second run found the user disabled and changed nothing.
			const after = await request(url).get(`/api/v1/users/${user.id}`).set(bearer(owner.accessToken));
			expect(after.body).toMatchObject({ status: "disabled", updatedAt: disabled.body.updatedAt });
			expect((await request(url).get("/api/v1/me").set(bearer(user.accessToken))).status).toBe(401);
			expect((await request(url).post("/api/v1/auth/login").send({ email: user.email, password: PASSWORD })).status).toBe(401);

			// The surviving worker goes on with the next change of that employee: the rehire gives the account back.
			expect(
				(await request(url).post(`/api/v1/employees/${employee.id}/rehire`).set(bearer(owner.accessToken)).send({ date: "2026-01-05" })).status
			).toBe(200);
			await waitFor(
				"the rehire to give the account back",
				async () => (await request(url).post("/api/v1/auth/login").send({ email: user.email, password: PASSWORD })).status === 200,
				PAUSE_MS + 30_000
			);
			expect((await request(url).get(`/api/v1/users/${user.id}`).set(bearer(owner.accessToken))).body.status).toBe("active");
		}));
});
