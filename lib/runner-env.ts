/**
 * moleculer-runner (0.14, `overwriteFromEnv` in moleculer/src/runner.js) lets any environment
 * variable named like a broker option replace that option: `CACHER=redis://…` replaces the
 * configured Redis cacher object (its ttl and key prefix lost), `TRANSPORTER=none` becomes a
 * transporter named "none", `NAMESPACE=2024` a number, `CACHER_OPTIONS_TTL=x` reaches inside.
 * Roster reads those names itself, validated, through lib/config; so the runner keeps only its
 * explicit `MOL_*` overrides (MOL_REQUEST_TIMEOUT=5000, MOL_CACHER__OPTIONS__TTL=60), applied by
 * Moleculer's own code with its own naming rules.
 */
import { type Runner, Utils } from "moleculer";

type Overwrite = Runner["overwriteFromEnv"];

const guarded = new WeakSet<Runner>();

/** [dotted.path, value] for every value of `obj` that is not itself a plain object. */
function leaves(obj: Record<string, unknown>, prefix = ""): [string, unknown][] {
	return Object.entries(obj).flatMap(([key, value]) =>
		Utils.isPlainObject(value) ? leaves(value as Record<string, unknown>, `${prefix}${key}.`) : [[`${prefix}${key}`, value]]
	);
}

/** From now on `runner` applies only the MOL_* variables to the broker options it merges. */
export function onlyPrefixedEnvOverrides(runner: Runner): void {
	if (guarded.has(runner)) return;
	const moleculers: Overwrite = runner.overwriteFromEnv;
	// A runner that changed shape must not quietly bring the by-name overrides back.
	if (typeof moleculers !== "function") throw new Error("moleculer-runner has no overwriteFromEnv: review lib/runner-env.ts");
	runner.overwriteFromEnv = function prefixedOnly(options: Record<string, unknown>): Record<string, unknown> {
		// On an object without keys, Moleculer's by-name pass finds nothing to replace and its
		// MOL_ pass builds exactly the overrides it would have made; those land on the options.
		const overrides = moleculers.call(runner, {}) as Record<string, unknown>;
		for (const [path, value] of leaves(overrides)) Utils.dotSet(options, path, value);
		return options;
	};
	guarded.add(runner);
}
