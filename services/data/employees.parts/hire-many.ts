/**
 * The bulk import's hires, many in one write: each record carries its own events
 * (employees.changed and audit.recorded, those of a single hire) in the same insert, and the
 * history entries and employment spells follow in one write each, so a chunk of an import
 * costs a few statements instead of a dozen per row, and its events leave in one relay pass.
 *
 * The checks are a hire's, asked once per batch: dates per row, each distinct department,
 * position and manager once; a number or email taken already breaks a unique index. A batch
 * that fails any check is refused whole (422, 409); the import then hires its rows one by one, to learn
 * which row is at fault. Ids are the caller's (the import's row ids): one hired already, by a
 * chunk redone after a crash, is answered as hireWithId answers it and not hired again.
 */
import type { ServiceSchema } from "moleculer";
import type { PendingEvent } from "../../../lib/channels/outbox";
import { insertWithEvents } from "../../../lib/channels/outbox";
import { auditCreation } from "../../../lib/audit/record";
import { now } from "../../../lib/entity";
import { type Changes, HISTORY, type HistoryDoc } from "../../../lib/employees/history";
import { type Employee, type EmployeeDoc, employeeJSON, listItemJSON } from "../../../lib/employees/model";
import { type HireParams, checkDates, hireChanges, hireFields, hiredEmployee } from "../../../lib/employees/params";
import { stintSpell } from "../../../lib/employees/spells";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { id } from "../../../lib/params";
import type { DbService } from "../../../mixins/db.mixin";
import type { OutboxMethods } from "../../../mixins/outbox.mixin";
import { SPELLS } from "./headcount";

/** Rows per call: an import chunk (250) with room to spare. */
const HIRE_MANY_MAX = 500;

interface HireManyParams {
	employees: Array<HireParams & { id: string }>;
}

type PartThis = DbService &
	OutboxMethods & {
		hiredAs(ctx: RosterContext, employeeId: string): Promise<Employee | null>;
		checkReferences(ctx: RosterContext, employee: EmployeeDoc | null, next: Partial<EmployeeDoc>): Promise<void>;
		assignNumber(tenantId: string): Promise<string>;
		changedEvent(employee: EmployeeDoc, changes: Changes): PendingEvent;
		checkBatch(ctx: RosterContext, docs: EmployeeDoc[]): Promise<void>;
		placing<T>(ctx: RosterContext, placed: Array<Partial<EmployeeDoc>>, task: () => Promise<T>): Promise<T>;
	};

const distinct = (values: Array<string | null>): string[] => [...new Set(values.filter((v): v is string => !!v))];

export const HireManyPart: Partial<ServiceSchema> = {
	actions: {
		hireMany: {
			visibility: "public",
			params: {
				$$strict: true,
				employees: { type: "array", min: 1, max: HIRE_MANY_MAX, items: { type: "object", strict: true, props: { id, ...hireFields } } }
			},
			async handler(this: PartThis, ctx: RosterContext<HireManyParams>): Promise<Employee[]> {
				const actor = requireUser(ctx);
				const { tenantId } = actor;
				const wanted = ctx.params.employees;
				const answered = new Map<string, Employee>();
				const stored: EmployeeDoc[] = await this.adapter.find({ query: { tenantId, _id: { $in: wanted.map(e => e.id) } } });
				for (const doc of stored) answered.set(doc._id, (await this.hiredAs(ctx, doc._id))!);

				const at = now();
				const docs = wanted
					.filter(e => !answered.has(e.id))
					.map(({ id: employeeId, ...p }) => {
						checkDates(p);
						return hiredEmployee(tenantId, employeeId, p, at);
					});
				if (docs.length > 0) {
					await this.placing(ctx, docs, async () => {
						await this.checkBatch(ctx, docs);
						for (const doc of docs) if (!doc.employeeNumber) doc.employeeNumber = await this.assignNumber(tenantId);
						// Inserted already claimed by this writer, under one lease for the batch: the relay publishes from these very
						// documents and clears them in one write, with no read and no claim of its own (a sweep takes them if this process dies).
						const lease = this.outboxLease();
						const withEvents = docs.map(doc =>
							insertWithEvents(doc, [this.changedEvent(doc, hireChanges(doc)), auditCreation(ctx, "employee", doc)], lease)
						);
						await this.unique("employeeNumber or workEmail", () => this.adapter.insertMany(withEvents, { handOver: true }));
						this.publishClaimed(withEvents, lease);
						// Spells before history: hiredAs takes a record without its history entry for an unfinished hire, and finishes it.
						await this.store(SPELLS).insertMany(docs.map(stintSpell), { handOver: true });
						const entries: HistoryDoc[] = docs.map(doc => ({
							_id: this.newId(),
							tenantId,
							employeeId: doc._id,
							type: "hired",
							changes: hireChanges(doc),
							effectiveDate: doc.hireDate,
							by: actor.id,
							at
						}));
						await this.store(HISTORY).insertMany(entries, { handOver: true });
						await this.entityChanged("created", listItemJSON(docs[0]), ctx);
					});
					for (const doc of docs) answered.set(doc._id, employeeJSON(doc, true));
				}
				return wanted.map(e => answered.get(e.id)!);
			}
		}
	},

	methods: {
		/**
		 * A hire's reference checks for a whole batch, each distinct value once. Numbers and emails
		 * taken already are left to the unique indexes: the insert is refused whole (409).
		 */
		async checkBatch(this: PartThis, ctx: RosterContext, docs: EmployeeDoc[]): Promise<void> {
			for (const departmentId of distinct(docs.map(d => d.departmentId))) await this.checkReferences(ctx, null, { departmentId });
			for (const positionId of distinct(docs.map(d => d.positionId))) await this.checkReferences(ctx, null, { positionId });
			for (const managerId of distinct(docs.map(d => d.managerId))) await this.checkReferences(ctx, null, { managerId });
		}
	}
};
