/**
 * Dead letters: the events a consumer group failed to handle CHANNEL_MAX_RETRIES times, which
 * the channel adapter moved to the dead-letter channel. This service keeps each of them, by
 * tenant, so the tenant's owners and admins can see what did not happen and replay it once
 * the cause is fixed. A replay goes to the group that failed only (`replayFor`); the others
 * ignore it, and the failed group's record of handled events keeps it to one effect.
 *
 * Storing is idempotent in itself: a dead letter's id is derived from the group and the event
 * id, so a second delivery of the same dead letter finds it there and changes nothing.
 */
import { createHash, randomUUID } from "node:crypto";
import type { ServiceSchema } from "moleculer";
import { auditUpdate } from "../../lib/audit/record";
import { DEAD_LETTER_CHANNEL, type DomainEvent, envelopeOf } from "../../lib/channels/events";
import { OUTBOX_INDEX, type OutboxFields, updateWithEvent } from "../../lib/channels/outbox";
import { deadLetterOrigin, publishEvent } from "../../lib/channels/publish";
import { now } from "../../lib/entity";
import { ConflictError, NotFoundError, ServiceBusyError } from "../../lib/errors";
import { type RosterContext, requireUser } from "../../lib/meta";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../lib/pagination";
import { enumOf, id } from "../../lib/params";
import { ADMIN_ROLES } from "../../lib/roles";
import { isUniqueViolation } from "../../lib/store";
import { pruneDeadLettersJob } from "../../lib/channels/retention";
import { type DbService, DbMixin } from "../../mixins/db.mixin";
import { type OutboxMethods, OutboxMixin } from "../../mixins/outbox.mixin";
import { ScheduledJobsMixin, jobRunsCollection } from "../../mixins/scheduled-jobs.mixin";
import { json } from "../../lib/openapi/responses";
import { page } from "../../lib/openapi/schemas";
import * as Operations from "../../lib/openapi/contexts/operations";

// ---- Types -------------------------------------------------------------------------------

type DeadLetterState = "dead" | "replayed";

interface DeadLetterDoc {
	_id: string;
	/** Null for a message that carried no tenant: an operator's, no tenant sees it. */
	tenantId: string | null;
	/** The channel it failed on, without the namespace prefix. */
	channel: string;
	/** The consumer group (service) that failed it. */
	group: string;
	eventId: string | null;
	event: unknown;
	state: DeadLetterState;
	/** How many times it landed here: a replay that fails again brings it back. */
	deaths: number;
	deadAt: string;
	replayedAt: string | null;
	replayedBy: string | null;
}

export interface DeadLetter extends Omit<DeadLetterDoc, "_id" | "tenantId"> {
	id: string;
}

interface ListDeadLettersParams extends ListParams {
	state?: DeadLetterState;
	channel?: string;
}
interface IdParams {
	id: string;
}

type DeadLettersThis = DbService & OutboxMethods;

// ---- Helpers -----------------------------------------------------------------------------

const DEAD_LETTERS = "dead_letters";
const STATES: DeadLetterState[] = ["dead", "replayed"];

/** One id per (group, event), in the shape of a UUID, so a redelivered dead letter is the same one. */
function deadLetterId(group: string, eventId: string | null): string {
	if (!eventId) return randomUUID();
	const hex = createHash("sha256").update(`${group}\n${eventId}`).digest("hex");
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const deadLetterJSON = ({ _id, tenantId: _tenant, _outbox, _outboxSeq, _outboxSince, ...rest }: DeadLetterDoc & OutboxFields): DeadLetter => ({
	id: _id,
	...rest
});

// ---- Service -----------------------------------------------------------------------------

const DeadLettersService: ServiceSchema = {
	name: "deadLetters",

	mixins: [
		// Before the db mixin (see the mixin): the daily prune (lib/channels/retention.ts).
		ScheduledJobsMixin("deadLetters", { deadLettersPrune: pruneDeadLettersJob }),
		DbMixin(
			"deadLetters",
			{
				name: DEAD_LETTERS,
				indexes: [{ fields: { tenantId: 1, deadAt: -1 } }, { fields: { state: 1, deadAt: 1 } }, OUTBOX_INDEX]
			},
			[jobRunsCollection("deadLetters")]
		),
		// A replay carries its audit record in the same write (lib/audit/record.ts).
		OutboxMixin()
	],

	settings: {
		rest: "/"
	},

	actions: {
		/** The tenant's dead letters, newest first. */
		list: {
			rest: "GET /admin/dead-letters",
			openapi: { responses: { 200: json(page(Operations.DeadLetter)) } },
			auth: { roles: ADMIN_ROLES },
			params: {
				$$strict: true,
				...listParams,
				state: { ...enumOf(STATES), optional: true },
				channel: { type: "string", min: 1, max: 200, optional: true }
			},
			async handler(this: DeadLettersThis, ctx: RosterContext<ListDeadLettersParams>): Promise<ListResult<DeadLetter>> {
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (ctx.params.state) query.state = ctx.params.state;
				if (ctx.params.channel) query.channel = ctx.params.channel;
				const sort = parseSort(ctx.params.sort, ["deadAt", "channel", "group", "state"], "-deadAt");
				return paginate(this.adapter, query, ctx.params, sort, deadLetterJSON);
			}
		},

		/**
		 * Delivers the event again, to the group that failed it only: 202 once it is on its
		 * channel, 409 for one replayed already (a second replay would be a second effect).
		 */
		replay: {
			rest: "POST /admin/dead-letters/:id/replay",
			openapi: { responses: { 202: json(Operations.DeadLetter, "Back on its channel, for the group that failed it") } },
			auth: { roles: ADMIN_ROLES },
			params: { $$strict: true, id },
			async handler(this: DeadLettersThis, ctx: RosterContext<IdParams>): Promise<DeadLetter> {
				const actor = requireUser(ctx);
				// Another tenant's dead letter is as absent as a missing one.
				const letter: DeadLetterDoc | null = await this.adapter.findOne({ _id: ctx.params.id, tenantId: actor.tenantId });
				if (!letter) throw new NotFoundError("Dead letter", ctx.params.id);
				const replayedAt = now();
				// Claimed before it goes out: of two replays at once, one publishes.
				const set = { state: "replayed", replayedAt, replayedBy: actor.id };
				const claimed = await this.adapter.updateMany(
					{ _id: letter._id, tenantId: actor.tenantId, state: "dead" },
					updateWithEvent({ $set: set }, auditUpdate(ctx, "deadLetter", { ...letter, tenantId: actor.tenantId }, set))
				);
				if (claimed !== 1) throw new ConflictError("This dead letter was replayed already", { field: "id" });
				this.publishEvents(letter._id);
				try {
					const event = { ...(letter.event as DomainEvent), replayFor: letter.group };
					// A msgID of its own: JetStream would drop a republished event id as a duplicate.
					await publishEvent(this.broker, letter.channel, event, { msgID: `${letter.eventId}:replay:${letter.deaths}` });
				} catch (err) {
					// The claim is on the trail: so is its undoing.
					const back = { state: "dead", replayedAt: null, replayedBy: null };
					const claimedLetter = { ...letter, ...set, tenantId: actor.tenantId };
					await this.adapter.updateMany(
						{ _id: letter._id, replayedAt },
						updateWithEvent({ $set: back }, auditUpdate(ctx, "deadLetter", claimedLetter, back))
					);
					this.publishEvents(letter._id);
					this.logger.warn(`Dead letter ${letter._id} could not be replayed:`, (err as Error).message);
					throw new ServiceBusyError(5, "The event could not be replayed now; try again shortly");
				}
				ctx.meta.$statusCode = 202;
				return deadLetterJSON(await this.adapter.findById(letter._id));
			}
		}
	},

	/** The adapters move a delivery that failed every retry here (lib/channels/adapter.ts). */
	channels: {
		[DEAD_LETTER_CHANNEL]: {
			// This channel has no dead-letter queue of its own: it retries long rather than loop into itself.
			maxRetries: 50,
			deadLettering: { enabled: false },
			async handler(this: DeadLettersThis, payload: unknown, raw: unknown): Promise<void> {
				const origin = deadLetterOrigin(this.broker, raw);
				const group = origin.group ?? "unknown";
				const channel = origin.channel ?? "unknown";
				const envelope = envelopeOf(payload);
				const doc: DeadLetterDoc = {
					_id: deadLetterId(group, envelope?.eventId ?? null),
					tenantId: envelope?.tenantId ?? null,
					channel,
					group,
					eventId: envelope?.eventId ?? null,
					event: payload,
					state: "dead",
					deaths: 1,
					deadAt: now(),
					replayedAt: null,
					replayedBy: null
				};
				try {
					await this.adapter.insert(doc);
				} catch (err) {
					if (!isUniqueViolation(err)) throw err;
					// Replayed and failed again: dead once more. Already dead: a redelivery, nothing to do.
					await this.adapter.updateMany({ _id: doc._id, state: "replayed" }, { $set: { state: "dead", deadAt: doc.deadAt }, $inc: { deaths: 1 } });
				}
				this.logger.warn(`Dead letter ${doc._id}: ${group} gave up on ${channel} event ${doc.eventId ?? "(no id)"}`);
			}
		}
	}
};

export default DeadLettersService;
