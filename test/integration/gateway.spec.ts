import { config } from "../../lib/config";
import { startLocalSystem } from "../support/local-system";
import { defineGatewaySuite } from "./gateway.suite";

// Generous limits: this suite is about the contract; rate-limit.spec.ts is about the limits.
const roomyLimits = { ...config(), rateLimit: { ...config().rateLimit, anonymousPoints: 100_000, userPoints: 100_000 } };

defineGatewaySuite("gateway, one process", async () => {
	const system = await startLocalSystem({ roster: roomyLimits });
	return {
		url: system.url,
		jwtSecret: config().jwt.secret,
		stopIdentity: () => system.broker.destroyService("identity"),
		stop: system.stop
	};
});
