/**
 * Identity: people's accounts, their memberships in companies (users), companies (tenants),
 * login sessions and one-time links. The aggregate root is the user; the model is in
 * services/data/identity.parts/shared.ts.
 *
 * One service, split by aggregate: each file of services/data/identity.parts/ holds one part's
 * actions and methods and is mixed in below (not *.service.ts, so the runner does not load
 * them as services of their own).
 */
import type { ServiceSchema } from "moleculer";
import { auditOutboxCollection, auditOutboxName } from "../../lib/audit/removal";
import { handledEventsCollection } from "../../lib/channels/handled";
import { OUTBOX_INDEX } from "../../lib/channels/outbox";
import { pruneHandledEventsJob } from "../../lib/channels/retention";
import { DbMixin } from "../../mixins/db.mixin";
import { DerivedCacheMixin } from "../../mixins/derived-cache.mixin";
import { OutboxMixin } from "../../mixins/outbox.mixin";
import { ScheduledJobsMixin, jobRunsCollection } from "../../mixins/scheduled-jobs.mixin";
import { InvitationsPart, expireInvitations } from "./identity.parts/invitations";
import { OperatorPart } from "./identity.parts/operator";
import { EmployeeLinksPart } from "./identity.parts/employee-links";
import { PasswordsPart } from "./identity.parts/passwords";
import { SessionsPart } from "./identity.parts/sessions";
import { ACCOUNTS, EMPLOYMENTS, type IdentityThis, LINKS, LOCKS, SESSIONS, SharedPart, TENANTS, USERS } from "./identity.parts/shared";
import { SignupPart } from "./identity.parts/signup";
import { UsersPart } from "./identity.parts/users";

const IdentityService: ServiceSchema = {
	name: "identity",

	// Moleculer merges same-named actions and methods silently (the earlier mixin wins), so each
	// part's names are its own and none reuses the db mixin's.
	mixins: [
		// Expiring invitations, once per cluster (identity.parts/invitations.ts); before the db
		// mixin, so it starts after the collections connect and stops before they close.
		ScheduledJobsMixin<IdentityThis>("identity", { expireInvitations, identityHandledPrune: pruneHandledEventsJob("identity") }),
		DbMixin(
			"identity",
			{
				name: USERS,
				indexes: [
					{ fields: { tenantId: 1, email: 1 }, unique: true },
					{ fields: { accountId: 1 } },
					{ fields: { tenantId: 1, employeeId: 1 } },
					OUTBOX_INDEX
				]
			},
			[
				{ name: ACCOUNTS, indexes: [{ fields: { email: 1 }, unique: true }, OUTBOX_INDEX] },
				{ name: TENANTS },
				{ name: SESSIONS, indexes: [{ fields: { userId: 1 } }, { fields: { accountId: 1 } }, OUTBOX_INDEX] },
				// By expiry: the expireInvitations job (identity.parts/invitations.ts).
				{ name: LINKS, indexes: [{ fields: { userId: 1 } }, { fields: { expiresAt: 1 } }] },
				{ name: LOCKS },
				handledEventsCollection("identity"),
				{ name: EMPLOYMENTS },
				jobRunsCollection("identity"),
				auditOutboxCollection("identity")
			]
		),
		// Session checks, cached under the tenant's generation of this service (sessions.ts).
		DerivedCacheMixin(["identity"], 60),
		// Users carry identity's events (disabled, invited, a company opened) in the write that makes
		// them (lib/channels/outbox.ts); accounts (passwords) and sessions (sign-ins, sign-outs) carry
		// their audit records, and the audit outbox the records of removals (lib/audit/removal.ts).
		OutboxMixin({ collections: [ACCOUNTS, SESSIONS], notes: [auditOutboxName("identity")] }),
		SharedPart,
		SignupPart,
		SessionsPart,
		PasswordsPart,
		UsersPart,
		InvitationsPart,
		EmployeeLinksPart,
		OperatorPart
	],

	settings: {
		rest: "/"
	}
};

export default IdentityService;
