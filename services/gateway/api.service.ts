/**
 * The REST gateway. It routes (the services publish their own aliases), authenticates the
 * Bearer token, checks the roles an action declares, applies rate limits and maps errors to
 * HTTP. It knows no business rule.
 */
import type { ServerResponse } from "node:http";
import { type Context, Errors, type ServiceBroker, type Service, type ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { verifyAccessToken } from "../../lib/auth/tokens";
import { type Config, config } from "../../lib/config";
import { MethodNotAllowedError, TooManyRequestsError, UnauthorizedError, UnsupportedMediaTypeError, isServiceBusy } from "../../lib/errors";
import { ImportActions } from "../../lib/names/imports";
import { requireCsvBody } from "./csv-upload";
import type { ActionAuth, AuthUser, RequestMeta } from "../../lib/meta";
import { IdentityActions, ShortUrlActions } from "../../lib/names";
import { type GatewayLimiters, type RateLimitVerdict, createGatewayLimiters } from "../../lib/rate-limit";
import { logAccess, logsAccess } from "./access-log";
import { checkRoles, dropClientTenant, requestMeta } from "./caller";
import { AliasIndex, type RoutedAlias } from "./alias-index";
import { allowedMethods } from "./allowed-methods";
import { refuseDeepBodies } from "./body-depth";
import { refuseProtoKeys } from "./body-keys";
import { SessionCheck } from "./session-check";
import { clientIp, formatError, isUndecompressableBody } from "./http-errors";
import { HttpMetrics, type MeasuredRequest } from "./http-metrics";
import { GatewayReadiness, type ReadinessReport } from "./readiness";
import { refusalToCount, setRateLimitHeaders } from "./rate-limit-headers";
import { REQUEST_ID_HEADER, forbidStoring, keepPrivate, setEveryResponseHeaders } from "./response-headers";
import { docsAsset, docsPage } from "./api-docs";
import { type ActionInfo, type RouteInfo, buildDocument } from "../../lib/openapi/document";
import * as Health from "../../lib/openapi/contexts/health";
import { json } from "../../lib/openapi/responses";

// ---- Types -------------------------------------------------------------------------------

export interface GatewayRequest extends MeasuredRequest {
	$action?: { name: string; auth?: ActionAuth; noStore?: boolean };
	$params: Record<string, unknown>;
	$ctx: Context<unknown, RequestMeta>;
	/** Set when a Bearer token was presented, so a 401 can say it was the token at fault. */
	$tokenPresented?: boolean;
	/** Set once a login or a password change has reserved its failure point, so the outcome settles that point. */
	$loginAttempt?: PasswordAttempt;
	/** moleculer-web's: the path without query string or trailing slash, as aliases match it. */
	parsedUrl?: string;
}

type GatewayResponse = ServerResponse;

/** A password check whose failure point is reserved: whose it is, and which answer says the password was wrong. */
interface PasswordAttempt {
	email: string;
	ip: string;
	wrongPassword(err: { code?: number; data?: unknown } | undefined): boolean;
	/** Its point was settled: given back, kept as a failure, or reset by a success. */
	settled?: boolean;
}

/** identity.changePassword's refusal of the current password (a 422 naming it), not of the new one. */
const isWrongCurrentPassword = (err: { code?: number; data?: unknown } | undefined): boolean =>
	err?.code === 422 && Array.isArray(err.data) && err.data.some((item: { type?: string }) => item?.type === "wrongPassword");

interface AliasSpec {
	method: string;
	path: string;
	action: string;
}

type Next = (err?: unknown) => void;

type GatewayThis = Omit<Service, "settings" | "logger" | "broker"> & {
	settings: { port: number; roster: Config };
	limiters: GatewayLimiters;
	readiness: GatewayReadiness;
	/** Requests by route and status, when this node has metrics (METRICS_PORT). */
	httpMetrics?: HttpMetrics;
	/** The broker's level prints the access line. */
	accessLogged: boolean;
	sessions: SessionCheck;
	aliasIndex: AliasIndex<GatewayThis["aliases"][number]>;
	/** Every alias ever generated, so a route whose service is gone answers 503, not 404. */
	knownAliases: Map<string, AliasSpec>;
	/** The OpenAPI document of the current routes, built on the first request after they change. */
	openApiDocument?: Record<string, unknown>;
	aliases: Array<RoutedAlias & { route: unknown; path: string; type: string; action: string | null; _generated?: boolean }>;
	broker: ServiceBroker;
	logger: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void; error: (...a: unknown[]) => void };
	createAlias(route: unknown, spec: object, action: string): GatewayThis["aliases"][number];
	optimizeAliasesOrder(): void;
	/** The actions the generated routes lead to. */
	routedActions(): Set<string>;
	/** The routes the API reference documents: every alias to an action, but the reference's own. */
	documentedRoutes(): RouteInfo[];
	limit(req: GatewayRequest, res: GatewayResponse, kind: "anonymous" | "user", key: string): Promise<void>;
	/** Rate-limit headers on the answer, and 429 when the count is spent. */
	applyVerdict(res: GatewayResponse, verdict: RateLimitVerdict): void;
	checkLoginThrottle(ctx: Context<unknown, RequestMeta>, req: GatewayRequest, res: GatewayResponse): Promise<void>;
	/** Settles a password attempt's reserved point once, whichever of the answer or the client's leaving comes first. */
	settleLogin(attempt: PasswordAttempt, how: "loginSucceeded" | "loginFailed" | "loginAborted"): Promise<void>;
	sendErrorResponse(req: GatewayRequest, res: GatewayResponse, err: unknown): void;
	writeErrorResponse(req: GatewayRequest, res: GatewayResponse, err: unknown): void;
	/** Counts a refusal the limiter has not seen yet: the error to send instead when over the limit. */
	countRefusal(req: GatewayRequest, res: GatewayResponse): Promise<TooManyRequestsError | undefined>;
	sendError(req: GatewayRequest, res: GatewayResponse, err: unknown): void;
};

// ---- Helpers -----------------------------------------------------------------------------

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function bearerToken(req: GatewayRequest): string | undefined {
	const header = req.headers.authorization;
	if (!header) return undefined;
	const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
	return match ? match[1] : "";
}

function corsSettings(cfg: Config) {
	if (cfg.corsOrigins !== "*" && cfg.corsOrigins.length === 0) return undefined;
	return {
		origin: cfg.corsOrigins,
		methods: ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
		allowedHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
		exposedHeaders: ["X-Request-Id", "Allow", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"],
		maxAge: 600
	};
}

/**
 * A body the JSON parser left alone (another content type) would be silently ignored, and
 * one in another charset than UTF-8 (RFC 8259) may decode to nothing at all: both are 415.
 */
function requireJsonBody(req: GatewayRequest & { _body?: boolean }, _res: GatewayResponse, next: (err?: unknown) => void): void {
	const length = Number(req.headers["content-length"] ?? 0);
	const hasContent = length > 0 || req.headers["transfer-encoding"] !== undefined;
	// Most requests (every GET) carry no body: nothing to check.
	if (!hasContent) return next();
	const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers["content-type"] ?? "")?.[1]?.toLowerCase();
	const notUtf8 = charset !== undefined && charset !== "utf-8" && charset !== "utf8";
	next(!req._body || notUtf8 ? new UnsupportedMediaTypeError() : undefined);
}

// ---- Service -----------------------------------------------------------------------------

const cfg = config();

const ApiService: ServiceSchema = {
	name: "api",
	mixins: [ApiGateway],

	settings: {
		port: cfg.port,
		ip: "0.0.0.0",
		roster: cfg,
		// Settings travel to every node in INFO packets; the configuration holds the JWT secret.
		$secureSettings: ["roster"],
		cors: corsSettings(cfg),
		// One line per request of our own (access-log.ts) instead of moleculer-web's three, which
		// skip 4xx and show the query string. Never the params or the answer: they hold credentials.
		logRequest: null,
		logResponse: null,
		log4XXResponses: false,
		logRequestParams: null,
		logResponseData: null,
		// Each route and alias as it is (re)generated: about a hundred lines at every start and
		// every registry change, which would bury the REPL prompt. Still there at LOG_LEVEL=debug.
		logRouteRegistration: "debug",
		// Routes follow the services a tenth of a second after the registry changes (moleculer-web
		// waits 500 ms by default); readiness holds until they do.
		debounceTime: 100,
		// Accept a sane client request id, or let Moleculer make one; it flows through every call.
		rootCallOptions(this: GatewayThis, options: { requestID?: string; meta?: RequestMeta }, req: GatewayRequest) {
			if (options.requestID && !REQUEST_ID.test(options.requestID)) delete options.requestID;
			options.meta = requestMeta(clientIp(req, this.settings.roster.trustProxy));
		},

		routes: [
			{
				name: "health",
				path: "/health",
				// Our access log (access-log.ts) has the line; moleculer-web would still colour its own unused one.
				logging: false,
				authentication: false,
				authorization: false,
				bodyParsers: false,
				mappingPolicy: "restrict",
				aliases: { "GET live": "api.live", "GET ready": "api.ready" }
			},
			{
				// Short links (GET /s/:code) live outside /api so they stay short. No body, no token: the
				// action is `auth: false`, so authenticate() applies the per-IP limit of anonymous requests.
				name: "short",
				path: "/s",
				logging: false,
				authentication: true,
				authorization: true,
				bodyParsers: false,
				mappingPolicy: "restrict",
				aliases: { "GET /:code": ShortUrlActions.follow, "HEAD /:code": ShortUrlActions.peek },

				onError(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, err: unknown) {
					this.sendErrorResponse(req, res, err);
				}
			},
			{
				// Uploads: the body is not JSON but a CSV file, handed to the action as a stream (read
				// there as it arrives, never buffered here). Checked first: a CSV media type, a bounded size.
				name: "uploads",
				path: "/api/v1/imports",
				logging: false,
				authentication: true,
				authorization: true,
				bodyParsers: false,
				mappingPolicy: "restrict",
				use: [requireCsvBody],
				aliases: { "POST /employees": `stream:${ImportActions.uploadEmployees}` },

				onError(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, err: unknown) {
					this.sendErrorResponse(req, res, err);
				}
			},
			{
				name: "api",
				path: "/api/v1",
				logging: false,
				autoAliases: true,
				mappingPolicy: "restrict",
				authentication: true,
				authorization: true,
				bodyParsers: { json: { strict: true, limit: cfg.bodyLimit } },
				use: [requireJsonBody, refuseDeepBodies, refuseProtoKeys],

				onBeforeCall(this: GatewayThis, ctx: Context<unknown, RequestMeta>, _route: unknown, req: GatewayRequest, res: GatewayResponse) {
					// The first hook that knows the action: from here on the answer and any error carry the
					// header. Earlier refusals (body parser, no node for the action) never hold a token.
					if (req.$action?.noStore) forbidStoring(res);
					dropClientTenant(req.$params);
					if (req.$action?.name === IdentityActions.login || req.$action?.name === IdentityActions.changePassword) {
						return this.checkLoginThrottle(ctx, req, res);
					}
				},

				async onAfterCall(this: GatewayThis, _ctx: Context, _route: unknown, req: GatewayRequest, _res: GatewayResponse, data: unknown) {
					const attempt = req.$loginAttempt;
					// The session exists by now: a limiter hiccup must not turn it into an error (settleLogin logs it).
					if (attempt) await this.settleLogin(attempt, "loginSucceeded");
					return data;
				},

				async onError(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, err: { code?: number }) {
					// Only a login that reserved a point settles one: a refused login gave its points back.
					const attempt = req.$loginAttempt;
					if (attempt) {
						// A wrong password keeps the point; anything else never checked the password.
						await this.settleLogin(attempt, attempt.wrongPassword(err) ? "loginFailed" : "loginAborted");
					}
					this.sendErrorResponse(req, res, err);
				}
			},
			{
				// The API reference: the document, built from the routes above, and Swagger UI reading it.
				// Public and static, so outside the rate limits; /api/v1 paths never reach this route.
				name: "docs",
				path: "/api",
				logging: false,
				authentication: false,
				authorization: false,
				bodyParsers: false,
				mappingPolicy: "restrict",
				aliases: { "GET /openapi.json": "api.openapi", "GET /docs": docsPage, "GET /docs/:file": docsAsset },

				onError(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, err: unknown) {
					this.sendErrorResponse(req, res, err);
				}
			}
		],

		onError(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, err: unknown) {
			this.sendErrorResponse(req, res, err);
		}
	},

	actions: {
		// Every HTTP request runs through this local action; a breaker on it guards no endpoint
		// (nothing balances calls to it) and only costs each request its bookkeeping.
		rest: { circuitBreaker: { enabled: false } },

		// moleculer-web's own route listing would be published by autoAliases; keep it in-cluster.
		listAliases: { visibility: "public" },

		live: {
			visibility: "published",
			openapi: { responses: { 200: json(Health.Live, "The process is up") } },
			handler(): { status: "ok" } {
				return { status: "ok" };
			}
		},

		/** The OpenAPI 3.1 document of the routes this gateway holds now (lib/openapi/document.ts). */
		openapi: {
			visibility: "published",
			handler(this: GatewayThis): Record<string, unknown> {
				if (!this.openApiDocument) {
					const actions = new Map(this.broker.registry.getActionList({}).map(item => [item.name, item.action]));
					this.openApiDocument = buildDocument(
						{
							title: "Roster API",
							version: "1",
							description:
								"Multi-tenant HR: people, organisation, leave, recruitment. Sign in with POST /api/v1/auth/login and authorize with its accessToken."
						},
						this.documentedRoutes(),
						name => actions.get(name) as ActionInfo | undefined
					);
				}
				return this.openApiDocument;
			}
		},

		/** 200 once every service the API needs has a node and a route (services/gateway/readiness.ts). */
		ready: {
			visibility: "published",
			openapi: {
				responses: {
					200: json(Health.Readiness, "Ready: every service has a node and a route (or only degraded)"),
					503: json(Health.Readiness, "Not ready: `missing` names what is not")
				}
			},
			async handler(this: GatewayThis, ctx: Context<unknown, RequestMeta>): Promise<ReadinessReport> {
				const report = await this.readiness.report(ctx, this.routedActions(), this.limiters.storeStatus());
				if (report.status === "unavailable") ctx.meta.$statusCode = 503;
				return report;
			}
		}
	},

	methods: {
		/**
		 * The one entry of every request, so the place for headers that every answer carries: the
		 * routes' own hooks miss a 404 outside any route, a body the parser refuses, a preflight.
		 */
		httpHandler(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, next?: Next) {
			if (this.accessLogged) logAccess(this.logger, this.settings.roster.logFormat === "json", req, res);
			setEveryResponseHeaders(res);
			this.httpMetrics?.track(req, res);
			return ApiGateway.methods!.httpHandler.call(this, req, res, next);
		},

		/**
		 * Where moleculer-web hands over the alias a request matched, before the route's body parsers
		 * and hooks run: a 413 or a 401 on a route is counted under that route.
		 */
		routeHandler(this: GatewayThis, ctx: Context, route: unknown, req: GatewayRequest, res: GatewayResponse, found?: { alias: { fullPath: string } }) {
			if (found) req.$metricRoute = found.alias.fullPath;
			return ApiGateway.methods!.routeHandler.call(this, ctx, route, req, res, found);
		},

		async authenticate(
			this: GatewayThis,
			ctx: Context<unknown, RequestMeta>,
			_route: unknown,
			req: GatewayRequest,
			res: GatewayResponse
		): Promise<AuthUser | null> {
			const ip = clientIp(req, this.settings.roster.trustProxy);
			if (req.$action?.auth === false) {
				await this.limit(req, res, "anonymous", ip);
				return null;
			}
			const token = bearerToken(req);
			// A header without a Bearer token in it ("Basic …", "Bearer" alone) presents none: the
			// 401 says NO_TOKEN, and its WWW-Authenticate must not blame a token either.
			req.$tokenPresented = !!token;
			const claims = token ? await verifyAccessToken(token, this.settings.roster.jwt) : undefined;
			// A validly signed token names its user: their count and the session check go out
			// together, one round trip to Redis (its client pipelines them) instead of two in turn.
			let user: AuthUser | null = null;
			let verdict: RateLimitVerdict | undefined;
			if (claims && typeof claims === "object") {
				const counted = this.limiters.consume("user", claims.userId);
				// A check that fails (identity away) still answers with the count's headers, so its
				// error answer is not counted a second time (sendErrorResponse counts one without).
				const checked = this.sessions.user(ctx, claims).catch(async (err: unknown) => {
					this.applyVerdict(res, await counted);
					throw err;
				});
				[user, verdict] = await Promise.all([checked, counted]);
			}
			if (!user) {
				// Guessing tokens costs the same as any anonymous request.
				await this.limit(req, res, "anonymous", ip);
				if (!token) throw new UnauthorizedError("Authentication required", "NO_TOKEN");
				if (claims === "expired") throw new UnauthorizedError("Access token expired", "TOKEN_EXPIRED");
				throw new UnauthorizedError("Invalid access token", "INVALID_TOKEN");
			}
			this.applyVerdict(res, verdict!);
			return user;
		},

		authorize(this: GatewayThis, ctx: Context<unknown, RequestMeta>, _route: unknown, req: GatewayRequest) {
			checkRoles(req.$action?.auth, ctx.meta.user?.roles ?? []);
		},

		async limit(this: GatewayThis, _req: GatewayRequest, res: GatewayResponse, kind: "anonymous" | "user", key: string) {
			this.applyVerdict(res, await this.limiters.consume(kind, key));
		},

		applyVerdict(this: GatewayThis, res: GatewayResponse, verdict: RateLimitVerdict) {
			setRateLimitHeaders(res, verdict);
			if (!verdict.allowed) throw new TooManyRequestsError(Math.max(1, verdict.resetSeconds));
		},

		/**
		 * Reserves the failure point of a password check before the call, so parallel attempts
		 * cannot all pass: a login, counted by the email it names, or a password change, whose
		 * current password a stolen access token could otherwise guess without end, by its user.
		 */
		async checkLoginThrottle(this: GatewayThis, ctx: Context<unknown, RequestMeta>, req: GatewayRequest, res: GatewayResponse) {
			const ip = clientIp(req, this.settings.roster.trustProxy);
			const changing = req.$action?.name === IdentityActions.changePassword;
			// Validation has not run yet: the email may be any JSON value, and only a string counts.
			const email = changing ? `user:${ctx.meta.user?.id ?? ""}` : typeof req.$params.email === "string" ? req.$params.email : "";
			const attempt: PasswordAttempt = { email, ip, wrongPassword: changing ? isWrongCurrentPassword : err => err?.code === 401 };
			const wait = await this.limiters.loginAttempt(attempt.email, attempt.ip);
			if (wait > 0) throw new TooManyRequestsError(wait);
			req.$loginAttempt = attempt;
			// moleculer-web drops a request whose client left: an error after that reaches no onError,
			// and its point stayed reserved for the whole window, so logins a slow cluster made their
			// clients give up on locked the accounts. A client that left is told nothing: give it back.
			res.once("close", () => {
				if (!res.writableFinished) void this.settleLogin(attempt, "loginAborted");
			});
		},

		async settleLogin(this: GatewayThis, attempt: PasswordAttempt, how: "loginSucceeded" | "loginFailed" | "loginAborted") {
			if (attempt.settled) return;
			attempt.settled = true;
			await this.limiters[how](attempt.email, attempt.ip).catch(e => this.logger.warn("Could not settle a login attempt:", (e as Error).message));
		},

		/**
		 * moleculer-web's, less its error log with a stack for a node shedding load: those 503s
		 * come by the dozen when they come at all, and they are the node working as meant. Nor for
		 * a body sent as gzip that is not: a 400, the client's mistake, which moleculer-web takes
		 * for ours because zlib's code is no HTTP status.
		 */
		errorHandler(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, err: unknown) {
			if (isServiceBusy(err) || isUndecompressableBody(err)) return this.sendError(req, res, err);
			return ApiGateway.methods!.errorHandler.call(this, req, res, err);
		},

		/**
		 * Every error answer. One refused before the limiter saw it (a body that is no JSON, an
		 * unknown path, a wrong method) is counted first, so it carries the rate-limit headers too.
		 */
		sendErrorResponse(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, err: unknown) {
			if (res.headersSent || !refusalToCount(req, res)) return this.writeErrorResponse(req, res, err);
			this.countRefusal(req, res).then(
				overLimit => this.writeErrorResponse(req, res, overLimit ?? err),
				failure => {
					this.logger.warn("Could not count a refused request:", (failure as Error).message);
					this.writeErrorResponse(req, res, err);
				}
			);
		},

		async countRefusal(this: GatewayThis, req: GatewayRequest, res: GatewayResponse) {
			// As authenticate() counts: a validly signed token's user, else the client's address.
			const token = bearerToken(req);
			const claims = token ? await verifyAccessToken(token, this.settings.roster.jwt) : undefined;
			const verdict =
				claims && typeof claims === "object"
					? await this.limiters.consume("user", claims.userId)
					: await this.limiters.consume("anonymous", clientIp(req, this.settings.roster.trustProxy));
			setRateLimitHeaders(res, verdict);
			return verdict.allowed ? undefined : new TooManyRequestsError(Math.max(1, verdict.resetSeconds));
		},

		writeErrorResponse(this: GatewayThis, req: GatewayRequest, res: GatewayResponse, err: unknown) {
			const { status, body, headers } = formatError(err, { tokenPresented: !!req.$tokenPresented });
			if (status >= 500 && status !== 503) {
				this.logger.error(`Request ${req.$ctx?.requestID ?? "-"} failed:`, err);
			}
			if (res.headersSent) return;
			for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
			if (req.$ctx?.requestID) res.setHeader(REQUEST_ID_HEADER, req.$ctx.requestID);
			res.setHeader("Content-Type", "application/json; charset=utf-8");
			res.writeHead(status);
			res.end(JSON.stringify(body));
		},

		routedActions(this: GatewayThis): Set<string> {
			return new Set(this.aliases.filter(a => a._generated && a.action).map(a => a.action!));
		},

		documentedRoutes(this: GatewayThis): RouteInfo[] {
			return this.aliases
				.filter(alias => alias.action && (alias.route as { name?: string }).name !== "docs")
				.map(alias => ({
					method: alias.method,
					path: alias.fullPath,
					action: alias.action!,
					type: alias.type,
					routePublic: (alias.route as { opts: { authentication?: boolean } }).opts.authentication === false
				}));
		},

		/**
		 * moleculer-web looks a plain OPTIONS (no Access-Control-Request-Method: no CORS preflight)
		 * up with no method, which its resolveAlias takes for GET: the GET action ran and answered
		 * the OPTIONS. Found nowhere, it reaches send404 below: 204 with the path's Allow. A HEAD
		 * finds the path's GET. Found as moleculer-web finds it, without trying every alias (alias-index.ts).
		 */
		resolveAlias(this: GatewayThis, url: string, method?: string) {
			if (method === undefined) return null;
			const found = this.aliasIndex.resolve(this.aliases, url, method);
			// HEAD is GET without the body (RFC 9110 9.3.2), which Node's response leaves out by itself for a HEAD
			// request: a path's own HEAD alias first (a short link's, which counts no click), else its GET.
			return found || method !== "HEAD" ? found : this.aliasIndex.resolve(this.aliases, url, "GET");
		},

		/**
		 * A path that matches no route while routes are still being generated may be one about
		 * to exist: 503 with Retry-After (a load balancer tries another gateway), not 404.
		 */
		send404(this: GatewayThis, req: GatewayRequest, res: GatewayResponse) {
			if (this.readiness.routesIncomplete(this.routedActions())) {
				return this.sendErrorResponse(req, res, new Errors.ServiceNotAvailableError({ action: req.url ?? "" }));
			}
			// A path some alias takes with another method: 405 naming them (or, to a plain OPTIONS, 204).
			const path = req.parsedUrl ?? "";
			const allow = allowedMethods(this.aliases, path);
			if (allow.length === 0) return ApiGateway.methods!.send404.call(this, req, res);
			if (req.method === "OPTIONS") {
				res.writeHead(204, { Allow: [...allow, "OPTIONS"].join(", ") });
				return res.end();
			}
			return this.sendErrorResponse(req, res, new MethodNotAllowedError(req.method ?? "", path, allow));
		},

		/**
		 * Called on every request that reaches routing, before any answer: moleculer-web's rest action
		 * spells the request id `X-Request-ID`, every other answer of ours `X-Request-Id`. One spelling.
		 * And no cache keeps an answer to a request with credentials, whatever route it finds or not.
		 */
		corsHandler(this: GatewayThis, settings: unknown, req: GatewayRequest, res: GatewayResponse): boolean {
			if (req.$ctx?.requestID) res.setHeader(REQUEST_ID_HEADER, req.$ctx.requestID);
			if (req.headers.authorization) keepPrivate(res);
			return ApiGateway.methods!.corsHandler.call(this, settings, req, res);
		},

		regenerateAutoAliases(this: GatewayThis, route: unknown) {
			ApiGateway.methods!.regenerateAutoAliases.call(this, route);
			// Services came or went: the next request for the document builds it anew.
			this.openApiDocument = undefined;
			// moleculer-web builds its routes in its own created(), before ours runs.
			this.readiness ??= new GatewayReadiness(this.broker, this.settings.roster.readyServices);
			this.readiness.observe();
			this.knownAliases ??= new Map();
			const present = new Set<string>();
			for (const alias of this.aliases) {
				if (alias.route !== route || !alias._generated || !alias.action) continue;
				const key = `${alias.method} ${alias.path}`;
				present.add(key);
				this.knownAliases.set(key, { method: alias.method, path: alias.path, action: alias.action });
			}
			// Keep routes whose service went away: the call then fails as 503 Service Unavailable.
			for (const [key, spec] of this.knownAliases) {
				if (present.has(key)) continue;
				this.aliases.push(this.createAlias(route, { method: spec.method, path: spec.path, _generated: true }, spec.action));
			}
			// Kept routes in their place, so a specific path still wins over a parameter.
			this.optimizeAliasesOrder();
		}
	},

	created(this: Service) {
		const self = this as unknown as GatewayThis;
		self.knownAliases ??= new Map();
		self.aliasIndex = new AliasIndex();
		self.readiness ??= new GatewayReadiness(self.broker, self.settings.roster.readyServices);
		self.httpMetrics = self.broker.isMetricsEnabled() ? new HttpMetrics(self.broker) : undefined;
		self.accessLogged = logsAccess(self.broker.options.logLevel);
		// Generations are shared in one process, or through Redis; a memory cacher per node shares nothing.
		const sharedGenerations = !self.broker.transit || !!self.settings.roster.cacherRedisUrl;
		self.sessions = new SessionCheck(sharedGenerations ? self.broker.cacher : undefined);
		self.limiters = createGatewayLimiters({
			config: self.settings.roster.rateLimit,
			redisUrl: self.settings.roster.redisUrl,
			// Gateways of one namespace share one limit; other namespaces on the same Redis do not.
			keyPrefix: `${self.settings.roster.namespace}:rl`,
			logger: self.logger
		});
	},

	async stopped(this: Service) {
		await (this as unknown as GatewayThis).limiters.close();
	}
};

export default ApiService;
