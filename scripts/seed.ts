/**
 * `npm run seed`: seeds the demo company and prints its logins.
 * - With TRANSPORTER set, joins the running cluster as a node without services and seeds it.
 * - Without, starts every service in this process on the configured storage and seeds that;
 *   set DATA_DIR (or MONGO_URI) so `npm start` finds the data afterwards.
 */
import { ServiceBroker } from "moleculer";
import { loadConfig } from "../lib/config";
import { brokerOptions } from "../moleculer.config";
import { domainServiceFiles } from "./service-files";
import { SEED_SERVICES, describeSeed, seedDemo } from "./seed/seed-demo";

async function main(): Promise<void> {
	const cfg = loadConfig();
	const broker = new ServiceBroker({ ...brokerOptions(cfg), nodeID: `seed-${process.pid}`, logLevel: "warn" });
	if (!cfg.transporter) {
		if (!cfg.dataDir && !cfg.mongoUri) console.warn("No DATA_DIR or MONGO_URI: the demo data lives only as long as this process.");
		for (const file of domainServiceFiles()) broker.loadService(file);
	}
	await broker.start();
	try {
		await broker.waitForServices(SEED_SERVICES, 30_000);
		console.log(describeSeed(await seedDemo(broker)));
	} finally {
		await broker.stop();
	}
}

main().catch(err => {
	console.error("Seeding failed:", err.message ?? err, err.data ? JSON.stringify(err.data) : "");
	process.exit(1);
});
