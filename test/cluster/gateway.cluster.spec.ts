import { describeWith } from "../support/external";
import { startTwoNodeSystem } from "../support/cluster-system";
import { defineGatewaySuite } from "../integration/gateway.suite";

jest.setTimeout(60_000);

const JWT_SECRET = "cluster-test-secret-0123456789-abcdefghijklmnop";

describeWith(["nats"], "two processes over NATS", () => {
	defineGatewaySuite("gateway node + identity node", async () => {
		const system = await startTwoNodeSystem({
			env: { JWT_SECRET, RATE_LIMIT_ANONYMOUS: "100000", RATE_LIMIT_USER: "100000", CORS_ORIGINS: "*" }
		});
		return { url: system.url, jwtSecret: JWT_SECRET, stopIdentity: () => system.identity.stop(), stop: system.stop };
	});
});
