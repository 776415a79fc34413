/**
 * A single-machine user with DATA_DIR keeps their data across restarts: the same process
 * `npm start` runs, stopped and started again on the same directory.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { mailTo } from "../support/mail";
import { clusterNamespace, startNode, waitForGateway, type ClusterNode } from "../support/cluster-system";
import { PASSWORD, signup } from "../support/http";
import { freePort } from "../support/ports";

jest.setTimeout(60_000);

describe("NeDB under DATA_DIR", () => {
	const dataDir = mkdtempSync(path.join(os.tmpdir(), "roster-data-"));
	let node: ClusterNode | undefined;

	async function startOneProcess(): Promise<string> {
		const port = await freePort();
		node = startNode("all", "gateway/api,data/identity", {
			namespace: clusterNamespace(),
			env: { TRANSPORTER: "", DATA_DIR: dataDir, PORT: String(port), READY_SERVICES: "identity" }
		});
		const url = `http://127.0.0.1:${port}`;
		await waitForGateway(url);
		return url;
	}

	afterAll(async () => {
		await node?.stop();
		rmSync(dataDir, { recursive: true, force: true });
	});

	// MongoDB keeps data by itself; this is about NeDB's files.
	const itWithNeDB = process.env.MONGO_URI ? it.skip : it;

	itWithNeDB("keeps tenants and users across a restart, and still enforces unique emails", async () => {
		const first = await startOneProcess();
		const owner = await signup(first);
		await node!.stop();
		expect(readdirSync(dataDir).sort()).toEqual([
			"accounts.db",
			"identityLocks.db",
			"identity_audit_outbox.db",
			"identity_employments.db",
			"identity_handled_events.db",
			"identity_job_runs.db",
			"linkTokens.db",
			"sessions.db",
			"tenants.db",
			"users.db"
		]);

		const second = await startOneProcess();
		const login = await request(second).post("/api/v1/auth/login").send({ email: owner.email, password: PASSWORD });
		expect(login.status).toBe(200);
		// The account is known after the restart: a second signup with its email is told so by mail.
		const again = await request(second).post("/api/v1/auth/signup").send({ company: "Again", name: "A", email: owner.email, password: PASSWORD });
		expect(again.status).toBe(202);
		await mailTo(owner.email, "signupExisting");
	});
});
