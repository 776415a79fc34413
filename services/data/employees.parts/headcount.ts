/**
 * The reports service's inputs about employment over time: headcount on any date and the
 * movements (hires, terminations) of every month of a range, counted by the database from the
 * employment spells (lib/employees/spells.ts), never by loading the tenant here.
 */
import type { Service, ServiceSchema } from "moleculer";
import type { EmployeeDoc } from "../../../lib/employees/model";
import { type SpellDoc, activeOn, monthBounds, monthsBetween, stintSpell } from "../../../lib/employees/spells";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { type HeadcountAsOfRow, type MovementRow, REPORT_SOURCE_CALLER_LIMIT } from "../../../lib/names/reports";
import { date, id } from "../../../lib/params";
import { bumpGeneration } from "../../../lib/cache-generation";
import { isUniqueViolation } from "../../../lib/store/types";
import type { DbService } from "../../../mixins/db.mixin";

export const SPELLS = "employment_spells";
/** Where the backfill notes that it finished (in the collection of per-tenant counters, under an id no tenant has). */
const BACKFILLED = { collection: "employee_counters", id: "~spells-backfilled" };
const BACKFILL_PAGE = 500;

interface AsOfParams {
	asOf: string;
	employeeIds?: string[];
}
interface MovementParams {
	from: string;
	to: string;
	employeeIds?: string[];
}

const month = { type: "string", pattern: "^\\d{4}-(0[1-9]|1[0-2])$" } as const;
/** A team's ids: the caller's scope when it is not the whole tenant (the reports service computes it). */
const employeeIds = { type: "array", items: id, optional: true } as const;

/** The tenant, narrowed to the given employees when there are some. */
function scope(tenantId: string, ids: string[] | undefined): Record<string, unknown> {
	return ids ? { tenantId, employeeId: { $in: ids } } : { tenantId };
}

export const HeadcountPart: Partial<ServiceSchema> = {
	actions: {
		headcountAsOf: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: { asOf: date, employeeIds },
			async handler(this: DbService, ctx: RosterContext<AsOfParams>): Promise<HeadcountAsOfRow[]> {
				const query = { ...scope(requireUser(ctx).tenantId, ctx.params.employeeIds), ...activeOn(ctx.params.asOf) };
				const groups = await this.store(SPELLS).countBy(query, ["departmentId", "employmentType"]);
				return groups.map(g => ({ departmentId: g.departmentId as string | null, employmentType: g.employmentType as string, count: g.count }));
			}
		},

		movements: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: { from: month, to: month, employeeIds },
			async handler(this: DbService, ctx: RosterContext<MovementParams>): Promise<MovementRow[]> {
				const { from, to } = ctx.params;
				const base = scope(requireUser(ctx).tenantId, ctx.params.employeeIds);
				const spells = this.store(SPELLS);
				const months = monthsBetween(from, to);
				const inRange = { $gte: from, $lte: to };
				// Two groupings and two counts per month, each in the database: the range is bounded by the caller (36 months).
				const [hires, terminations, ends] = await Promise.all([
					// A spell a transfer started or ended is no hire and no termination (lib/employees/spells.ts).
					spells.countBy({ ...base, startMonth: inRange, transferIn: { $ne: true } }, ["startMonth"]),
					spells.countBy({ ...base, endMonth: inRange, transferOut: { $ne: true } }, ["endMonth"]),
					Promise.all(
						months.map(async m => {
							const { first, last } = monthBounds(m);
							const [start, end] = await Promise.all([
								spells.count({ query: { ...base, ...activeOn(first) } }),
								spells.count({ query: { ...base, ...activeOn(last) } })
							]);
							return { start, end };
						})
					)
				]);
				const hiresIn = new Map(hires.map(g => [g.startMonth as string, g.count]));
				const terminationsIn = new Map(terminations.map(g => [g.endMonth as string, g.count]));
				return months.map((m, i) => ({
					month: m,
					hires: hiresIn.get(m) ?? 0,
					terminations: terminationsIn.get(m) ?? 0,
					headcountStart: ends[i].start,
					headcountEnd: ends[i].end
				}));
			}
		}
	},

	methods: {
		/**
		 * Gives every employee stored before spells existed the spell of their current stint, a
		 * page at a time, once per database (a marker notes that it finished; a node that stops
		 * halfway leaves none, and the next start goes over it again). Spells have ids of their
		 * own stint, so a write racing the backfill, or another node backfilling, makes no second one.
		 */
		async backfillSpells(this: DbService): Promise<number> {
			const marks = this.store(BACKFILLED.collection);
			if (await marks.findById(BACKFILLED.id)) return 0;
			const spells = this.store(SPELLS);
			let added = 0;
			const tenants = new Set<string>();
			for (let offset = 0; ; offset += BACKFILL_PAGE) {
				const page: EmployeeDoc[] = await this.adapter.find({ sort: ["_id"], limit: BACKFILL_PAGE, offset });
				if (page.length === 0) break;
				const have = new Set(((await spells.find({ query: { employeeId: { $in: page.map(e => e._id) } } })) as SpellDoc[]).map(s => s.employeeId));
				for (const employee of page.filter(e => !have.has(e._id))) {
					await spells.insert(stintSpell(employee)).then(
						() => {
							added++;
							tenants.add(employee.tenantId);
						},
						err => {
							if (!isUniqueViolation(err)) throw err;
						}
					);
				}
			}
			// Reports computed before the spells were there would miss these employees: they go stale now.
			for (const tenantId of tenants) await bumpGeneration(this.broker.cacher, this.fullName, tenantId);
			await marks.insert({ _id: BACKFILLED.id, at: new Date().toISOString() }).catch(err => {
				if (!isUniqueViolation(err)) throw err;
			});
			return added;
		}
	},

	/**
	 * After the db mixin's `started` (this part is listed before it, and Moleculer starts later
	 * mixins first), in the background: a node is ready without waiting for it, and a failure is
	 * logged and tried again at the next start.
	 */
	started(this: Service) {
		const self = this as DbService & { backfillSpells(): Promise<number> };
		self.backfillSpells().then(
			added => added > 0 && self.logger.info(`Employment spells backfilled for ${added} employees`),
			err => self.logger.warn("Backfilling employment spells failed; the next start tries again", err)
		);
	}
};
