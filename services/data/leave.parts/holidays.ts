/** Holidays: the tenant's calendar, whose days a leave request does not count. */
import type { ServiceSchema } from "moleculer";
import { auditCreation, auditUpdate } from "../../../lib/audit/record";
import { removeAudited } from "../../../lib/audit/removal";
import { insertWithEvent, updateWithEvent } from "../../../lib/channels/outbox";
import { checkDate, findInTenant, now } from "../../../lib/entity";
import { checkLeaveYear } from "../../../lib/leave/calendar";
import { type Holiday, type HolidayDoc, holidayJSON } from "../../../lib/leave/model";
import { type RosterContext, created, requireUser } from "../../../lib/meta";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../../lib/pagination";
import { date, id, optionalDate, text } from "../../../lib/params";
import { STAFF_ROLES } from "../../../lib/roles";
import { HOLIDAYS, type IdParams, type LeaveThis, optionalYear } from "./shared";
import { json, noContent } from "../../../lib/openapi/responses";
import { page } from "../../../lib/openapi/schemas";
import * as Leave from "../../../lib/openapi/contexts/leave";

interface CreateHolidayParams {
	date: string;
	name: string;
}
interface UpdateHolidayParams extends Partial<CreateHolidayParams> {
	id: string;
}
interface ListHolidaysParams extends ListParams {
	year?: number;
	from?: string;
	to?: string;
}

function yearBounds(y: number): { $gte: string; $lte: string } {
	return { $gte: `${y}-01-01`, $lte: `${y}-12-31` };
}

export const HolidaysPart: Partial<ServiceSchema> = {
	actions: {
		/** Requests already made keep the days they were counted with. */
		createHoliday: {
			rest: "POST /holidays",
			openapi: { responses: { 201: json(Leave.Holiday) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, date, name: text(100) },
			async handler(this: LeaveThis, ctx: RosterContext<CreateHolidayParams>): Promise<Holiday> {
				const { tenantId } = requireUser(ctx);
				checkDate(ctx.params.date, "date");
				checkLeaveYear(ctx.params.date, "date");
				const at = now();
				const doc: HolidayDoc = { _id: this.newId(), tenantId, date: ctx.params.date, name: ctx.params.name, createdAt: at, updatedAt: at };
				await this.unique("date", () => this.store(HOLIDAYS).insert(insertWithEvent(doc, auditCreation(ctx, "holiday", doc))));
				this.publishEvents(doc._id, HOLIDAYS);
				created(ctx, `/api/v1/holidays/${doc._id}`);
				return this.saved(ctx, "created", holidayJSON(doc));
			}
		},

		listHolidays: {
			rest: "GET /holidays",
			openapi: { responses: { 200: json(page(Leave.Holiday)) } },
			auth: {},
			params: { $$strict: true, ...listParams, year: optionalYear, from: optionalDate, to: optionalDate },
			async handler(this: LeaveThis, ctx: RosterContext<ListHolidaysParams>): Promise<ListResult<Holiday>> {
				const { year: y, from, to } = ctx.params;
				checkDate(from, "from");
				checkDate(to, "to");
				const range: Record<string, string> = y === undefined ? {} : yearBounds(y);
				if (from && (!range.$gte || from > range.$gte)) range.$gte = from;
				if (to && (!range.$lte || to < range.$lte)) range.$lte = to;
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (Object.keys(range).length > 0) query.date = range;
				const sort = parseSort(ctx.params.sort, ["date", "name"], "date");
				return paginate(this.store(HOLIDAYS), query, ctx.params, sort, holidayJSON);
			}
		},

		getHoliday: {
			rest: "GET /holidays/:id",
			openapi: { responses: { 200: json(Leave.Holiday) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<Holiday> {
				return holidayJSON(await findInTenant<HolidayDoc>(this.store(HOLIDAYS), requireUser(ctx).tenantId, ctx.params.id, "Holiday"));
			}
		},

		updateHoliday: {
			rest: "PATCH /holidays/:id",
			openapi: { responses: { 200: json(Leave.Holiday) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, date: optionalDate, name: { ...text(100), optional: true } },
			async handler(this: LeaveThis, ctx: RosterContext<UpdateHolidayParams>): Promise<Holiday> {
				const { tenantId } = requireUser(ctx);
				const { id: holidayId, ...changes } = ctx.params;
				checkDate(changes.date, "date");
				if (changes.date) checkLeaveYear(changes.date, "date");
				const before = await findInTenant<HolidayDoc>(this.store(HOLIDAYS), tenantId, holidayId, "Holiday");
				const set = { ...changes, updatedAt: now() };
				const updated: HolidayDoc = await this.unique("date", () =>
					this.store(HOLIDAYS).updateById(holidayId, updateWithEvent({ $set: set }, auditUpdate(ctx, "holiday", before, set)))
				);
				this.publishEvents(holidayId, HOLIDAYS);
				return this.saved(ctx, "updated", holidayJSON(updated));
			}
		},

		deleteHoliday: {
			rest: "DELETE /holidays/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: LeaveThis, ctx: RosterContext<IdParams>): Promise<null> {
				const holiday = await findInTenant<HolidayDoc>(this.store(HOLIDAYS), requireUser(ctx).tenantId, ctx.params.id, "Holiday");
				return removeAudited(this, ctx, this.store(HOLIDAYS), "holiday", holiday, holidayJSON(holiday));
			}
		}
	},

	methods: {
		async holidaysBetween(this: LeaveThis, tenantId: string, from: string, to: string): Promise<Set<string>> {
			const holidays: HolidayDoc[] = await this.store(HOLIDAYS).find({ query: { tenantId, date: { $gte: from, $lte: to } } });
			return new Set(holidays.map(h => h.date));
		}
	}
};
