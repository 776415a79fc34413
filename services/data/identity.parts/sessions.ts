/**
 * Signing in, staying signed in and switching company. A session is one refresh-token family
 * of one user (a membership); the gateway checks it on every request through `session`.
 */
import type { ServiceSchema } from "moleculer";
import { ActionTimeouts } from "../../../lib/action-timeouts";
import { verifyPassword } from "../../../lib/auth/passwords";
import { readGenerations } from "../../../lib/cache-generation";
import { newRefreshToken, parseRefreshToken, sameHash } from "../../../lib/auth/tokens";
import { now } from "../../../lib/entity";
import { NotFoundError, UnauthorizedError } from "../../../lib/errors";
import { type AuthUser, type RosterContext, callDeadline, requireUser } from "../../../lib/meta";
import { email, id } from "../../../lib/params";
import { password } from "./credentials";
import {
	ACCOUNTS,
	type AccountDoc,
	type Company,
	type IdentityThis,
	SESSIONS,
	type SessionDoc,
	type SignedIn,
	TENANTS,
	type TenantDoc,
	type TokenPair,
	USED_HASHES_KEPT,
	type UserDoc,
	normalEmail
} from "./shared";
import { json, noContent } from "../../../lib/openapi/responses";
import * as Identity from "../../../lib/openapi/contexts/identity";

/** `companyId`, not tenantId: the gateway drops any tenantId a client sends (the token alone names it). */
interface LoginParams {
	email: string;
	password: string;
	companyId?: string;
}
interface SwitchParams {
	companyId: string;
}
interface RefreshParams {
	refreshToken: string;
}
interface SessionParams {
	sessionId: string;
	tenantId: string;
}

const refreshToken = { type: "string", min: 1, max: 512 } as const;

const invalidCredentials = () => new UnauthorizedError("Invalid email or password", "INVALID_CREDENTIALS");
const invalidRefresh = () => new UnauthorizedError("Invalid or expired refresh token", "INVALID_REFRESH_TOKEN");

export const SessionsPart: Partial<ServiceSchema> = {
	actions: {
		/**
		 * Tokens for one company: the one `companyId` names, else the person's first. `companies`
		 * lists every company they may switch to. A company they are not in fails like a wrong password.
		 */
		login: {
			rest: "POST /auth/login",
			openapi: { responses: { 200: json(Identity.SignedIn) }, errors: [401] },
			timeout: ActionTimeouts.password,
			auth: false,
			noStore: true,
			params: { $$strict: true, email, password, companyId: { ...id, optional: true } },
			async handler(this: IdentityThis, ctx: RosterContext<LoginParams>): Promise<SignedIn> {
				const account: AccountDoc | null = await this.store(ACCOUNTS).findOne({ email: normalEmail(ctx.params.email) });
				// Verify even for an unknown email (or one without a password yet): the answer and its timing say nothing.
				const ok = await verifyPassword(account?.passwordHash ?? undefined, ctx.params.password, callDeadline(ctx));
				if (!account || !ok) throw invalidCredentials();
				const companies = await this.companiesOf(account._id);
				const chosen = ctx.params.companyId ? companies.find(c => c.id === ctx.params.companyId) : companies[0];
				if (!chosen) throw invalidCredentials();
				return this.signIn(ctx, account, await this.adapter.findById(chosen.userId));
			}
		},

		/** New tokens for another company of the same person; the current session goes on. */
		switchCompany: {
			rest: "POST /auth/switch",
			openapi: { responses: { 200: json(Identity.SignedIn) } },
			auth: {},
			noStore: true,
			params: { $$strict: true, companyId: id },
			async handler(this: IdentityThis, ctx: RosterContext<SwitchParams>): Promise<SignedIn> {
				const current = await this.findUser(ctx, requireUser(ctx).id);
				const target: UserDoc | null = await this.adapter.findOne({ accountId: current.accountId, tenantId: ctx.params.companyId, status: "active" });
				if (!target) throw new NotFoundError("Company", ctx.params.companyId);
				return this.signIn(ctx, await this.store(ACCOUNTS).findById(current.accountId), target);
			}
		},

		refresh: {
			rest: "POST /auth/refresh",
			openapi: { responses: { 200: json(Identity.TokenPair) }, errors: [401] },
			auth: false,
			noStore: true,
			params: { $$strict: true, refreshToken },
			async handler(this: IdentityThis, ctx: RosterContext<RefreshParams>): Promise<TokenPair> {
				const presented = parseRefreshToken(ctx.params.refreshToken);
				if (!presented) throw invalidRefresh();
				const sessions = this.store(SESSIONS);
				const session: SessionDoc | null = await sessions.findById(presented.sessionId);
				if (!session || session.status !== "active" || session.expiresAt <= now()) throw invalidRefresh();

				const reused = async (): Promise<never> => {
					// No signed-in person did it: the system ends a leaked family, in the request that showed the leak.
					const audit = { meta: ctx.meta, requestID: ctx.requestID, action: ctx.action, job: "identity.refreshTokenReuse" };
					await this.revokeSessions({ _id: session._id }, "refresh token reused", () => audit);
					this.logger.warn(`Refresh token reuse in session ${session._id}: family revoked`, { requestID: ctx.requestID });
					throw new UnauthorizedError("Refresh token was already used; the session is revoked", "REFRESH_TOKEN_REUSED");
				};
				if (!sameHash(session.tokenHash, presented.hash)) {
					if (session.usedHashes.some(h => sameHash(h, presented.hash))) return reused();
					throw invalidRefresh();
				}

				const user: UserDoc | null = await this.adapter.findById(session.userId);
				if (!user || user.status !== "active") throw invalidRefresh();

				const next = newRefreshToken(session._id);
				// Only the request that still sees the old hash wins. A twin that read the same hash has
				// presented a token another request spent meanwhile: a reuse, as if it had come later
				// (a thief refreshing at the moment the client does must not keep the session).
				const rotated = await sessions.updateMany(
					{ _id: session._id, tokenHash: session.tokenHash, status: "active" },
					{
						$set: {
							tokenHash: next.hash,
							usedHashes: [...session.usedHashes, session.tokenHash].slice(-USED_HASHES_KEPT),
							refreshedAt: now()
						}
					}
				);
				if (rotated !== 1) return reused();
				return this.issueTokens(user, next);
			}
		},

		logout: {
			rest: "POST /auth/logout",
			openapi: { responses: { 204: noContent() } },
			auth: {},
			params: { $$strict: true, refreshToken },
			async handler(this: IdentityThis, ctx: RosterContext<RefreshParams>): Promise<null> {
				const user = requireUser(ctx);
				const presented = parseRefreshToken(ctx.params.refreshToken);
				const ids = [user.sessionId, presented?.sessionId].filter((s): s is string => !!s);
				// Only the caller's own sessions: a stolen refresh token of someone else is left alone.
				await this.revokeSessions({ _id: { $in: ids }, userId: user.id, tenantId: user.tenantId }, "logout", () => ctx);
				ctx.meta.$statusCode = 204;
				return null;
			}
		},

		/**
		 * The gateway's check that an access token's session and user are still good. Cached
		 * under the tenant's identity generation, which every change to its users and sessions
		 * bumps before it returns: a revoked session is refused by the very next request, on
		 * every gateway, and a check racing a revocation can only cache under the old generation.
		 * Gateways remember answers under the same generation (services/gateway/session-check.ts).
		 */
		session: {
			visibility: "public",
			readOnly: true,
			params: { sessionId: id, tenantId: id },
			async handler(this: IdentityThis, ctx: RosterContext<SessionParams>): Promise<AuthUser | null> {
				const { sessionId, tenantId } = ctx.params;
				// A tenant gets a generation on its first check: gateways remember sessions only under one.
				if (this.broker.cacher && (await readGenerations(this.broker.cacher, [this.fullName], tenantId)) === "0") await this.usersChanged(tenantId);
				return this.cachedDerived(tenantId, "session", sessionId, async () => {
					const session: SessionDoc | null = await this.store(SESSIONS).findById(sessionId);
					if (!session || session.tenantId !== tenantId || session.status !== "active" || session.expiresAt <= now()) return null;
					const user: UserDoc | null = await this.adapter.findById(session.userId);
					if (!user || user.status !== "active") return null;
					return { id: user._id, tenantId: user.tenantId, roles: [user.role], employeeId: user.employeeId, sessionId: session._id };
				});
			}
		},

		me: {
			rest: "GET /me",
			openapi: { responses: { 200: json(Identity.Me) } },
			auth: {},
			params: { $$strict: true },
			async handler(
				this: IdentityThis,
				ctx: RosterContext
			): Promise<ReturnType<IdentityThis["userJSON"]> & { tenant: object | null; companies: Company[] }> {
				const user = await this.findUser(ctx, requireUser(ctx).id);
				// Neither read needs the other: on a shared store, one round trip's wait instead of two.
				const [tenant, companies]: [TenantDoc | null, Company[]] = await Promise.all([
					this.store(TENANTS).findById(user.tenantId),
					this.companiesOf(user.accountId)
				]);
				return { ...this.userJSON(user), tenant: tenant ? this.tenantJSON(tenant) : null, companies };
			}
		}
	}
};
