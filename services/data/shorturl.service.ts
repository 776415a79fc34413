/**
 * Short links: a random code that redirects to a URL (GET /s/:code on the gateway), with an
 * optional expiry and clicks counted per day. Staff make and inspect their company's links;
 * other data services (identity's mailed links) make theirs through the internal `shorten`.
 *
 * The redirect reads the link from the Moleculer cacher, keyed by code (Redis in a cluster, so
 * every node shares one copy); the expiry is checked on every redirect against the cached copy,
 * and a removed link is cleaned from every node's cache before the removal answers.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { Errors } from "moleculer";
import { config } from "../../lib/config";
import { type TenantDoc, now } from "../../lib/entity";
import { BusinessRuleError, GoneError, NotFoundError, UnprocessableError } from "../../lib/errors";
import { type RosterContext, created, requireUser } from "../../lib/meta";
import type { ClicksOnDay, ResolvedShortLink, ShortLink, ShortLinkWithClicks, ShortenParams } from "../../lib/names/shorturl";
import { ShortUrlActions } from "../../lib/names/shorturl";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../lib/pagination";
import { id, isRealDate } from "../../lib/params";
import { STAFF_ROLES } from "../../lib/roles";
import { type ClickDoc, ClickCounter } from "../../lib/shorturl/click-counter";
import { CODE_LENGTH, CODE_PATTERN, randomCode } from "../../lib/shorturl/codes";
import { MAX_URL_LENGTH, checkTarget } from "../../lib/shorturl/target";
import { isUniqueViolation } from "../../lib/store";
import { type DbService, DbMixin } from "../../mixins/db.mixin";
import { type OutboxMethods, OutboxMixin } from "../../mixins/outbox.mixin";
import { type AuditContext, auditCreation } from "../../lib/audit/record";
import { auditOutboxCollection, auditOutboxName, removeAudited } from "../../lib/audit/removal";
import { OUTBOX_INDEX, insertWithEvent } from "../../lib/channels/outbox";
import { json, noContent } from "../../lib/openapi/responses";
import { page } from "../../lib/openapi/schemas";
import * as Operations from "../../lib/openapi/contexts/operations";

// ---- Types -------------------------------------------------------------------------------

interface CreateParams {
	url: string;
	expiresAt?: string | null;
}
interface IdParams {
	id: string;
}
interface CodeParams {
	code: string;
}

/** tenantId is null for a link no company owns (a signup's); `internal` links are never shown to staff. */
type ShortLinkDoc = Omit<TenantDoc, "tenantId" | "updatedAt"> & {
	tenantId: string | null;
	code: string;
	url: string;
	expiresAt: string | null;
	/** Made by another service (shorten): its URL may hold a secret, so no tenant's API shows it. */
	internal: boolean;
	createdBy: string | null;
};

interface ShortUrlMethods {
	redirect(ctx: RosterContext<Partial<CodeParams>>): Promise<ResolvedShortLink>;
	/** With `audited`, the insert carries its audit record (a staff member's link; mailed links are not on the trail). */
	insertWithFreshCode(doc: Omit<ShortLinkDoc, "code">, audited?: AuditContext): Promise<ShortLinkDoc>;
	linkJSON(doc: ShortLinkDoc): ShortLink;
	staffLink(ctx: RosterContext, id: string): Promise<ShortLinkDoc>;
}

type ShortUrlThis = DbService & ShortUrlMethods & OutboxMethods & { clicks: ClickCounter; codeLength: number };

// ---- Helpers -----------------------------------------------------------------------------

const LINKS = "short_links";
const CLICKS = "short_link_clicks";

/**
 * Fresh codes tried per link. Each collides with probability (live links / 62^8); ten in a
 * row never happen short of a full code space, which then answers 503 instead of looping.
 */
const CODE_ATTEMPTS = 10;

/** How long a resolved code stays in the cacher: long enough for a mailing's burst, short enough to bound memory. */
const RESOLVE_CACHE_TTL_S = 3600;

/**
 * How long a browser may reuse a redirect without asking again: a minute, never past the expiry,
 * and only the browser's own cache (`private`: no proxy or CDN answers for us, so every other
 * person's click reaches us and is counted, and a removed link stops within a minute).
 */
const REDIRECT_MAX_AGE_S = 60;

function cacheControl(expiresAt: string | null): string {
	if (expiresAt === null) return `private, max-age=${REDIRECT_MAX_AGE_S}`;
	const left = Math.floor((Date.parse(expiresAt) - Date.now()) / 1000);
	return left >= 1 ? `private, max-age=${Math.min(REDIRECT_MAX_AGE_S, left)}` : "no-store";
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO time with its offset, in the future, or 422 naming the field. Date.parse alone would take
 * the 30th of February for the 2nd of March, and a time without an offset as the server's own.
 */
function futureTime(value: string, field: string): string {
	const at = Date.parse(value);
	if (!ISO_TIME.test(value) || !isRealDate(value.slice(0, 10)) || Number.isNaN(at)) {
		throw new UnprocessableError(field, `The '${field}' field must be an ISO 8601 date and time, such as 2030-01-31T12:00:00Z.`, "date");
	}
	if (at <= Date.now()) throw new BusinessRuleError(field, `The '${field}' field must be in the future.`, "future");
	return new Date(at).toISOString();
}

const url = { type: "string", min: 1, max: MAX_URL_LENGTH } as const;
const isoTime = { type: "string", min: 1, max: 40 } as const;

// ---- Service -----------------------------------------------------------------------------

const ShortUrlService: ServiceSchema = {
	name: "shorturl",

	mixins: [
		DbMixin(
			"shorturl",
			{
				name: LINKS,
				strings: ["code", "tenantId"],
				indexes: [{ fields: { code: 1 }, unique: true }, { fields: { tenantId: 1, internal: 1, createdAt: -1 } }, OUTBOX_INDEX]
			},
			[{ name: CLICKS, strings: ["linkId", "day"], indexes: [{ fields: { linkId: 1, day: 1 } }] }, auditOutboxCollection("shorturl")]
		),
		// Staff members' links carry their audit records (lib/audit/record.ts).
		OutboxMixin({ notes: [auditOutboxName("shorturl")] })
	],

	settings: {
		rest: "/"
	},

	actions: {
		create: {
			rest: "POST /short-links",
			openapi: { responses: { 201: json(Operations.ShortLink) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, url, expiresAt: { ...isoTime, optional: true, nullable: true } },
			async handler(this: ShortUrlThis, ctx: RosterContext<CreateParams>): Promise<ShortLink> {
				const user = requireUser(ctx);
				const target = checkTarget(ctx.params.url);
				const expiresAt = ctx.params.expiresAt ? futureTime(ctx.params.expiresAt, "expiresAt") : null;
				const doc = await this.insertWithFreshCode(
					{
						_id: this.newId(),
						tenantId: user.tenantId,
						url: target,
						expiresAt,
						internal: false,
						createdBy: user.id,
						createdAt: now()
					},
					ctx
				);
				created(ctx, `/api/v1/short-links/${doc._id}`);
				return this.linkJSON(doc);
			}
		},

		list: {
			rest: "GET /short-links",
			openapi: { responses: { 200: json(page(Operations.ShortLink)) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, ...listParams },
			async handler(this: ShortUrlThis, ctx: RosterContext<ListParams>): Promise<ListResult<ShortLink>> {
				const query = { tenantId: requireUser(ctx).tenantId, internal: false };
				const sort = parseSort(ctx.params.sort, ["createdAt", "expiresAt"], "-createdAt");
				return paginate(this.adapter, query, ctx.params, sort, (doc: ShortLinkDoc) => this.linkJSON(doc));
			}
		},

		get: {
			rest: "GET /short-links/:id",
			openapi: { responses: { 200: json(Operations.ShortLinkWithClicks) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: ShortUrlThis, ctx: RosterContext<IdParams>): Promise<ShortLinkWithClicks> {
				const doc = await this.staffLink(ctx, ctx.params.id);
				const days: ClickDoc[] = await this.store(CLICKS).find({ query: { linkId: doc._id, tenantId: doc.tenantId }, sort: ["day"] });
				const clicksByDay: ClicksOnDay[] = days.map(d => ({ day: d.day, clicks: d.clicks }));
				return { ...this.linkJSON(doc), clicksByDay, totalClicks: clicksByDay.reduce((sum, d) => sum + d.clicks, 0) };
			}
		},

		remove: {
			rest: "DELETE /short-links/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: ShortUrlThis, ctx: RosterContext<IdParams>): Promise<null> {
				const doc = await this.staffLink(ctx, ctx.params.id);
				await this.store(CLICKS).removeMany({ linkId: doc._id, tenantId: doc.tenantId });
				// removed() reports the change: every node's cached copy of the code goes before we answer.
				return removeAudited(this, ctx, this.adapter, "shortLink", doc as ShortLinkDoc & { tenantId: string }, this.linkJSON(doc));
			}
		},

		shorten: {
			visibility: "public",
			params: { $$strict: true, url, expiresAt: isoTime, tenantId: { ...id, optional: true, nullable: true } },
			async handler(this: ShortUrlThis, ctx: Context<ShortenParams>): Promise<ShortLink> {
				const doc = await this.insertWithFreshCode({
					_id: this.newId(),
					tenantId: ctx.params.tenantId ?? null,
					url: checkTarget(ctx.params.url),
					expiresAt: futureTime(ctx.params.expiresAt, "expiresAt"),
					internal: true,
					createdBy: null,
					createdAt: now()
				});
				return this.linkJSON(doc);
			}
		},

		/**
		 * The redirect. Not awaited for anything but the (cached) look-up: the click is counted in
		 * memory and stored within a second (lib/shorturl/click-counter.ts). Not read-only, since it
		 * counts: a hedged backup or a retry on a second node would count one click twice (hedging
		 * sends about a tenth of calls twice). A node dying mid-redirect costs that one request.
		 */
		follow: {
			visibility: "published",
			openapi: { responses: { 302: noContent("To the link's URL (Location), counted as a click") }, errors: [404, 410] },
			auth: false,
			readOnly: false,
			// No params schema on purpose: whatever follows /s/ is checked here, and anything that is not
			// a code (a NUL, 200 characters) is a 404 like an unknown code, never a 422 a link has no
			// use for; tracking parameters added to a shared link (?utm_source=…) are ignored.
			async handler(this: ShortUrlThis, ctx: RosterContext<Partial<CodeParams>>): Promise<null> {
				this.clicks.count(await this.redirect(ctx));
				return null;
			}
		},

		/** HEAD /s/:code: what GET answers, without a body and without counting a click. */
		peek: {
			visibility: "published",
			openapi: { responses: { 302: noContent("To the link's URL (Location), not counted") }, errors: [404, 410] },
			auth: false,
			readOnly: true,
			async handler(this: ShortUrlThis, ctx: RosterContext<Partial<CodeParams>>): Promise<null> {
				await this.redirect(ctx);
				return null;
			}
		},

		/** The link behind a code, cached by code; an unknown code is a 404, which is not cached (a new code resolves at once). */
		resolve: {
			visibility: "public",
			readOnly: true,
			cache: { keys: ["code"], ttl: RESOLVE_CACHE_TTL_S },
			params: { code: { type: "string", max: 32 } },
			async handler(this: ShortUrlThis, ctx: Context<CodeParams>): Promise<ResolvedShortLink> {
				const doc: ShortLinkDoc | null = await this.adapter.findOne({ code: ctx.params.code });
				if (!doc) throw new NotFoundError("Short link");
				return { id: doc._id, tenantId: doc.tenantId, url: doc.url, expiresAt: doc.expiresAt };
			}
		}
	},

	methods: {
		/**
		 * Sets the redirect to the link behind the code in the answer's status and headers, and gives
		 * the link: 404 for an unknown or malformed code, 410 once it has expired.
		 */
		async redirect(this: ShortUrlThis, ctx: RosterContext<Partial<CodeParams>>): Promise<ResolvedShortLink> {
			const { code } = ctx.params;
			// A malformed code can name no link: 404 as for an unknown one, without a look-up.
			if (typeof code !== "string" || !CODE_PATTERN.test(code)) throw new NotFoundError("Short link");
			const link = await ctx.call<ResolvedShortLink, CodeParams>(ShortUrlActions.resolve, { code });
			if (link.expiresAt !== null && link.expiresAt <= now()) {
				throw new GoneError("The short link has expired", "SHORT_LINK_EXPIRED", { code, expiresAt: link.expiresAt });
			}
			ctx.meta.$statusCode = 302;
			ctx.meta.$location = link.url;
			// The target may carry a secret in its fragment (a mailed one-time link): never in a Referer.
			ctx.meta.$responseHeaders = { "Cache-Control": cacheControl(link.expiresAt), "Referrer-Policy": "no-referrer" };
			return link;
		},

		/**
		 * Inserts the link under a fresh random code; the unique index on `code` decides between two
		 * nodes that drew the same one, and the loser draws again. A new code was never cached
		 * (unknown codes are not), so nothing needs cleaning.
		 */
		async insertWithFreshCode(this: ShortUrlThis, doc: Omit<ShortLinkDoc, "code">, audited?: AuditContext): Promise<ShortLinkDoc> {
			for (let attempt = 1; attempt <= CODE_ATTEMPTS; attempt++) {
				const withCode: ShortLinkDoc = { ...doc, code: randomCode(this.codeLength) };
				try {
					await this.adapter.insert(
						audited ? insertWithEvent(withCode, auditCreation(audited, "shortLink", withCode as ShortLinkDoc & { tenantId: string })) : withCode
					);
					if (audited) this.publishEvents(withCode._id);
					return withCode;
				} catch (err) {
					if (!isUniqueViolation(err)) throw err;
					this.logger.debug(`Short code ${withCode.code} is taken (attempt ${attempt}), drawing another`);
				}
			}
			throw new Errors.MoleculerRetryableError(`No free short code after ${CODE_ATTEMPTS} attempts`, 503, "SHORT_CODES_EXHAUSTED");
		},

		linkJSON(this: ShortUrlThis, doc: ShortLinkDoc): ShortLink {
			return {
				id: doc._id,
				code: doc.code,
				url: doc.url,
				shortUrl: `${config().shortLinks.baseUrl}/s/${doc.code}`,
				expiresAt: doc.expiresAt,
				createdAt: doc.createdAt
			};
		},

		/** A link of the caller's company made by its staff; anything else is a 404. */
		async staffLink(this: ShortUrlThis, ctx: RosterContext, linkId: string): Promise<ShortLinkDoc> {
			const doc: ShortLinkDoc | null = await this.adapter.findOne({ _id: linkId, tenantId: requireUser(ctx).tenantId, internal: false });
			if (!doc) throw new NotFoundError("Short link", linkId);
			return doc;
		}
	},

	created(this: Service) {
		(this as ShortUrlThis).codeLength = config().shortLinks.testCodeLength ?? CODE_LENGTH;
	},

	started(this: Service) {
		const self = this as ShortUrlThis;
		self.clicks = new ClickCounter(self.store(CLICKS), message => self.logger.warn(message));
		self.clicks.start();
	},

	async stopped(this: Service) {
		// Stopped hooks run in reverse: ours before the mixin closes the collections, so the last second of clicks goes out.
		await (this as ShortUrlThis).clicks?.stop();
	}
};

export default ShortUrlService;
