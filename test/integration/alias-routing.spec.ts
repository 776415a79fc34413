/**
 * On the gateway's real routes (every service in one process): its alias lookup
 * (services/gateway/alias-index.ts) finds, for every route's path, what moleculer-web's scan of
 * every alias finds, so no request is routed anywhere else than before.
 */
import type { Service } from "moleculer";
import ApiGateway from "moleculer-web";
import type { AliasIndex, RoutedAlias } from "../../services/gateway/alias-index";
import { itInProcess } from "../support/cluster-topology";
import { type RunningSystem, startRoomySystem } from "../support/local-system";

type Gateway = Service & { aliases: RoutedAlias[]; aliasIndex: AliasIndex<RoutedAlias> };

/** A path each alias takes: its parameters filled in, in its own case, in upper case, and one segment longer. */
function pathsOf(alias: RoutedAlias): string[] {
	const path = alias.fullPath.replace(/:[A-Za-z0-9_]+/g, "x1");
	return [path, path.toUpperCase(), `${path}/extra`];
}

describe("the gateway's alias lookup on its real routes", () => {
	let system: RunningSystem;

	beforeAll(async () => {
		system = await startRoomySystem();
	}, 60_000);
	afterAll(() => system?.stop());

	itInProcess("routes every path of every route as moleculer-web's own scan does", () => {
		const gateway = system.broker.getLocalService("api") as Gateway;
		expect(gateway.aliases.length).toBeGreaterThan(100);
		const scan = (url: string, method: string) => ApiGateway.methods!.resolveAlias.call(gateway, url, method);
		let routed = 0;
		for (const url of gateway.aliases.flatMap(pathsOf)) {
			for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]) {
				const expected = scan(url, method);
				if (expected) routed++;
				expect({ url, method, found: gateway.aliasIndex.resolve(gateway.aliases, url, method) }).toEqual({ url, method, found: expected });
			}
		}
		expect(routed).toBeGreaterThan(gateway.aliases.length);
	});
});
