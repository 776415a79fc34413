/**
 * The gateway's check of an access token's session, with a short local memory of the answers.
 * Identity bumps the tenant's identity generation (lib/cache-generation.ts) before any change to
 * its users or sessions answers (a logout, a disabled user, a role or link change, a reused
 * refresh token, a termination); a remembered session counts only while that generation is
 * the one it was remembered under. So a request costs one cache read instead of a call to an
 * identity node, and a revocation still reaches every gateway on its next request.
 *
 * Used only where every node reads the same generations: in one process, or with the Redis
 * cacher. A tenant without a generation yet, or a cache that cannot answer (Redis down reads
 * as none), is never served from memory. What memory could still get wrong is a revocation
 * whose bump could not reach Redis while this gateway's connection never noticed: TTL_MS
 * bounds that.
 */
import type { Cacher, Context } from "moleculer";
import { readGenerations } from "../../lib/cache-generation";
import type { AuthUser, RequestMeta } from "../../lib/meta";
import { IdentityActions } from "../../lib/names";

interface Remembered {
	generation: string;
	user: AuthUser;
	until: number;
}

const TTL_MS = 10_000;
const MAX_SESSIONS = 50_000;
/** What a generation read answers when the tenant has none, or the cache did not answer. */
const NO_GENERATION = "0";

export class SessionCheck {
	private readonly remembered = new Map<string, Remembered>();

	/** `cacher` is undefined where the nodes do not share generations: every check asks identity then. */
	constructor(private readonly cacher: Cacher | undefined) {}

	async user(ctx: Context<unknown, RequestMeta>, claims: { sessionId: string; tenantId: string }): Promise<AuthUser | null> {
		const generation = this.cacher ? await readGenerations(this.cacher, ["identity"], claims.tenantId) : NO_GENERATION;
		const known = this.remembered.get(claims.sessionId);
		if (known && known.generation === generation && generation !== NO_GENERATION && known.until > Date.now() && known.user.tenantId === claims.tenantId) {
			return known.user;
		}
		// The generation was read first: a revocation landing during the call bumps it past the one remembered here.
		const user = await ctx.call<AuthUser | null, object>(IdentityActions.session, { sessionId: claims.sessionId, tenantId: claims.tenantId });
		this.remembered.delete(claims.sessionId);
		if (user && generation !== NO_GENERATION) this.remember(claims.sessionId, { generation, user, until: Date.now() + TTL_MS });
		return user;
	}

	private remember(sessionId: string, entry: Remembered): void {
		// A Map keeps insertion order: past the bound, the longest-remembered session goes first.
		if (this.remembered.size >= MAX_SESSIONS) this.remembered.delete(this.remembered.keys().next().value!);
		this.remembered.set(sessionId, entry);
	}
}
