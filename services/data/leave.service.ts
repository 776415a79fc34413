/**
 * Leave: the tenant's leave types and holidays, each employee's yearly entitlements, and the
 * leave requests (the aggregate root). A balance is never stored; it is computed from the
 * year's entitlement and the requests that hold days, so cancelling an approved request gives
 * its days back by itself. Who may approve or reject is the leave workflow's business
 * (services/app/leave-workflow.service.ts); this service stores the decision and guards the
 * status machine.
 *
 * Who sees what: staff (owner, admin, hr) the whole tenant; a user with the manager role and an
 * active employee record their own leave and that of everyone under them in the org chart (the
 * employees' managerId, any depth), which is also whom the workflow lets them approve; anyone
 * else, a terminated manager included, their own leave.
 * Leave outside that scope is as absent as another tenant's (404).
 *
 * One service, split by aggregate: each file of services/data/leave.parts/ holds one aggregate's
 * actions and methods and is mixed in below (they are not *.service.ts, so the runner does not
 * load them as services of their own; and the folder is not named plain "leave", or the
 * runner would take SERVICES=data/leave for it).
 */
import type { Service, ServiceSchema } from "moleculer";
import { SerialQueues } from "../../lib/leave/serial";
import { OUTBOX_INDEX } from "../../lib/channels/outbox";
import { auditOutboxCollection, auditOutboxName } from "../../lib/audit/removal";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin } from "../../mixins/outbox.mixin";
import { ScheduledJobsMixin, jobRunsCollection } from "../../mixins/scheduled-jobs.mixin";
import { BalancesPart } from "./leave.parts/balances";
import { CarryOverPart } from "./leave.parts/carry-over";
import { EmploymentEndedChannels } from "./leave.parts/employment-ended";
import { EntitlementsPart } from "./leave.parts/entitlements";
import { HolidaysPart } from "./leave.parts/holidays";
import { RequestsPart } from "./leave.parts/requests";
import { leaveRollover } from "./leave.parts/rollover";
import { ADMISSIONS, ENTITLEMENTS, HOLIDAYS, type LeaveThis, REQUESTS, SharedPart, TYPES } from "./leave.parts/shared";
import { TypesPart } from "./leave.parts/types";
import { UsagePart } from "./leave.parts/usage";

const LeaveService: ServiceSchema = {
	name: "leave",

	// Moleculer merges same-named actions and methods silently (the earlier mixin wins), so each
	// part's names are its own and none reuses the db mixin's.
	mixins: [
		// The yearly roll-over of entitlements, once per cluster (leave.parts/rollover.ts). Listed
		// before the db mixin: Moleculer starts later mixins first, so this starts once the
		// collections are connected and stops (waiting for a run in flight) before they close.
		ScheduledJobsMixin<LeaveThis>("leave", { leaveRollover }),
		DbMixin(
			"leave",
			{
				name: REQUESTS,
				indexes: [{ fields: { tenantId: 1, employeeId: 1, startDate: 1 } }, { fields: { tenantId: 1, year: 1, status: 1 } }, OUTBOX_INDEX]
			},
			[
				// Types, entitlements and holidays carry their audit records in their outboxes (lib/audit/record.ts).
				{ name: TYPES, indexes: [{ fields: { tenantId: 1, nameKey: 1 }, unique: true }, OUTBOX_INDEX] },
				{ name: ENTITLEMENTS, indexes: [{ fields: { tenantId: 1, employeeId: 1, leaveTypeId: 1, year: 1 }, unique: true }, OUTBOX_INDEX] },
				{ name: HOLIDAYS, indexes: [{ fields: { tenantId: 1, date: 1 }, unique: true }, OUTBOX_INDEX] },
				auditOutboxCollection("leave"),
				{ name: ADMISSIONS },
				jobRunsCollection("leave")
			]
		),
		// Requests carry their leave.request.* events in the write that makes them (lib/channels/outbox.ts).
		OutboxMixin({ collections: [TYPES, ENTITLEMENTS, HOLIDAYS], notes: [auditOutboxName("leave")] }),
		SharedPart,
		TypesPart,
		HolidaysPart,
		EntitlementsPart,
		RequestsPart,
		CarryOverPart,
		BalancesPart,
		UsagePart
	],

	settings: {
		rest: "/"
	},

	channels: EmploymentEndedChannels,

	created(this: Service) {
		(this as LeaveThis).admissions = new SerialQueues();
	}
};

export default LeaveService;
