/**
 * Identity: tenants, their users and login sessions. The aggregate root is the user; a tenant
 * is born with its owner at signup, and a session is one refresh-token family of one user.
 */
import type { ServiceSchema } from "moleculer";
import { hashPassword, passwordWeakness, verifyPassword } from "../../lib/auth/passwords";
import { type RefreshToken, newRefreshToken, parseRefreshToken, sameHash, signAccessToken } from "../../lib/auth/tokens";
import { config } from "../../lib/config";
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, UnprocessableError } from "../../lib/errors";
import { containsPattern, now } from "../../lib/entity";
import { type AuthUser, type RosterContext, callDeadline, requireUser } from "../../lib/meta";
import { email, enumOf, id, nullableId, text } from "../../lib/params";
import { IdentityEvents } from "../../lib/names";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../lib/pagination";
import { ROLES, type Role, STAFF_ROLES, canGrant } from "../../lib/roles";
import { type DbService, DbMixin } from "../../mixins/db.mixin";

// ---- Types -------------------------------------------------------------------------------

interface SignupParams { company: string; name: string; email: string; password: string }
interface LoginParams { email: string; password: string }
interface RefreshParams { refreshToken: string }
interface SessionParams { sessionId: string }
interface CreateUserParams { email: string; name: string; role: Role; password: string; employeeId?: string | null }
interface ListUsersParams extends ListParams { role?: Role; status?: UserStatus; search?: string }
interface UserIdParams { id: string }
interface UpdateUserParams { id: string; name?: string; role?: Role; employeeId?: string | null }

type UserStatus = "active" | "disabled";

interface UserDoc {
	_id: string;
	tenantId: string;
	email: string;
	name: string;
	role: Role;
	status: UserStatus;
	employeeId: string | null;
	passwordHash: string;
	createdAt: string;
	updatedAt: string;
}

interface TenantDoc { _id: string; name: string; ownerId: string; createdAt: string }

interface SessionDoc {
	_id: string;
	tenantId: string;
	userId: string;
	tokenHash: string;
	/** Hashes of tokens already rotated away: presenting one again means the family leaked. */
	usedHashes: string[];
	status: "active" | "revoked";
	revokedReason?: string;
	createdAt: string;
	refreshedAt: string;
	expiresAt: string;
}

/** A user as clients see it: the stored user, without its password hash. */
export type UserJSON = Omit<UserDoc, "_id" | "passwordHash"> & { id: string };

export interface TokenPair { accessToken: string; refreshToken: string; tokenType: "Bearer"; expiresIn: number }

interface IdentityMethods {
	userJSON(doc: UserDoc): UserJSON;
	tenantJSON(doc: TenantDoc): { id: string; name: string; createdAt: string };
	findUser(ctx: RosterContext, id: string): Promise<UserDoc>;
	openSession(user: UserDoc): Promise<TokenPair>;
	issueTokens(user: UserDoc, refresh: RefreshToken): Promise<TokenPair>;
	revokeSessions(query: object, reason: string): Promise<number>;
}

type IdentityThis = DbService & IdentityMethods;

// ---- Helpers -----------------------------------------------------------------------------

const USERS = "users";
const TENANTS = "tenants";
const SESSIONS = "sessions";
/** Sessions keep this many rotated-away hashes for reuse detection. */
const USED_HASHES_KEPT = 100;

const password = { type: "string", min: 1, max: 1024 } as const;
const role = enumOf(ROLES);

function checkPassword(value: string, userEmail: string): void {
	const weakness = passwordWeakness(value, userEmail);
	if (weakness) throw new UnprocessableError("password", `The 'password' ${weakness}.`, "passwordStrength");
}

const invalidCredentials = () => new UnauthorizedError("Invalid email or password", "INVALID_CREDENTIALS");
const invalidRefresh = () => new UnauthorizedError("Invalid or expired refresh token", "INVALID_REFRESH_TOKEN");

// ---- Service -----------------------------------------------------------------------------

const IdentityService: ServiceSchema = {
	name: "identity",

	mixins: [
		DbMixin("identity", { name: USERS, indexes: [{ fields: { email: 1 }, unique: true }, { fields: { tenantId: 1 } }] }, [
			{ name: TENANTS },
			{ name: SESSIONS, indexes: [{ fields: { userId: 1 } }] }
		])
	],

	settings: {
		rest: "/"
	},

	actions: {
		signup: {
			rest: "POST /auth/signup",
			auth: false,
			params: { $$strict: true, company: text(), name: text(), email, password },
			async handler(this: IdentityThis, ctx: RosterContext<SignupParams>) {
				const { company, name, email: address, password: plain } = ctx.params;
				checkPassword(plain, address);
				if (await this.adapter.findOne({ email: address })) {
					throw new ConflictError("email is already taken", { field: "email" });
				}
				const createdAt = now();
				const tenant: TenantDoc = { _id: this.newId(), name: company, ownerId: this.newId(), createdAt };
				const user: UserDoc = {
					_id: tenant.ownerId, tenantId: tenant._id, email: address, name, role: "owner", status: "active",
					employeeId: null, passwordHash: await hashPassword(plain, callDeadline(ctx)), createdAt, updatedAt: createdAt
				};
				await this.store(TENANTS).insert(tenant);
				try {
					await this.unique("email", () => this.adapter.insert(user));
				} catch (err) {
					// Lost a race for the email: the tenant must not outlive its failed signup.
					await this.store(TENANTS).removeById(tenant._id);
					throw err;
				}
				await this.clearCache();
				ctx.emit(IdentityEvents.tenantCreated, { tenantId: tenant._id, ownerId: user._id });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = "/api/v1/me";
				return { tenant: this.tenantJSON(tenant), user: this.userJSON(user), ...(await this.openSession(user)) };
			}
		},

		login: {
			rest: "POST /auth/login",
			auth: false,
			params: { $$strict: true, email, password },
			async handler(this: IdentityThis, ctx: RosterContext<LoginParams>): Promise<TokenPair> {
				const user: UserDoc | null = await this.adapter.findOne({ email: ctx.params.email });
				// Verify even for an unknown email, so the answer and its timing say nothing.
				const ok = await verifyPassword(user?.passwordHash, ctx.params.password, callDeadline(ctx));
				if (!user || !ok || user.status !== "active") throw invalidCredentials();
				return this.openSession(user);
			}
		},

		refresh: {
			rest: "POST /auth/refresh",
			auth: false,
			params: { $$strict: true, refreshToken: { type: "string", min: 1, max: 512 } },
			async handler(this: IdentityThis, ctx: RosterContext<RefreshParams>): Promise<TokenPair> {
				const presented = parseRefreshToken(ctx.params.refreshToken);
				if (!presented) throw invalidRefresh();
				const sessions = this.store(SESSIONS);
				const session: SessionDoc | null = await sessions.findById(presented.sessionId);
				if (!session || session.status !== "active" || session.expiresAt <= now()) throw invalidRefresh();

				if (!sameHash(session.tokenHash, presented.hash)) {
					if (session.usedHashes.some(h => sameHash(h, presented.hash))) {
						await this.revokeSessions({ _id: session._id }, "refresh token reused");
						this.logger.warn(`Refresh token reuse in session ${session._id}: family revoked`, { requestID: ctx.requestID });
						throw new UnauthorizedError("Refresh token was already used; the session is revoked", "REFRESH_TOKEN_REUSED");
					}
					throw invalidRefresh();
				}

				const user: UserDoc | null = await this.adapter.findById(session.userId);
				if (!user || user.status !== "active") throw invalidRefresh();

				const next = newRefreshToken(session._id);
				// Only the request that still sees the old hash wins; a concurrent twin fails.
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
				if (rotated !== 1) throw invalidRefresh();
				return this.issueTokens(user, next);
			}
		},

		logout: {
			rest: "POST /auth/logout",
			auth: {},
			params: { $$strict: true, refreshToken: { type: "string", min: 1, max: 512 } },
			async handler(this: IdentityThis, ctx: RosterContext<RefreshParams>): Promise<null> {
				const user = requireUser(ctx);
				const presented = parseRefreshToken(ctx.params.refreshToken);
				const ids = [user.sessionId, presented?.sessionId].filter((s): s is string => !!s);
				// Only the caller's own sessions: a stolen refresh token of someone else is left alone.
				await this.revokeSessions({ _id: { $in: ids }, userId: user.id, tenantId: user.tenantId }, "logout");
				ctx.meta.$statusCode = 204;
				return null;
			}
		},

		/** The gateway's check that an access token's session and user are still good. */
		session: {
			visibility: "public",
			readOnly: true,
			params: { sessionId: id },
			cache: { keys: ["sessionId"], ttl: 60 },
			async handler(this: IdentityThis, ctx: RosterContext<SessionParams>): Promise<AuthUser | null> {
				const session: SessionDoc | null = await this.store(SESSIONS).findById(ctx.params.sessionId);
				if (!session || session.status !== "active" || session.expiresAt <= now()) return null;
				const user: UserDoc | null = await this.adapter.findById(session.userId);
				if (!user || user.status !== "active") return null;
				return { id: user._id, tenantId: user.tenantId, roles: [user.role], employeeId: user.employeeId, sessionId: session._id };
			}
		},

		me: {
			rest: "GET /me",
			auth: {},
			params: { $$strict: true },
			async handler(this: IdentityThis, ctx: RosterContext) {
				const user = await this.findUser(ctx, requireUser(ctx).id);
				const tenant: TenantDoc | null = await this.store(TENANTS).findById(user.tenantId);
				return { ...this.userJSON(user), tenant: tenant ? this.tenantJSON(tenant) : null };
			}
		},

		createUser: {
			rest: "POST /users",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, email, name: text(), role, password,
				employeeId: nullableId
			},
			async handler(this: IdentityThis, ctx: RosterContext<CreateUserParams>): Promise<UserJSON> {
				const actor = requireUser(ctx);
				const { email: address, name, role: granted, password: plain, employeeId = null } = ctx.params;
				if (!canGrant(actor.roles[0], granted)) throw new ForbiddenError(`You cannot grant the role '${granted}'`);
				checkPassword(plain, address);
				if (await this.adapter.findOne({ email: address })) {
					throw new ConflictError("email is already taken", { field: "email" });
				}
				const createdAt = now();
				const user: UserDoc = {
					_id: this.newId(), tenantId: actor.tenantId, email: address, name, role: granted, status: "active",
					employeeId, passwordHash: await hashPassword(plain, callDeadline(ctx)), createdAt, updatedAt: createdAt
				};
				await this.unique("email", () => this.adapter.insert(user));
				const json = this.userJSON(user);
				await this.entityChanged("created", json, ctx);
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/users/${json.id}`;
				return json;
			}
		},

		/** Onboarding's compensation when a later step of a hire fails: the account never happened. */
		undoCreateUser: {
			visibility: "public",
			params: { id },
			async handler(this: IdentityThis, ctx: RosterContext<UserIdParams>): Promise<{ removed: boolean }> {
				const user = await this.adapter.findOne({ _id: ctx.params.id, tenantId: requireUser(ctx).tenantId });
				if (!user) return { removed: false };
				await this.revokeSessions({ userId: user._id }, "user removed");
				await this.adapter.removeById(user._id);
				await this.entityChanged("removed", this.userJSON(user), ctx);
				return { removed: true };
			}
		},

		listUsers: {
			rest: "GET /users",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, ...listParams,
				role: { ...role, optional: true },
				status: { type: "enum", values: ["active", "disabled"], optional: true },
				search: { type: "string", trim: true, min: 1, max: 100, optional: true }
			},
			async handler(this: IdentityThis, ctx: RosterContext<ListUsersParams>): Promise<ListResult<UserJSON>> {
				const { role: wanted, status, search } = ctx.params;
				const sort = parseSort(ctx.params.sort, ["name", "email", "role", "createdAt"], "name");
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (wanted) query.role = wanted;
				if (status) query.status = status;
				if (search) {
					const pattern = containsPattern(search);
					query.$or = [{ name: pattern }, { email: pattern }];
				}
				return paginate(this.adapter, query, ctx.params, sort, (doc: UserDoc) => this.userJSON(doc));
			}
		},

		getUser: {
			rest: "GET /users/:id",
			auth: {},
			params: { $$strict: true, id },
			async handler(this: IdentityThis, ctx: RosterContext<UserIdParams>): Promise<UserJSON> {
				const actor = requireUser(ctx);
				const user = await this.findUser(ctx, ctx.params.id);
				if (user._id !== actor.id && !STAFF_ROLES.includes(actor.roles[0])) throw new ForbiddenError();
				return this.userJSON(user);
			}
		},

		updateUser: {
			rest: "PATCH /users/:id",
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true, id, name: { ...text(), optional: true }, role: { ...role, optional: true },
				employeeId: nullableId
			},
			async handler(this: IdentityThis, ctx: RosterContext<UpdateUserParams>): Promise<UserJSON> {
				const actor = requireUser(ctx);
				const user = await this.findUser(ctx, ctx.params.id);
				const { name, role: granted, employeeId } = ctx.params;
				if (!canGrant(actor.roles[0], user.role)) throw new ForbiddenError(`You cannot change a user with the role '${user.role}'`);
				if (granted !== undefined && granted !== user.role) {
					if (user._id === actor.id) throw new ConflictError("You cannot change your own role", { field: "role" });
					if (!canGrant(actor.roles[0], granted)) throw new ForbiddenError(`You cannot grant the role '${granted}'`);
				}
				const changes: Partial<UserDoc> = {};
				if (name !== undefined && name !== user.name) changes.name = name;
				if (granted !== undefined && granted !== user.role) changes.role = granted;
				if (employeeId !== undefined && employeeId !== user.employeeId) changes.employeeId = employeeId;
				// Nothing to change is not a change: no write, and updatedAt stays as it was.
				if (Object.keys(changes).length === 0) return this.userJSON(user);
				changes.updatedAt = now();
				const updated: UserDoc = await this.adapter.updateById(user._id, { $set: changes });
				const json = this.userJSON(updated);
				await this.entityChanged("updated", json, ctx);
				return json;
			}
		},

		disableUser: {
			rest: "DELETE /users/:id",
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: IdentityThis, ctx: RosterContext<UserIdParams>): Promise<null> {
				const actor = requireUser(ctx);
				const user = await this.findUser(ctx, ctx.params.id);
				if (user._id === actor.id) throw new ConflictError("You cannot disable yourself", { field: "id" });
				if (!canGrant(actor.roles[0], user.role)) throw new ForbiddenError(`You cannot disable a user with the role '${user.role}'`);
				if (user.status !== "disabled") {
					const updated: UserDoc = await this.adapter.updateById(user._id, { $set: { status: "disabled", updatedAt: now() } });
					await this.revokeSessions({ userId: user._id }, "user disabled");
					await this.entityChanged("updated", this.userJSON(updated), ctx);
					ctx.emit(IdentityEvents.userDisabled, { tenantId: user.tenantId, userId: user._id });
				}
				ctx.meta.$statusCode = 204;
				return null;
			}
		}
	},

	methods: {
		userJSON(doc: UserDoc): UserJSON {
			return {
				id: doc._id, tenantId: doc.tenantId, email: doc.email, name: doc.name, role: doc.role,
				status: doc.status, employeeId: doc.employeeId, createdAt: doc.createdAt, updatedAt: doc.updatedAt
			};
		},

		tenantJSON(doc: TenantDoc) {
			return { id: doc._id, name: doc.name, createdAt: doc.createdAt };
		},

		/** A user of the caller's tenant; another tenant's user is as absent as a missing one. */
		async findUser(this: IdentityThis, ctx: RosterContext, userId: string): Promise<UserDoc> {
			const user: UserDoc | null = await this.adapter.findOne({ _id: userId, tenantId: requireUser(ctx).tenantId });
			if (!user) throw new NotFoundError("User", userId);
			return user;
		},

		async openSession(this: IdentityThis, user: UserDoc): Promise<TokenPair> {
			const refresh = newRefreshToken();
			const createdAt = now();
			const session: SessionDoc = {
				_id: refresh.sessionId, tenantId: user.tenantId, userId: user._id, tokenHash: refresh.hash, usedHashes: [],
				status: "active", createdAt, refreshedAt: createdAt,
				expiresAt: new Date(Date.now() + config().jwt.refreshTtlSeconds * 1000).toISOString()
			};
			await this.store(SESSIONS).insert(session);
			return this.issueTokens(user, refresh);
		},

		async issueTokens(user: UserDoc, refresh: RefreshToken): Promise<TokenPair> {
			const { jwt } = config();
			const accessToken = await signAccessToken(
				{ userId: user._id, tenantId: user.tenantId, roles: [user.role], employeeId: user.employeeId, sessionId: refresh.sessionId },
				jwt
			);
			return { accessToken, refreshToken: refresh.token, tokenType: "Bearer", expiresIn: jwt.accessTtlSeconds };
		},

		async revokeSessions(this: IdentityThis, query: object, reason: string): Promise<number> {
			const revoked = await this.store(SESSIONS).updateMany(
				{ ...query, status: "active" },
				{ $set: { status: "revoked", revokedReason: reason, refreshedAt: now() } }
			);
			// The gateway caches session checks; a revoked session must stop working at once.
			if (revoked > 0) await this.clearCache();
			return revoked;
		}
	}
};

export default IdentityService;
