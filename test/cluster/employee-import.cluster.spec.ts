/**
 * An import worker killed mid-import, over real NATS JetStream and PostgreSQL: two processes of
 * the imports service consume the import's chunks as one consumer group. The test hook
 * TEST_IMPORT_PAUSE holds each chunk after its rows are imported and before the chunk is
 * counted: the worst moment to die. The worker paused on the first chunk is SIGKILLed there;
 * JetStream gives the chunk to the other after CHANNEL_ACK_WAIT, which redoes it (finding the
 * rows hired under their deterministic ids), goes on to the end, and the company has exactly
 * the file's employees, each once.
 */
import request from "supertest";
import { type ClusterNode, clusterNamespace, startNode, waitFor, waitForGateway } from "../support/cluster-system";
import { REDIS_URL, describeWith } from "../support/external";
import { type Signup, bearer, signup } from "../support/http";
import { freePort } from "../support/ports";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

jest.setTimeout(240_000);

const PAUSE_MS = 3000;
const ACK_WAIT_MS = 2000;
const ROWS = 600;
const HOOK = /\[test hook\] import [0-9a-f-]+ chunk (\d+)/g;

describeWith(["nats", "redis", "postgres"], "an import worker killed mid-import", () => {
	const namespace = clusterNamespace();
	const databaseUrl = freshSchemaUrl("imports");
	const nodes: ClusterNode[] = [];
	let workers: ClusterNode[] = [];
	let url = "";
	let owner: Signup;

	const pausedOn = (worker: ClusterNode) => [...worker.output().matchAll(HOOK)].map(m => Number(m[1]));

	beforeAll(async () => {
		const env = { DATABASE_URL: databaseUrl, CACHER: REDIS_URL, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000" };
		const workerEnv = { ...env, TEST_IMPORT_PAUSE: String(PAUSE_MS), CHANNEL_ACK_WAIT: String(ACK_WAIT_MS) };
		const port = await freePort();
		workers = [
			startNode("importer-1", "data/imports", { namespace, env: workerEnv }),
			startNode("importer-2", "data/imports", { namespace, env: workerEnv })
		];
		nodes.push(
			...workers,
			startNode("data", "data/identity,data/employees,data/org,data/notifications,data/shorturl,data/dead-letters", { namespace, env }),
			startNode("gateway", "gateway/api", {
				namespace,
				env: { ...env, PORT: String(port), READY_SERVICES: "identity,employees,org,notifications,shorturl,deadLetters,imports" }
			})
		);
		url = `http://127.0.0.1:${port}`;
		try {
			await waitForGateway(url);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output()}`).join("\n")}`);
		}
		owner = await signup(url, "Bulk Ltd");
	});

	afterAll(async () => {
		await Promise.allSettled(nodes.map(node => node.stop()));
		await dropSchema(databaseUrl).catch(() => undefined);
	});

	async function explained(test: () => Promise<void>): Promise<void> {
		try {
			await test();
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${nodes.map(n => `--- ${n.name} ---\n${n.output().slice(-6000)}`).join("\n")}`);
		}
	}

	it("the import completes on the other worker with exactly the file's employees", () =>
		explained(async () => {
			const lines = ["employeeNumber,firstName,lastName,workEmail,hireDate"];
			for (let i = 0; i < ROWS; i++) lines.push(`K-${i},Kill,Test${i},kill${i}@bulk.test,2024-06-01`);
			const started = await request(url)
				.post("/api/v1/imports/employees")
				.set(bearer(owner.accessToken))
				.set("Content-Type", "text/csv")
				.send(lines.join("\n"));
			expect(started.status).toBe(202);
			const importId: string = started.body.id;

			await waitFor("a worker to pause on the first chunk", async () => workers.some(w => pausedOn(w).includes(0)), 60_000);
			const first = workers.find(w => pausedOn(w).includes(0))!;
			const other = workers.find(w => w !== first)!;
			// The chunk's rows are hired, the chunk not yet counted.
			const midway = await request(url).get(`/api/v1/imports/${importId}`).set(bearer(owner.accessToken));
			expect(midway.body).toMatchObject({ status: "running", processed: 0 });
			first.process.kill("SIGKILL");

			await waitFor("the other worker to redo the first chunk", async () => pausedOn(other).includes(0), 60_000);
			let done: { status: string; counts: Record<string, number> } | undefined;
			await waitFor(
				"the import to finish",
				async () => {
					const res = await request(url).get(`/api/v1/imports/${importId}`).set(bearer(owner.accessToken));
					done = res.body;
					return res.body.status === "done";
				},
				120_000
			);
			expect(done!.counts).toEqual({ total: ROWS, imported: ROWS, updated: 0, skipped: 0, failed: 0 });

			// Every employee once (the owner has no employee record of their own).
			const list = await request(url).get("/api/v1/employees?pageSize=1").set(bearer(owner.accessToken));
			expect(list.body.total).toBe(ROWS);

			// And the importing user is told, once.
			await waitFor(
				"the import.finished notification",
				async () => {
					const inbox = await request(url).get("/api/v1/notifications").set(bearer(owner.accessToken));
					return (inbox.body.rows ?? []).some((n: { type: string }) => n.type === "import.finished");
				},
				30_000
			);
			const inbox = await request(url).get("/api/v1/notifications").set(bearer(owner.accessToken));
			expect(
				inbox.body.rows.filter((n: { type: string; data: { importId: string } }) => n.type === "import.finished" && n.data.importId === importId)
			).toHaveLength(1);
		}));
});
