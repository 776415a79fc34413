/**
 * Run records (lib/jobs/runs.ts) on the shared stores a cluster uses: PostgreSQL when it
 * answers, MongoDB when MONGO_URI is set. One claim per slot, one takeover per dead lease.
 */
import { loadConfig } from "../../lib/config";
import { describeWith } from "../support/external";
import { jobRunsContract } from "../support/job-runs-contract";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

describeWith(["postgres"], "on PostgreSQL", () => {
	const databaseUrl = freshSchemaUrl("jobruns");
	jobRunsContract(
		"PostgreSQL",
		() => loadConfig({ NODE_ENV: "test", DATABASE_URL: databaseUrl }),
		() => dropSchema(databaseUrl)
	);
});

if (process.env.MONGO_URI) {
	jobRunsContract("MongoDB", () => loadConfig({ NODE_ENV: "test", MONGO_URI: process.env.MONGO_URI }));
}
