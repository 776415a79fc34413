/**
 * Audit: the trail of every audited change in a tenant, for its owners and admins.
 *
 * Design. Each audited write carries an `audit.recorded` event in the SAME statement as the
 * change, in the written document's outbox (lib/audit/record.ts); a removal writes its record
 * just before removing (lib/audit/removal.ts). The event says who (user and highest role, or
 * "system" for background work), what (the action, the target's type and id, each changed
 * field from → to with secrets redacted by field name, lib/audit/redact.ts), and from where
 * (the gateway's request id, the one the client sent in X-Request-Id or got back, and the
 * client IP). A refused or failed write commits nothing, so records nothing; a committed one
 * cannot lose its record, since the outbox relay publishes it after a crash too.
 *
 * This service consumes that channel and stores one record per event whose id IS the event id,
 * so a redelivery or a replay can never add a second record: the insert is its own idempotency,
 * with no handled-event record beside it (lib/channels/handled.ts), one write per event.
 * The trail is append-only: no action updates or removes a record; only age does, the daily
 * auditPrune past AUDIT_RETENTION_DAYS (lib/audit/retention.ts, seven years by default).
 */
import type { ServiceSchema } from "moleculer";
import { pruneAuditRecordsJob } from "../../lib/audit/retention";
import { BusinessRuleError, UnprocessableError } from "../../lib/errors";
import { type RosterContext, requireUser } from "../../lib/meta";
import { AuditEvents, type AuditRecord, type AuditRecordedEvent } from "../../lib/names/audit";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../lib/pagination";
import { enumOf, id, isRealDate } from "../../lib/params";
import { ADMIN_ROLES } from "../../lib/roles";
import { isUniqueViolation } from "../../lib/store";
import { type DbService, DbMixin } from "../../mixins/db.mixin";
import { ScheduledJobsMixin, jobRunsCollection } from "../../mixins/scheduled-jobs.mixin";
import { json } from "../../lib/openapi/responses";
import { page } from "../../lib/openapi/schemas";
import * as Operations from "../../lib/openapi/contexts/operations";

// ---- Types -------------------------------------------------------------------------------

type AuditDoc = Omit<AuditRecord, "id"> & { _id: string; tenantId: string };

interface ListAuditParams extends ListParams {
	actorId?: string;
	targetType?: string;
	targetId?: string;
	action?: string;
	operation?: string;
	from?: string;
	to?: string;
}

type AuditThis = DbService;

// ---- Helpers -----------------------------------------------------------------------------

const RECORDS = "audit_records";
const OPERATIONS = ["created", "updated", "removed"] as const;

/** An ISO 8601 instant, as the records' `at`: 2026-03-01T10:00:00Z or with a fraction / offset. */
const instant = {
	type: "string",
	optional: true,
	max: 40,
	pattern: String.raw`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$`,
	messages: { stringPattern: "The '{field}' field must be an ISO 8601 time such as 2026-03-01T10:00:00Z." }
} as const;

/** A filter's time as the stored form (UTC, milliseconds), so strings compare in time order. */
function utc(value: string, field: string): string {
	const time = new Date(value);
	// Date takes the 30th of February and rolls it over to March: the calendar day must be real too.
	if (Number.isNaN(time.getTime()) || !isRealDate(value.slice(0, 10)))
		throw new UnprocessableError(field, `The '${field}' field is not a real time.`, "date");
	return time.toISOString();
}

const recordJSON = ({ _id, tenantId: _tenant, ...rest }: AuditDoc): AuditRecord => ({ id: _id, ...rest });

// ---- Service -----------------------------------------------------------------------------

const AuditService: ServiceSchema = {
	name: "audit",

	mixins: [
		ScheduledJobsMixin("audit", { auditPrune: pruneAuditRecordsJob }),
		DbMixin(
			"audit",
			{
				name: RECORDS,
				indexes: [
					{ fields: { tenantId: 1, at: -1 }, ordered: true },
					{ fields: { tenantId: 1, "actor.userId": 1, at: -1 }, ordered: true },
					{ fields: { tenantId: 1, "target.id": 1, at: -1 }, ordered: true },
					// The retention's prune, across tenants (lib/audit/retention.ts).
					{ fields: { at: 1 } }
				]
			},
			[jobRunsCollection("audit")]
		)
	],

	settings: {
		rest: "/"
	},

	actions: {
		/** The tenant's records, newest first, narrowed by actor, target, action and time. */
		list: {
			rest: "GET /audit",
			openapi: { responses: { 200: json(page(Operations.AuditRecord)) } },
			auth: { roles: ADMIN_ROLES },
			params: {
				$$strict: true,
				...listParams,
				actorId: { ...id, optional: true },
				targetType: { type: "string", min: 1, max: 64, pattern: "^[A-Za-z][A-Za-z0-9]*$", optional: true },
				targetId: { ...id, optional: true },
				action: { type: "string", min: 1, max: 200, optional: true },
				operation: { ...enumOf(OPERATIONS), optional: true },
				from: instant,
				to: instant
			},
			async handler(this: AuditThis, ctx: RosterContext<ListAuditParams>): Promise<ListResult<AuditRecord>> {
				const { actorId, targetType, targetId, action, operation } = ctx.params;
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (actorId) query["actor.userId"] = actorId;
				if (targetType) query["target.type"] = targetType;
				if (targetId) query["target.id"] = targetId;
				if (action) query.action = action;
				if (operation) query.operation = operation;
				const from = ctx.params.from ? utc(ctx.params.from, "from") : undefined;
				const to = ctx.params.to ? utc(ctx.params.to, "to") : undefined;
				if (from && to && from > to) throw new BusinessRuleError("to", "The 'to' time must not be before the 'from' time.", "range");
				if (from || to) query.at = { ...(from && { $gte: from }), ...(to && { $lte: to }) };
				const sort = parseSort(ctx.params.sort, ["at", "action"], "-at");
				return paginate(this.adapter, query, ctx.params, sort, recordJSON);
			}
		}
	},

	channels: {
		[AuditEvents.recorded]: {
			async handler(this: AuditThis, event: AuditRecordedEvent): Promise<void> {
				await this.storeRecord(event);
			}
		}
	},

	methods: {
		/** Idempotent in itself: the record's id is the event's, so a second insert is refused and ignored. */
		async storeRecord(this: AuditThis, event: AuditRecordedEvent): Promise<void> {
			const doc: AuditDoc = {
				_id: event.eventId,
				tenantId: event.tenantId,
				at: new Date(event.at).toISOString(),
				actor: event.actor,
				action: event.action,
				operation: event.operation,
				target: event.target,
				changes: event.changes,
				requestId: event.requestId,
				clientIp: event.clientIp
			};
			try {
				// Built here from the event, for this insert alone: the store may keep it as it is.
				await this.adapter.insert(doc, { handOver: true });
			} catch (err) {
				if (!isUniqueViolation(err)) throw err;
			}
		}
	}
};

export default AuditService;
