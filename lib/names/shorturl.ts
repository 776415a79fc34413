/**
 * The short-links context: short codes that redirect to a URL (GET /s/:code on the gateway),
 * with an expiry and clicks counted per day.
 */
export const ShortUrlActions = {
	/** Published POST /short-links { url, expiresAt? } (staff) → ShortLink, 201. */
	create: "shorturl.create",
	/** Published GET /short-links (staff): the tenant's links, newest first, the usual list shape. */
	list: "shorturl.list",
	/** Published GET /short-links/:id (staff) → ShortLinkWithClicks; another tenant's is a 404. */
	get: "shorturl.get",
	/** Published DELETE /short-links/:id (staff): the code stops redirecting at once (404), on every node. */
	remove: "shorturl.remove",
	/**
	 * Internal ShortenParams → ShortLink, for other data services (identity's mailed links). Such a
	 * link belongs to no staff member: no tenant's API lists or shows it, since its URL may hold a secret.
	 */
	shorten: "shorturl.shorten",
	/** Published at GET /s/:code (no auth, gateway route "short"): 302 to the URL, 404 unknown, 410 expired. */
	follow: "shorturl.follow",
	/**
	 * Published at HEAD /s/:code: the redirect's status and headers, no body, no click counted
	 * (link checkers and chat previews ask with HEAD before anyone clicks).
	 */
	peek: "shorturl.peek",
	/** Internal { code } → ResolvedShortLink, cached by code; 404 when there is no such code. */
	resolve: "shorturl.resolve"
} as const;

export interface ShortLink {
	id: string;
	code: string;
	url: string;
	/** PUBLIC_URL + /s/ + code: what goes into a mail or an SMS. */
	shortUrl: string;
	/** ISO time after which the code answers 410 Gone; null for a link that never expires. */
	expiresAt: string | null;
	createdAt: string;
}

/** Clicks on one UTC day (YYYY-MM-DD). */
export interface ClicksOnDay {
	day: string;
	clicks: number;
}

export interface ShortLinkWithClicks extends ShortLink {
	/** Every day with at least one click, oldest first; counts lag a click by about a second. */
	clicksByDay: ClicksOnDay[];
	totalClicks: number;
}

export interface ShortenParams {
	url: string;
	/** ISO time; the link's own expiry (a mailed one-time link's) so the short code dies with it. */
	expiresAt: string;
	/** The company the link is about, when there is one (a signup has none yet). */
	tenantId?: string | null;
}

/** What the redirect needs, as cached per code. */
export interface ResolvedShortLink {
	id: string;
	tenantId: string | null;
	url: string;
	expiresAt: string | null;
}
