import { config } from "../../lib/config";
import { startRoomySystem } from "../support/local-system";
import { defineGatewaySuite } from "./gateway.suite";

defineGatewaySuite("gateway, one process", async () => {
	const system = await startRoomySystem();
	return {
		url: system.url,
		jwtSecret: config().jwt.secret,
		stopIdentity: () => system.broker.destroyService("identity"),
		stop: system.stop
	};
});
