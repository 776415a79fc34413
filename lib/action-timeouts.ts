/**
 * How long a call may take, by what the action does. An action declares its own with `timeout`
 * on its schema; Moleculer's Timeout middleware applies it whenever the caller gives none, as
 * the gateway never does (moleculer-web calls with no timeout). A call made inside another
 * (ctx.call) gets what is left of its caller's time instead, so a report's reads share the
 * report's time.
 *
 * Unless it declares one, a read-only action (a GET route, or `readOnly: true`) gets `read`
 * (middlewares/action-timeouts.middleware.ts) and any other action the broker's requestTimeout,
 * `write`. docs/operations.md has the table.
 */
export const ActionTimeouts = {
	/** A read: one record or a page of them, each attempt of which may be cut short on a node that does not answer (READ_ATTEMPT_TIMEOUT). */
	read: 3000,
	/** A write or anything else that says nothing: a few statements. */
	write: 5000,
	/** Argon2 work (logins, sign-ups, password changes): each waits its turn in the hashing queue (lib/auth/passwords.ts). */
	password: 10_000,
	/**
	 * An upload (imports.uploadEmployees): the call starts when the request's headers arrive, and
	 * reads the file as the client sends it. 10 MB, the bound, takes 84 s at 1 Mbit/s; the write
	 * timeout answered 504 to any file that took 5 s to send, and stored it all the same when its
	 * last bytes had just arrived.
	 */
	upload: 120_000,
	/** A report: aggregations over a whole tenant, uncached after any change. */
	report: 15_000,
	/** Accepting an offer: a saga of writes in four services, each call with its own time (a saga outlives its request if need be). */
	onboarding: 30_000,
	/** A scheduled job run by hand (`<service>.runJob`): one pass over every tenant's data of its kind. */
	job: 10 * 60_000
} as const;
