/**
 * The REPL's `token <email>` and `as <email> call <action> [params]`: a developer tries the API
 * as one of its users without their password. Both sign the user in through identity (a session
 * like a login's) and are refused unless this node runs with NODE_ENV=development; identity
 * refuses as well on a production node. `as` then builds the call as the gateway would: the
 * user its session check answers, the same meta, the same role check, no client tenantId.
 */
import type { Context, ServiceBroker } from "moleculer";
import { parseRefreshToken } from "../../lib/auth/tokens";
import type { NodeEnv } from "../../lib/config";
import type { ActionAuth, AuthUser, RequestMeta } from "../../lib/meta";
import { IdentityActions, type SignedInWithoutPassword } from "../../lib/names";
import { checkRoles, dropClientTenant, requestMeta } from "../../services/gateway/caller";
import { SessionCheck } from "../../services/gateway/session-check";
import { describeError } from "./describe-error";

/** What a call from the REPL records as its client (audit records show it). */
export const REPL_CLIENT = "repl";

export interface AsUserArgs {
	email: string;
	/** The company, when the person is in several. */
	tenant?: string;
}

function refusal(command: string, env: NodeEnv): string | undefined {
	return env === "development" ? undefined : `${command} is for development only: this node runs with NODE_ENV=${env}.`;
}

function signIn(broker: ServiceBroker, { email, tenant }: AsUserArgs): Promise<SignedInWithoutPassword> {
	return broker.call<SignedInWithoutPassword, object>(IdentityActions.signInWithoutPassword, tenant ? { email, tenantId: tenant } : { email });
}

/** What `token` prints: the access token on a line of its own, then whose it is. */
export async function tokenCommand(broker: ServiceBroker, args: AsUserArgs, env: NodeEnv): Promise<string> {
	const refused = refusal("token", env);
	if (refused) return refused;
	try {
		const signedIn = await signIn(broker, args);
		return `${signedIn.accessToken}\n(${args.email} in ${signedIn.tenantName}, tenant ${signedIn.tenantId}; expires in ${signedIn.expiresIn} s)`;
	} catch (err) {
		return describeError(err);
	}
}

export interface CallArgs extends AsUserArgs {
	/** The literal word `call`. */
	verb: string;
	action: string;
	/** The params as JSON, an object. */
	json?: string;
}

function parseParams(json: string | undefined): Record<string, unknown> | string {
	if (json === undefined) return {};
	try {
		const params: unknown = JSON.parse(json);
		if (params !== null && typeof params === "object" && !Array.isArray(params)) return params as Record<string, unknown>;
	} catch {
		// Answered below, with what was given.
	}
	return `The params must be a JSON object, e.g. '{"pageSize": 5}' (got ${json}).`;
}

/** The declared `auth` of an action some node serves; undefined when none does. */
function actionAuth(broker: ServiceBroker, action: string): { auth: ActionAuth | undefined } | undefined {
	const found = broker.registry.getActionList({ onlyAvailable: true }).find(item => item.name === action) as { action?: { auth?: ActionAuth } } | undefined;
	return found && { auth: found.action?.auth };
}

/**
 * `as`: one session per user and company for the REPL's life, checked like any token's on every
 * call (a revoked one is replaced by a new sign-in).
 */
export class AsUser {
	private readonly sessions = new Map<string, { sessionId: string; tenantId: string }>();
	private readonly check = new SessionCheck(undefined);

	constructor(private readonly broker: ServiceBroker) {}

	async command(args: CallArgs, env: NodeEnv): Promise<string> {
		if (args.verb !== "call") return `Usage: as <email> call <action> [params as JSON] [--tenant <id>] (got "${args.verb}" for "call").`;
		const refused = refusal("as", env);
		if (refused) return refused;
		const params = parseParams(args.json);
		if (typeof params === "string") return params;
		const declared = actionAuth(this.broker, args.action);
		if (!declared) return `No node serves ${args.action}.`;
		try {
			const user = await this.user(args);
			// As the gateway's authenticate(): a public action is called with no user.
			const meta: RequestMeta = { ...requestMeta(REPL_CLIENT), user: declared.auth === false ? null : user };
			checkRoles(declared.auth, meta.user?.roles ?? []);
			dropClientTenant(params);
			return JSON.stringify(await this.broker.call(args.action, params, { meta }), null, 2) ?? "(no answer)";
		} catch (err) {
			return describeError(err);
		}
	}

	/** The user as the gateway's session check sees it. */
	private async user(args: AsUserArgs): Promise<AuthUser> {
		const key = `${args.email.toLowerCase()} ${args.tenant ?? ""}`;
		const ctx = this.broker.ContextFactory.create(this.broker, null as never, {}, {}) as Context<unknown, RequestMeta>;
		const known = this.sessions.get(key);
		const user = known && (await this.check.user(ctx, known));
		if (user) return user;
		const signedIn = await signIn(this.broker, args);
		const session = { sessionId: parseRefreshToken(signedIn.refreshToken)!.sessionId, tenantId: signedIn.tenantId };
		this.sessions.set(key, session);
		const fresh = await this.check.user(ctx, session);
		if (!fresh) throw new Error(`identity does not know the session it just made for ${args.email}`);
		return fresh;
	}
}
