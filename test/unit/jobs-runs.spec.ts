/** Run records (lib/jobs/runs.ts) on the embedded store; the contract is in test/support/job-runs-contract.ts. */
import { loadConfig } from "../../lib/config";
import { jobRunsContract } from "../support/job-runs-contract";

jobRunsContract("NeDB", () => loadConfig({ NODE_ENV: "test" }));
