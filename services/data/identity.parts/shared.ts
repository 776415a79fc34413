/**
 * Identity, what its parts share: the collections, the documents, the service's `this`, and the
 * methods every part uses (sessions, one-time links, the JSON of a user).
 *
 * The model: an account is a person (an email and a password); a user is that person's
 * membership in one company (tenant), with its own role, status and employee link. Clients
 * see users: `/users/:id` and a token's subject are memberships, so one person in two
 * companies is two users, and a token names exactly one company.
 */
import type { ServiceSchema } from "moleculer";
import { type AuditContext, actingAs, auditCreation, auditUpdate } from "../../../lib/audit/record";
import { type LinkToken, linkTokenHash, newLinkToken } from "../../../lib/auth/link-tokens";
import { type RefreshToken, newRefreshToken, signAccessToken } from "../../../lib/auth/tokens";
import { bumpGeneration } from "../../../lib/cache-generation";
import type { DomainEvent } from "../../../lib/channels/events";
import { handledEventsCollection } from "../../../lib/channels/handled";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import type { Changes } from "../../../lib/employees/history";
import { config } from "../../../lib/config";
import { now } from "../../../lib/entity";
import { GoneError, NotFoundError, UnprocessableError } from "../../../lib/errors";
import { type Mail, writeMail } from "../../../lib/mail/sink";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { IdentityBroadcasts, type SessionsChanged } from "../../../lib/names/identity";
import { type ShortLink, type ShortenParams, ShortUrlActions } from "../../../lib/names/shorturl";
import type { Role } from "../../../lib/roles";
import type { DbService } from "../../../mixins/db.mixin";
import type { DerivedCacheMethods } from "../../../mixins/derived-cache.mixin";
import type { OutboxMethods } from "../../../mixins/outbox.mixin";

// ---- Documents ---------------------------------------------------------------------------

export const USERS = "users";
export const ACCOUNTS = "accounts";
export const TENANTS = "tenants";
export const SESSIONS = "sessions";
export const LINKS = "linkTokens";
/** Lease rows (lib/store/lease.ts): one per account email being created, one per employee being linked. */
export const LOCKS = "identityLocks";
/** The events identity's channel handlers have handled (lib/channels/handled.ts). */
export const HANDLED_EVENTS = handledEventsCollection("identity").name;
/** Per employee, the seq of the newest status change identity acted on (a replay of an older one is ignored). */
export const EMPLOYMENTS = "identity_employments";

/** A person: what they sign in with. `passwordHash` is null until they set one from a link. */
export interface AccountDoc {
	_id: string;
	email: string;
	passwordHash: string | null;
	createdAt: string;
	updatedAt: string;
}

/**
 * invited: the person has not followed their invitation yet; expired: every invitation link
 * expired unfollowed (invitations.ts; staff may invite again); disabled: by staff, or employment ended.
 */
export type UserStatus = "invited" | "expired" | "active" | "disabled";

export const USER_STATUSES: readonly UserStatus[] = ["invited", "expired", "active", "disabled"];
export type DisabledBecause = "staff" | "employmentEnded";

/** A membership of an account in one company. */
export interface UserDoc {
	_id: string;
	tenantId: string;
	accountId: string;
	email: string;
	name: string;
	role: Role;
	status: UserStatus;
	disabledBecause: DisabledBecause | null;
	/** What a user disabled because their employment ended was before it (absent on users disabled before it was kept). */
	statusBeforeDisabled?: Exclude<UserStatus, "disabled"> | null;
	employeeId: string | null;
	/** Every employee this user was ever linked to: "own" decisions hold after a re-link. */
	linkedEmployeeIds: string[];
	createdAt: string;
	updatedAt: string;
}

export interface TenantDoc {
	_id: string;
	name: string;
	ownerId: string;
	createdAt: string;
}

export interface SessionDoc {
	_id: string;
	tenantId: string;
	userId: string;
	accountId: string;
	tokenHash: string;
	/** Hashes of tokens already rotated away: presenting one again means the family leaked. */
	usedHashes: string[];
	status: "active" | "revoked";
	revokedReason?: string;
	createdAt: string;
	refreshedAt: string;
	expiresAt: string;
}

/** What a one-time link does when followed. */
export type LinkPurpose = "signup" | "invitation" | "passwordReset";

/** A one-time link, stored under the hash of its secret. */
export interface LinkDoc {
	_id: string;
	purpose: LinkPurpose;
	email: string;
	accountId: string | null;
	userId: string | null;
	/** A signup's company, name and password, kept until the mailbox owner confirms it. */
	signup: { company: string; name: string; passwordHash: string } | null;
	createdAt: string;
	expiresAt: string;
	usedAt: string | null;
	/** Set by the expireInvitations job once it has looked at this expired link (invitations.ts). */
	expiryHandled?: boolean;
}

/** A user as clients see it. */
export interface UserJSON {
	id: string;
	tenantId: string;
	email: string;
	name: string;
	role: Role;
	status: UserStatus;
	employeeId: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface Company {
	id: string;
	name: string;
	role: Role;
	userId: string;
}

export interface TokenPair {
	accessToken: string;
	refreshToken: string;
	tokenType: "Bearer";
	expiresIn: number;
}

/** What a sign-in answers: the tokens for one company, and every company the person may switch to. */
export interface SignedIn extends TokenPair {
	tenantId: string;
	userId: string;
	companies: Company[];
}

/** A followed signup or invitation: the person, signed in to the company. */
export type Activated = SignedIn & { user: UserJSON; tenant: { id: string; name: string; createdAt: string } };

// ---- The service's `this` ----------------------------------------------------------------

export interface IdentityMethods {
	userJSON(doc: UserDoc): UserJSON;
	tenantJSON(doc: TenantDoc): { id: string; name: string; createdAt: string };
	findUser(ctx: RosterContext, id: string): Promise<UserDoc>;
	companiesOf(accountId: string): Promise<Company[]>;
	signIn(ctx: AuditContext, account: AccountDoc, user: UserDoc): Promise<SignedIn>;
	issueTokens(user: UserDoc, refresh: RefreshToken): Promise<TokenPair>;
	revokeSessions(query: object, reason: string, auditAs: (session: SessionDoc) => AuditContext): Promise<number>;
	usersChanged(...tenantIds: string[]): Promise<void>;
	sendLink(link: Omit<LinkDoc, "_id" | "createdAt" | "expiresAt" | "usedAt">, mail: (url: string) => Mail): Promise<void>;
	shortLinkFor(url: string, expiresAt: string): Promise<string | undefined>;
	refuseUnusable(link: LinkDoc | null, purposes: LinkPurpose[]): void;
	usableLink(token: string, purposes: LinkPurpose[]): Promise<LinkDoc>;
	claimLink(link: LinkDoc): Promise<LinkDoc>;
	releaseLink(link: LinkDoc): Promise<void>;
	// signup.ts
	checkSignupPassword(ctx: RosterContext, link: LinkDoc): Promise<void>;
	openCompany(ctx: RosterContext, link: LinkDoc): Promise<Activated>;
	joinCompany(ctx: RosterContext, link: LinkDoc, passwordHash: string | null): Promise<Activated>;
	// employee-links.ts
	link(ctx: RosterContext, user: UserDoc, employeeId: string | null): Promise<UserDoc>;
	linkableUser(ctx: RosterContext, userId: string): Promise<UserDoc>;
	checkLinkable(ctx: RosterContext, user: UserDoc, employeeId: string): Promise<void>;
	followEmployment(event: EmployeesChangedEvent): Promise<void>;
	newestEmploymentChange(event: EmployeesChangedEvent): Promise<boolean>;
	employmentEnded(tenantId: string, employeeId: string): Promise<void>;
	employmentResumed(tenantId: string, employeeId: string): Promise<void>;
	// passwords.ts
	mailReset(address: string): Promise<void>;
	// users.ts
	invite(ctx: RosterContext, params: InviteParams, userId?: string): Promise<UserDoc>;
	sendInvitation(user: UserDoc, invitedBy: string | null): Promise<void>;
	finishInvite(ctx: RosterContext, user: UserDoc, employeeId: string | null): Promise<UserDoc>;
	accountFor(address: string, passwordHash: string | null): Promise<AccountDoc>;
	dropAccountIfUnused(accountId: string): Promise<void>;
}

/** employees.changed as identity receives it from its channel. */
export type EmployeesChangedEvent = DomainEvent<{ employeeId: string; changes: Changes }>;

export interface InviteParams {
	email: string;
	name: string;
	role: Role;
	employeeId?: string | null;
}

export type IdentityThis = DbService & IdentityMethods & DerivedCacheMethods & OutboxMethods;

// ---- Helpers -----------------------------------------------------------------------------

/** How long a link may wait to be followed. */
export const LINK_TTL_MS: Record<LinkPurpose, number> = {
	signup: 7 * 24 * 3600_000,
	invitation: 7 * 24 * 3600_000,
	passwordReset: 3600_000
};

/** Sessions keep this many rotated-away hashes for reuse detection. */
export const USED_HASHES_KEPT = 100;

export const linkToken = { type: "string", min: 1, max: 256 } as const;

/** An email as stored and compared: addresses differ only in case are one person. */
export const normalEmail = (address: string): string => address.trim().toLowerCase();

/**
 * A new account's address (a signup, an invitation) must not hold characters that look like
 * nothing or like others: invisible ones (a zero-width space), compatibility and decomposed forms
 * (a full-width a, e plus a combining accent), a trailing dot. Each would make a second account
 * that staff see as the first, and mail it could never reach. Only refused for new addresses:
 * accounts stored so already keep signing in.
 */
export function checkNewAddress(address: string): void {
	if (/[\p{Cc}\p{Cf}\p{Z}]/u.test(address) || address.normalize("NFKC") !== address || address.endsWith(".")) {
		throw new UnprocessableError("email", "The 'email' field holds characters that are invisible or only look like others.", "emailForm");
	}
}

/** How long a mail waits for its short link before it goes out with the full one. */
const SHORTEN_TIMEOUT_MS = 2000;

const linkPaths: Record<LinkPurpose, string> = { signup: "activate", invitation: "activate", passwordReset: "reset-password" };

// ---- Part --------------------------------------------------------------------------------

export const SharedPart: Partial<ServiceSchema> = {
	methods: {
		userJSON(doc: UserDoc): UserJSON {
			return {
				id: doc._id,
				tenantId: doc.tenantId,
				email: doc.email,
				name: doc.name,
				role: doc.role,
				status: doc.status,
				employeeId: doc.employeeId,
				createdAt: doc.createdAt,
				updatedAt: doc.updatedAt
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

		/** The companies the person may sign in to, oldest membership first. */
		async companiesOf(this: IdentityThis, accountId: string): Promise<Company[]> {
			const users: UserDoc[] = await this.adapter.find({ query: { accountId, status: "active" }, sort: ["createdAt"] });
			const tenants: TenantDoc[] = await this.store(TENANTS).findByIds(users.map(u => u.tenantId));
			const names = new Map(tenants.map(t => [t._id, t.name]));
			return users.map(u => ({ id: u.tenantId, name: names.get(u.tenantId) ?? "", role: u.role, userId: u._id }));
		},

		/** A new session (refresh-token family) for the user, and the person's companies; the sign-in is on the audit trail as the session's creation, by the person. */
		async signIn(this: IdentityThis, ctx: AuditContext, account: AccountDoc, user: UserDoc): Promise<SignedIn> {
			const refresh = newRefreshToken();
			const createdAt = now();
			const session: SessionDoc = {
				_id: refresh.sessionId,
				tenantId: user.tenantId,
				userId: user._id,
				accountId: account._id,
				tokenHash: refresh.hash,
				usedHashes: [],
				status: "active",
				createdAt,
				refreshedAt: createdAt,
				expiresAt: new Date(Date.now() + config().jwt.refreshTtlSeconds * 1000).toISOString()
			};
			await this.store(SESSIONS).insert(insertWithEvent(session, auditCreation(actingAs(ctx, user), "session", session)));
			this.publishEvents(session._id, SESSIONS);
			const tokens = await this.issueTokens(user, refresh);
			return { ...tokens, tenantId: user.tenantId, userId: user._id, companies: await this.companiesOf(account._id) };
		},

		async issueTokens(user: UserDoc, refresh: RefreshToken): Promise<TokenPair> {
			const { jwt } = config();
			const accessToken = await signAccessToken(
				{ userId: user._id, tenantId: user.tenantId, roles: [user.role], employeeId: user.employeeId, sessionId: refresh.sessionId },
				jwt
			);
			return { accessToken, refreshToken: refresh.token, tokenType: "Bearer", expiresIn: jwt.accessTtlSeconds };
		},

		/**
		 * Revokes the active sessions `query` selects, each in its own conditional write carrying
		 * its audit record, by whom `auditAs` names for that session (the caller, the person, the system).
		 */
		async revokeSessions(this: IdentityThis, query: object, reason: string, auditAs: (session: SessionDoc) => AuditContext): Promise<number> {
			const sessions = this.store(SESSIONS);
			const active: SessionDoc[] = await sessions.find({ query: { ...query, status: "active" } });
			let revoked = 0;
			for (const session of active) {
				const set = { status: "revoked", revokedReason: reason, refreshedAt: now() };
				const changed = await sessions.updateMany(
					{ _id: session._id, status: "active" },
					updateWithEvent({ $set: set }, auditUpdate(auditAs(session), "session", session, set))
				);
				if (changed === 1) this.publishEvents(session._id, SESSIONS);
				revoked += changed;
			}
			// Before answering: the gateways' cached session checks must stop working at once.
			await this.usersChanged(...new Set(active.map(s => s.tenantId)));
			return revoked;
		},

		/**
		 * Makes every cached session check of these tenants stale (see the session action), then
		 * tells the realtime nodes, which check their open sockets' sessions at once instead of at
		 * their next periodic recheck.
		 */
		async usersChanged(this: IdentityThis, ...tenantIds: string[]): Promise<void> {
			if (tenantIds.length === 0) return;
			await Promise.all(tenantIds.map(tenantId => bumpGeneration(this.broker.cacher, this.fullName, tenantId)));
			// Lost, it costs a socket its close until the periodic recheck; the change itself is done.
			this.broker
				.broadcast<SessionsChanged>(IdentityBroadcasts.sessionsChanged, { tenantIds })
				.catch((err: Error) => this.logger.warn("Could not tell the realtime nodes that sessions changed:", err.message));
		},

		/** Stores a one-time link and mails it; the secret exists only in the mail. */
		async sendLink(this: IdentityThis, link: Omit<LinkDoc, "_id" | "createdAt" | "expiresAt" | "usedAt">, mail: (url: string) => Mail): Promise<void> {
			const secret: LinkToken = newLinkToken();
			const createdAt = now();
			const doc: LinkDoc = {
				...link,
				_id: secret.hash,
				createdAt,
				usedAt: null,
				expiresAt: new Date(Date.now() + LINK_TTL_MS[link.purpose]).toISOString()
			};
			await this.store(LINKS).insert(doc);
			const { dir, publicUrl } = config().mail;
			const full = `${publicUrl}/${linkPaths[link.purpose]}#token=${secret.token}`;
			const short = await this.shortLinkFor(full, doc.expiresAt);
			// The person reads the short link; `link` keeps the full one for whoever reads the message as data.
			await writeMail(dir, { ...mail(short ?? full), link: full, ...(short ? { shortLink: short } : {}) });
		},

		/**
		 * The short link of a mailed link, dying when it does; undefined when shorturl cannot make
		 * one right now (not deployed, no node, slow): the mail then carries the full link, since a
		 * long link is better than no invitation.
		 */
		async shortLinkFor(this: IdentityThis, url: string, expiresAt: string): Promise<string | undefined> {
			try {
				const link = await this.broker.call<ShortLink, ShortenParams>(
					ShortUrlActions.shorten,
					{ url, expiresAt },
					{ timeout: SHORTEN_TIMEOUT_MS, retries: 0 }
				);
				return link.shortUrl;
			} catch (err) {
				this.logger.warn("Could not shorten a mailed link; the mail carries the full link:", (err as Error).message);
				return undefined;
			}
		},

		/** Throws why a link cannot be followed: 422 when it is no link of ours (or not of this kind), 410 when used or expired. */
		refuseUnusable(link: LinkDoc | null, purposes: LinkPurpose[]): void {
			if (!link || !purposes.includes(link.purpose)) {
				throw new UnprocessableError("token", "The 'token' is not a valid link.", "invalidLink");
			}
			if (link.usedAt) throw new GoneError("The link was already used", "LINK_USED");
			if (link.expiresAt <= now()) throw new GoneError("The link has expired", "LINK_EXPIRED");
		},

		/** The link of a presented token, if it can be followed; refused as refuseUnusable says otherwise. */
		async usableLink(this: IdentityThis, token: string, purposes: LinkPurpose[]): Promise<LinkDoc> {
			const hash = linkTokenHash(token);
			const link: LinkDoc | null = hash ? await this.store(LINKS).findById(hash) : null;
			this.refuseUnusable(link, purposes);
			return link!;
		},

		/**
		 * Uses up a link usableLink found: of two requests with the same link exactly one gets it;
		 * the other is refused as refuseUnusable says.
		 */
		async claimLink(this: IdentityThis, link: LinkDoc): Promise<LinkDoc> {
			const links = this.store(LINKS);
			const at = now();
			const claimed = await links.updateMany({ _id: link._id, usedAt: null, expiresAt: { $gt: at } }, { $set: { usedAt: at } });
			if (claimed !== 1) {
				this.refuseUnusable(await links.findById(link._id), [link.purpose]);
				throw new GoneError("The link was already used", "LINK_USED");
			}
			return { ...link, usedAt: at };
		},

		/** Gives a claimed link back when what it was claimed for failed, so it can be followed again. */
		async releaseLink(this: IdentityThis, link: LinkDoc): Promise<void> {
			await this.store(LINKS).updateMany({ _id: link._id, usedAt: link.usedAt }, { $set: { usedAt: null } });
		}
	}
};
