/**
 * Employees: the employee aggregate (personal data and employment) and its history, one entry
 * per change with who made it and when. Staff see and run the whole tenant; a manager sees
 * the employees under them at any depth while their own employment is active (a terminated
 * manager is a plain employee to everyone else); everyone sees, and may update the contact
 * fields of, their own record. An employee outside the caller's view is answered 404, as if absent.
 */
import type { ServiceSchema } from "moleculer";
import { type PendingEvent, OUTBOX_INDEX, insertWithEvent, pendingEvent, updateWithEvent } from "../../lib/channels/outbox";
import { auditCreation, auditUpdate, onBehalfOf } from "../../lib/audit/record";
import { auditOutboxCollection, auditOutboxName, recordRemovals } from "../../lib/audit/removal";
import { containsPattern, findInTenant, findManyInTenant, now } from "../../lib/entity";
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError } from "../../lib/errors";
import {
	type Changes,
	HISTORY,
	HISTORY_TYPES,
	type HistoryDoc,
	type HistoryEntry,
	type HistoryType,
	changedValues,
	diffFields
} from "../../lib/employees/history";
import { type LoadManager, type ReportDepth, collectReports, isUnder, wouldCycle } from "../../lib/employees/hierarchy";
import {
	EMPLOYMENT_STATUSES,
	type Employee,
	type EmployeeDoc,
	type EmployeeFields,
	type EmploymentType,
	employeeJSON,
	listItemJSON,
	summaryJSON
} from "../../lib/employees/model";
import { ASSIGNED_NUMBER, formatAssignedNumber } from "../../lib/employees/numbers";
import { type HireParams, checkDates, employeeFields, employmentType, hireChanges, hireFields, hiredEmployee } from "../../lib/employees/params";
import { type SpellDoc, dayBefore, spellFields, stintSpell, stintsOf, transferSplit } from "../../lib/employees/spells";
import { namesOrgPlace, whileOrgHeld } from "../../lib/org/tree-hold";
import { withOwnedLease, withSharedLease } from "../../lib/store/shared-lease";
import {
	type Relation,
	checkEmploymentDate,
	checkHireDate,
	checkRehire,
	checkTerminate,
	checkTransfer,
	directRelation,
	mayManage,
	seesSensitive,
	staffOnlyFields,
	today
} from "../../lib/employees/rules";
import { type RosterContext, isStaff, requireUser } from "../../lib/meta";
import { EmployeeEvents, type EmployeeSummary, type EmploymentStatus, IdentityActions, OrgActions } from "../../lib/names";
import { type HeadcountRow, REPORT_SOURCE_CALLER_LIMIT } from "../../lib/names/reports";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../lib/pagination";
import { date, enumOf, id, nullableId, prose } from "../../lib/params";
import { type Role, STAFF_ROLES, canGrant } from "../../lib/roles";
import { isUniqueViolation } from "../../lib/store/types";
import { type CollectionSpec, type DbService, DbMixin } from "../../mixins/db.mixin";
import { type OutboxMethods, OutboxMixin } from "../../mixins/outbox.mixin";
import { type NamedEmployeeRow, withDisplayNames } from "./employees.parts/display-names";
import { HeadcountPart, SPELLS } from "./employees.parts/headcount";
import { HireManyPart } from "./employees.parts/hire-many";
import { ImportExportPart } from "./employees.parts/import-export";
import { json } from "../../lib/openapi/responses";
import { page } from "../../lib/openapi/schemas";
import * as Employees from "../../lib/openapi/contexts/employees";

// ---- Types -------------------------------------------------------------------------------

interface UpdateParams extends Partial<HireParams> {
	id: string;
}
interface TransferParams {
	id: string;
	departmentId?: string | null;
	positionId?: string | null;
	managerId?: string | null;
	effectiveDate?: string;
}
interface TerminateParams {
	id: string;
	date: string;
	reason: string;
}
interface RehireParams {
	id: string;
	date: string;
	employmentType?: EmploymentType;
	departmentId?: string | null;
	positionId?: string | null;
	managerId?: string | null;
}
interface ListEmployeesParams extends ListParams {
	search?: string;
	departmentId?: string;
	positionId?: string;
	managerId?: string;
	status?: EmploymentStatus;
	employmentType?: EmploymentType;
}
interface HistoryParams extends ListParams {
	id: string;
	type?: HistoryType;
}
interface ReportsParams extends ListParams {
	id: string;
	depth?: ReportDepth;
	status?: EmploymentStatus;
}
interface IdParams {
	id: string;
}
interface IdsParams {
	ids: string[];
}
interface ReportIdsParams {
	id: string;
	depth: ReportDepth;
}
interface SetUserParams {
	id: string;
	userId: string | null;
	expect: string | null;
}
interface IsManagerOfParams {
	managerId: string;
	employeeId: string;
}
interface CountInDepartmentParams {
	departmentId: string;
}
interface CountInPositionParams {
	positionId: string;
}

/** Reference and uniqueness checks look only at the fields a write is about to change. */
type Proposed = Partial<EmployeeFields>;

interface EmployeeMethods {
	hireEmployee(ctx: RosterContext, params: HireParams, employeeId: string): Promise<Employee>;
	hiredAs(ctx: RosterContext, employeeId: string): Promise<Employee | null>;
	findEmployee(ctx: RosterContext, employeeId: string): Promise<EmployeeDoc>;
	checkMayEndAccount(ctx: RosterContext, employee: EmployeeDoc): Promise<void>;
	findVisible(ctx: RosterContext, employeeId: string): Promise<{ employee: EmployeeDoc; relation: Relation }>;
	relationTo(ctx: RosterContext, employeeId: string): Promise<Relation>;
	activeManager(ctx: RosterContext): Promise<string | null>;
	employed(tenantId: string, employeeId: string): Promise<boolean>;
	visibleIds(ctx: RosterContext): Promise<string[] | null>;
	teamOf(ctx: RosterContext, employeeId: string, depth: ReportDepth): Promise<string[]>;
	managerLoader(tenantId: string): LoadManager;
	checkReferences(ctx: RosterContext, employee: EmployeeDoc | null, next: Proposed): Promise<void>;
	placementOn(employee: EmployeeDoc, day: string): Promise<Partial<EmployeeDoc>>;
	stillPlaceable(ctx: RosterContext, employee: EmployeeDoc, placement: Partial<EmployeeDoc>): Promise<Partial<EmployeeDoc>>;
	placing<T>(ctx: RosterContext, placed: Proposed | Proposed[], task: () => Promise<T>, opts?: { newcomer?: boolean }): Promise<T>;
	whileReportingHeld<T>(tenantId: string, task: () => Promise<T>, newcomer?: boolean): Promise<T>;
	checkTaken(tenantId: string, next: Proposed, selfId: string | null): Promise<void>;
	guarded<T>(tenantId: string, selfId: string, workEmail: string, write: () => Promise<T>): Promise<T>;
	insertHire(ctx: RosterContext, doc: EmployeeDoc, numbered: boolean, changesOf: (doc: EmployeeDoc) => Changes): Promise<void>;
	assignNumber(tenantId: string): Promise<string>;
	highestAssignedNumber(tenantId: string): Promise<number>;
	transition(ctx: RosterContext, employee: EmployeeDoc, from: EmploymentStatus, set: Partial<EmployeeDoc>, changes: Changes): Promise<EmployeeDoc>;
	changedEvent(employee: EmployeeDoc, changes: Changes): PendingEvent;
	recorded(ctx: RosterContext, employee: EmployeeDoc, type: HistoryType, changes: Changes, effectiveDate: string): Promise<void>;
	syncSpell(employee: EmployeeDoc, type: HistoryType, effectiveDate: string): Promise<void>;
	keepSpell(spell: SpellDoc): Promise<void>;
	stintSpells(employee: EmployeeDoc): Promise<SpellDoc[]>;
	spellsAround(employee: EmployeeDoc): Promise<{ stint: SpellDoc[]; before: SpellDoc | undefined }>;
	spellsOf(employee: EmployeeDoc): Promise<SpellDoc[]>;
	checkHireWithinStint(employee: EmployeeDoc, hireDate: string): Promise<void>;
}

type EmployeesThis = DbService & EmployeeMethods & OutboxMethods;

// ---- Helpers -----------------------------------------------------------------------------

const EMPLOYEES = "employees";
/** One document per tenant holding the last assigned employee number, bumped atomically. */
const COUNTERS = "employee_counters";
const LOCKS = "employee_locks";

const SORTABLE = ["firstName", "lastName", "employeeNumber", "workEmail", "hireDate", "status", "createdAt", "updatedAt"];
const DEFAULT_SORT = "lastName,firstName";
/** Tries at an assigned number when concurrent hires pick the same one. */
const NUMBER_ATTEMPTS = 5;

const status = { ...enumOf(EMPLOYMENT_STATUSES), optional: true } as const;
const depth = { type: "enum", values: ["direct", "all"] } as const;
const filterId = { ...id, optional: true } as const;

/** Directory search: every word must match the name, the work email or the employee number. */
function searchQuery(search: string): object[] {
	return search
		.split(/\s+/)
		.filter(Boolean)
		.map(word => {
			const pattern = containsPattern(word);
			return { $or: [{ firstName: pattern }, { lastName: pattern }, { workEmail: pattern }, { employeeNumber: pattern }] };
		});
}

/**
 * The directory's collection. Its indexes serve the list's filters, its default sort and newest
 * hires first, the headcount, and the search (test/integration/postgres-plans.spec.ts checks
 * that PostgreSQL uses them).
 */
export const EMPLOYEES_COLLECTION: CollectionSpec = {
	name: EMPLOYEES,
	strings: ["tenantId", "employeeNumber", "workEmail", "managerId", "departmentId", "status", "lastName", "firstName", "hireDate"],
	indexes: [
		{ fields: { tenantId: 1, employeeNumber: 1 }, unique: true },
		{ fields: { tenantId: 1, workEmail: 1 }, unique: true },
		{ fields: { tenantId: 1, managerId: 1 } },
		// The department filter; the count and the headcount (per department and status) from this index alone.
		{ fields: { tenantId: 1, departmentId: 1, status: 1 } },
		// The directory in its default order, and newest hires first, each with the id that breaks ties: a page without sorting.
		{ fields: { tenantId: 1, lastName: 1, firstName: 1, _id: 1 }, ordered: true },
		{ fields: { tenantId: 1, hireDate: -1, _id: 1 }, ordered: true },
		// Directory search: "contains" on every field it looks at (searchQuery).
		{ fields: { firstName: 1, lastName: 1, workEmail: 1, employeeNumber: 1 }, search: true },
		// Events not yet relayed (lib/channels/outbox.ts).
		OUTBOX_INDEX
	]
};

const historyJSON = ({ _id, tenantId: _tenant, ...rest }: HistoryDoc): HistoryEntry => ({ id: _id, ...rest });

/** A reference to org that org answers 404 for is the client's mistake: 422 naming the field. */
async function refersTo(field: string, lookup: Promise<unknown>): Promise<void> {
	try {
		await lookup;
	} catch (err) {
		if ((err as { type?: string } | null)?.type === "NOT_FOUND") {
			throw new BusinessRuleError(field, `The '${field}' field refers to nothing of this company.`, "reference");
		}
		throw err;
	}
}

/** False for a reference that breaks a rule (gone, left, a loop); any other failure stands. */
function refusedReference(err: unknown): false {
	if (err instanceof BusinessRuleError) return false;
	throw err;
}

// ---- Service -----------------------------------------------------------------------------

const EmployeesService: ServiceSchema = {
	name: "employees",

	mixins: [
		// Before DbMixin: Moleculer starts later mixins first, and the spells' start-up backfill
		// needs the collections DbMixin connects in its own `started`.
		HeadcountPart,
		DbMixin("employees", EMPLOYEES_COLLECTION, [
			{ name: HISTORY, indexes: [{ fields: { tenantId: 1, employeeId: 1 } }] },
			{ name: COUNTERS },
			{ name: LOCKS },
			{
				name: SPELLS,
				strings: ["tenantId", "employeeId", "start", "startMonth", "endMonth"],
				indexes: [
					{ fields: { tenantId: 1, employeeId: 1 } },
					// Headcount on a date reads the spells started by then; movements group by month.
					{ fields: { tenantId: 1, start: 1 }, ordered: true },
					{ fields: { tenantId: 1, startMonth: 1 }, ordered: true },
					{ fields: { tenantId: 1, endMonth: 1 }, ordered: true }
				]
			},
			auditOutboxCollection("employees")
		]),
		// Every write carries its employees.changed event in the same statement (lib/channels/outbox.ts);
		// the audit outbox carries the records of removals (lib/audit/removal.ts).
		OutboxMixin({ notes: [auditOutboxName("employees")] }),
		ImportExportPart,
		HireManyPart
	],

	settings: {
		rest: "/"
	},

	actions: {
		/** The directory: staff see the tenant, a manager themself and everyone under them, others themself. */
		list: {
			rest: "GET /employees",
			openapi: { responses: { 200: json(page(Employees.EmployeeListItem)) } },
			auth: {},
			params: {
				$$strict: true,
				...listParams,
				search: {
					type: "string",
					trim: true,
					min: 1,
					max: 100,
					optional: true,
					// Each word is one more condition on four fields: five bound the query, and a sixth would be ignored.
					pattern: String.raw`^\S+(\s+\S+){0,4}$`,
					messages: { stringPattern: "The 'search' field takes at most 5 words." }
				},
				departmentId: filterId,
				positionId: filterId,
				managerId: filterId,
				status,
				employmentType
			},
			async handler(this: EmployeesThis, ctx: RosterContext<ListEmployeesParams>): Promise<ListResult<NamedEmployeeRow>> {
				const { search, departmentId, positionId, managerId, status: wanted, employmentType: kind } = ctx.params;
				const sort = parseSort(ctx.params.sort, SORTABLE, DEFAULT_SORT);
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				const visible = await this.visibleIds(ctx);
				if (visible) query._id = { $in: visible };
				if (departmentId) query.departmentId = departmentId;
				if (positionId) query.positionId = positionId;
				if (managerId) query.managerId = managerId;
				if (wanted) query.status = wanted;
				if (kind) query.employmentType = kind;
				if (search) query.$and = searchQuery(search);
				return withDisplayNames(ctx, this.adapter, await paginate(this.adapter, query, ctx.params, sort, listItemJSON));
			}
		},

		/** One employee; the sensitive fields only for staff and the employee themself. */
		get: {
			rest: "GET /employees/:id",
			openapi: { responses: { 200: json(Employees.Employee) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: EmployeesThis, ctx: RosterContext<IdParams>): Promise<Employee> {
				const { employee, relation } = await this.findVisible(ctx, ctx.params.id);
				return employeeJSON(employee, seesSensitive(relation));
			}
		},

		/** Hire. Onboarding calls it too; the account link is identity's to make (setUser below). */
		hire: {
			rest: "POST /employees",
			openapi: { responses: { 201: json(Employees.Employee) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				...hireFields
			},
			handler(this: EmployeesThis, ctx: RosterContext<HireParams>): Promise<Employee> {
				return this.hireEmployee(ctx, ctx.params, this.newId());
			}
		},

		/**
		 * Onboarding's hire, under the id its saga chose before it ran: again with that id (a retry,
		 * or another node resuming the saga) it answers the same employee and hires no one else, so
		 * the saga can tell whether the hire happened. Internal only: the gateway publishes actions
		 * with a `rest` route, and a client must never choose an id.
		 */
		hireWithId: {
			visibility: "public",
			params: {
				$$strict: true,
				id,
				...hireFields
			},
			async handler(this: EmployeesThis, ctx: RosterContext<HireParams & IdParams>): Promise<Employee> {
				const { id: chosen, ...params } = ctx.params;
				const hired = await this.hiredAs(ctx, chosen);
				if (hired) return hired;
				try {
					return await this.hireEmployee(ctx, params, chosen);
				} catch (err) {
					// The same hire made meanwhile by a run that raced this one: its answer is ours.
					const raced = await this.hiredAs(ctx, chosen);
					if (raced) return raced;
					throw err;
				}
			}
		},

		/** Staff change any field; employees only their own contact fields (phone, homeAddress). */
		update: {
			rest: "PATCH /employees/:id",
			openapi: { responses: { 200: json(Employees.Employee) } },
			auth: {},
			params: { $$strict: true, id, ...employeeFields },
			async handler(this: EmployeesThis, ctx: RosterContext<UpdateParams>): Promise<Employee> {
				const { tenantId } = requireUser(ctx);
				const { id: employeeId, ...fields } = ctx.params;
				const { employee, relation } = await this.findVisible(ctx, employeeId);
				if (relation === "manager") throw new ForbiddenError("Only staff may change an employee's record");
				if (relation === "self") {
					const denied = staffOnlyFields(Object.keys(fields));
					if (denied.length > 0) throw new ForbiddenError("You may change only your contact fields (phone, homeAddress)", { fields: denied });
				}
				checkDates(fields);
				if (fields.hireDate) {
					checkHireDate(employee, fields.hireDate);
					await this.checkHireWithinStint(employee, fields.hireDate);
				}
				const set = changedValues<EmployeeFields>(employee, fields);
				if (Object.keys(set).length === 0) return employeeJSON(employee, seesSensitive(relation));
				const updated = await this.placing(ctx, set, async () => {
					await this.checkReferences(ctx, employee, set);
					await this.checkTaken(tenantId, set, employee._id);
					const changes = diffFields(employee, set);
					const written: EmployeeDoc = await this.guarded(tenantId, employee._id, set.workEmail ?? employee.workEmail, () =>
						this.adapter.updateById(
							employee._id,
							updateWithEvent(
								updateWithEvent({ $set: { ...set, updatedAt: now() } }, this.changedEvent(employee, changes)),
								auditUpdate(ctx, "employee", employee, set)
							)
						)
					);
					await this.recorded(ctx, written, "updated", changes, today());
					return written;
				});
				return employeeJSON(updated, seesSensitive(relation));
			}
		},

		/** A move to another department, position or manager, effective on a date (today by default). */
		transfer: {
			rest: "POST /employees/:id/transfer",
			openapi: { responses: { 200: json(Employees.Employee) } },
			auth: { roles: STAFF_ROLES },
			params: {
				$$strict: true,
				id,
				departmentId: nullableId,
				positionId: nullableId,
				managerId: nullableId,
				effectiveDate: { ...date, optional: true }
			},
			async handler(this: EmployeesThis, ctx: RosterContext<TransferParams>): Promise<Employee> {
				const { id: employeeId, effectiveDate = today(), ...moves } = ctx.params;
				const employee = await this.findEmployee(ctx, employeeId);
				checkEmploymentDate(effectiveDate, "effectiveDate");
				checkTransfer(employee, effectiveDate);
				const set = changedValues<EmployeeDoc>(employee, moves);
				if (Object.keys(set).length === 0) {
					throw new BusinessRuleError("departmentId", "A transfer must change the departmentId, the positionId or the managerId.", "noChange");
				}
				const updated = await this.placing(ctx, set, async () => {
					await this.checkReferences(ctx, employee, set);
					const changes = diffFields(employee, set);
					const moved = await this.transition(ctx, employee, "active", set, changes);
					await this.recorded(ctx, moved, "transferred", changes, effectiveDate);
					return moved;
				});
				return employeeJSON(updated, true);
			}
		},

		/**
		 * Ends the employment. Direct reports keep this manager until staff move them: refusing
		 * would block a termination on a reorganisation that HR may only do afterwards.
		 */
		terminate: {
			rest: "POST /employees/:id/terminate",
			openapi: { responses: { 200: json(Employees.Employee) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, date, reason: prose(500) },
			async handler(this: EmployeesThis, ctx: RosterContext<TerminateParams>): Promise<Employee> {
				const { id: employeeId, date: on, reason } = ctx.params;
				const employee = await this.findEmployee(ctx, employeeId);
				checkEmploymentDate(on, "date");
				checkTerminate(employee, on);
				await this.checkMayEndAccount(ctx, employee);
				// A transfer dated after the last day never takes effect: the record goes back to where the person was.
				const placement = await this.placementOn(employee, on);
				// In turn with the changes that put people under a manager: none is put under this one meanwhile.
				// With the org's tree held too when a department or position comes back, so it cannot go meanwhile.
				const updated = await whileOrgHeld(ctx, namesOrgPlace(placement), () =>
					this.whileReportingHeld(employee.tenantId, async () => {
						const set: Partial<EmployeeDoc> = {
							...(await this.stillPlaceable(ctx, employee, placement)),
							status: "terminated",
							terminationDate: on,
							terminationReason: reason
						};
						const changes = diffFields(employee, set);
						const ended = await this.transition(ctx, employee, "active", set, changes);
						await this.recorded(ctx, ended, "terminated", changes, on);
						return ended;
					})
				);
				return employeeJSON(updated, true);
			}
		},

		/** A terminated employee starts again on `date`, optionally in another place. */
		rehire: {
			rest: "POST /employees/:id/rehire",
			openapi: { responses: { 200: json(Employees.Employee) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, date, employmentType, departmentId: nullableId, positionId: nullableId, managerId: nullableId },
			async handler(this: EmployeesThis, ctx: RosterContext<RehireParams>): Promise<Employee> {
				const { id: employeeId, date: on, ...placement } = ctx.params;
				const employee = await this.findEmployee(ctx, employeeId);
				checkEmploymentDate(on, "date");
				checkRehire(employee, on);
				const set = changedValues<EmployeeDoc>(employee, {
					...placement,
					status: "active",
					hireDate: on,
					terminationDate: null,
					terminationReason: null
				});
				const updated = await this.placing(ctx, set, async () => {
					await this.checkReferences(ctx, employee, set);
					const changes = diffFields(employee, set);
					const rehired = await this.transition(ctx, employee, "terminated", set, changes);
					await this.recorded(ctx, rehired, "rehired", changes, on);
					return rehired;
				});
				return employeeJSON(updated, true);
			}
		},

		/** Every change to the employee, newest first by default: what changed, who changed it and when. */
		history: {
			rest: "GET /employees/:id/history",
			openapi: { responses: { 200: json(page(Employees.HistoryEntry)) } },
			auth: {},
			params: { $$strict: true, id, ...listParams, type: { ...enumOf(HISTORY_TYPES), optional: true } },
			async handler(this: EmployeesThis, ctx: RosterContext<HistoryParams>): Promise<ListResult<HistoryEntry>> {
				const { employee } = await this.findVisible(ctx, ctx.params.id);
				const sort = parseSort(ctx.params.sort, ["at", "effectiveDate", "type"], "-at");
				const query: Record<string, unknown> = { tenantId: employee.tenantId, employeeId: employee._id };
				if (ctx.params.type) query.type = ctx.params.type;
				return paginate(this.store(HISTORY), query, ctx.params, sort, historyJSON);
			}
		},

		/**
		 * The employee's reports in the list shape: direct ones, or with depth=all everyone under
		 * them. Only staff and managers see reports; an employee asking about themself gets none.
		 */
		reports: {
			rest: "GET /employees/:id/reports",
			openapi: { responses: { 200: json(page(Employees.EmployeeListItem)) } },
			auth: {},
			params: { $$strict: true, id, ...listParams, depth: { ...depth, optional: true }, status },
			async handler(this: EmployeesThis, ctx: RosterContext<ReportsParams>): Promise<ListResult<NamedEmployeeRow>> {
				const { employee, relation } = await this.findVisible(ctx, ctx.params.id);
				const sort = parseSort(ctx.params.sort, SORTABLE, DEFAULT_SORT);
				// Whoever sees a manager as staff or from above sees everyone under them too.
				const seesTeam = relation === "staff" || relation === "manager" || (relation === "self" && (await this.activeManager(ctx)) !== null);
				const ids = seesTeam ? await this.teamOf(ctx, employee._id, ctx.params.depth ?? "direct") : [];
				const query: Record<string, unknown> = { tenantId: employee.tenantId, _id: { $in: ids } };
				if (ctx.params.status) query.status = ctx.params.status;
				return withDisplayNames(ctx, this.adapter, await paginate(this.adapter, query, ctx.params, sort, listItemJSON));
			}
		},

		// ---- Internal ----

		/** Display data of employees of the caller's tenant, in one query; missing ids are left out. */
		summaries: {
			visibility: "public",
			readOnly: true,
			params: { ids: { type: "array", items: id, max: 1000 } },
			cache: { keys: ["ids", "#user.tenantId"] },
			async handler(this: EmployeesThis, ctx: RosterContext<IdsParams>): Promise<EmployeeSummary[]> {
				const docs = await findManyInTenant<EmployeeDoc>(this.adapter, requireUser(ctx).tenantId, ctx.params.ids);
				return docs.map(summaryJSON);
			}
		},

		/** Ids of the employee's direct reports, or of everyone under them; 404 for an unknown employee. */
		reportIds: {
			visibility: "public",
			readOnly: true,
			params: { id, depth },
			cache: { keys: ["id", "depth", "#user.tenantId"] },
			async handler(this: EmployeesThis, ctx: RosterContext<ReportIdsParams>): Promise<string[]> {
				const { tenantId } = requireUser(ctx);
				const employee = await this.findEmployee(ctx, ctx.params.id);
				return collectReports(employee._id, ctx.params.depth, async managerIds => {
					const docs: EmployeeDoc[] = await this.adapter.find({ query: { tenantId, managerId: { $in: managerIds } } });
					return docs.map(d => ({ id: d._id, managerId: d.managerId }));
				});
			}
		},

		/**
		 * Is `employeeId` under `managerId` at any depth, and is the manager still employed? A
		 * terminated manager manages nobody, though their reports keep them until staff move them
		 * (so a manager above them still manages those reports).
		 */
		isManagerOf: {
			visibility: "public",
			readOnly: true,
			params: { managerId: id, employeeId: id },
			cache: { keys: ["managerId", "employeeId", "#user.tenantId"] },
			async handler(this: EmployeesThis, ctx: RosterContext<IsManagerOfParams>): Promise<boolean> {
				const { tenantId } = requireUser(ctx);
				const { managerId, employeeId } = ctx.params;
				return (await this.employed(tenantId, managerId)) && isUnder(managerId, employeeId, this.managerLoader(tenantId));
			}
		},

		/**
		 * The caller's own employee id when they may act as a manager (the manager role and an
		 * active record of their own), null otherwise: the one check behind every power a manager
		 * has over others, in the leave and recruitment contexts as here.
		 */
		activeManager: {
			visibility: "public",
			readOnly: true,
			params: {},
			cache: { keys: ["#user.tenantId", "#user.employeeId", "#user.roles"] },
			handler(this: EmployeesThis, ctx: RosterContext): Promise<string | null> {
				return this.activeManager(ctx);
			}
		},

		/** How many employees, of any status, belong to the department (org refuses to delete it then). */
		countInDepartment: {
			visibility: "public",
			readOnly: true,
			params: { departmentId: id },
			cache: { keys: ["departmentId", "#user.tenantId"] },
			async handler(this: EmployeesThis, ctx: RosterContext<CountInDepartmentParams>): Promise<number> {
				return this.adapter.count({ query: { tenantId: requireUser(ctx).tenantId, departmentId: ctx.params.departmentId } });
			}
		},

		/**
		 * Each employment of the employee, from the spells: one begins at each hire or rehire and
		 * ends with the last day of its last spell (null while it lasts). Leave of an employment
		 * before a rehire is still leave of that one (leave's checkEmployment).
		 */
		employmentPeriods: {
			visibility: "public",
			readOnly: true,
			params: { id },
			async handler(this: EmployeesThis, ctx: RosterContext<IdParams>): Promise<Array<{ hireDate: string; terminationDate: string | null }>> {
				const stints = stintsOf(await this.spellsOf(await this.findEmployee(ctx, ctx.params.id)));
				return stints.map(stint => ({ hireDate: stint[0].start, terminationDate: stint[stint.length - 1].end }));
			}
		},

		/** How many employees, of any status, hold the position (org refuses to delete it then). */
		countInPosition: {
			visibility: "public",
			readOnly: true,
			params: { positionId: id },
			cache: { keys: ["positionId", "#user.tenantId"] },
			async handler(this: EmployeesThis, ctx: RosterContext<CountInPositionParams>): Promise<number> {
				return this.adapter.count({ query: { tenantId: requireUser(ctx).tenantId, positionId: ctx.params.positionId } });
			}
		},

		/** The reports service's input: employees per department and status, counted by the database. */
		headcount: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: {},
			async handler(this: EmployeesThis, ctx: RosterContext): Promise<HeadcountRow[]> {
				const groups = await this.adapter.countBy({ tenantId: requireUser(ctx).tenantId }, ["departmentId", "status"]);
				return groups.map(group => ({
					departmentId: group.departmentId as string | null,
					status: group.status as EmploymentStatus,
					count: group.count
				}));
			}
		},

		/**
		 * The employee's side of the link to a user account. Identity owns the link (one account
		 * per employee, never one's own) and writes this side after its own; `expect` is the
		 * account it believes is linked now, so two links racing cannot both land here.
		 */
		setUser: {
			visibility: "public",
			params: { id, userId: { ...id, nullable: true }, expect: { ...id, nullable: true } },
			async handler(this: EmployeesThis, ctx: RosterContext<SetUserParams>): Promise<Employee> {
				const { id: employeeId, userId, expect } = ctx.params;
				const employee = await this.findEmployee(ctx, employeeId);
				if (employee.userId === userId) return employeeJSON(employee, true);
				const changes = diffFields(employee, { userId });
				const changed = await this.adapter.updateMany(
					{ _id: employee._id, tenantId: employee.tenantId, userId: expect },
					updateWithEvent(
						updateWithEvent({ $set: { userId, updatedAt: now() } }, this.changedEvent(employee, changes)),
						auditUpdate(ctx, "employee", employee, { userId })
					)
				);
				if (changed !== 1) throw new ConflictError("The employee's account link changed meanwhile; reload and try again", { field: "employeeId" });
				const updated: EmployeeDoc = await this.adapter.findById(employee._id);
				await this.recorded(ctx, updated, "updated", changes, today());
				return employeeJSON(updated, true);
			}
		},

		/** Onboarding's compensation when a later step of a hire fails: the employee and its history never happened. */
		undoHire: {
			visibility: "public",
			params: { id },
			async handler(this: EmployeesThis, ctx: RosterContext<IdParams>): Promise<{ removed: boolean }> {
				const { tenantId } = requireUser(ctx);
				const employee: EmployeeDoc | null = await this.adapter.findOne({ _id: ctx.params.id, tenantId });
				if (!employee) return { removed: false };
				// The saga undoes it for the staff member whose onboarding failed (lib/audit/record.ts onBehalfOf).
				await recordRemovals(this, onBehalfOf(ctx, "onboarding.undoHire"), "employee", [employee]);
				await this.store(HISTORY).removeMany({ tenantId, employeeId: employee._id });
				await this.store(SPELLS).removeMany({ tenantId, employeeId: employee._id });
				await this.adapter.removeById(employee._id);
				await this.entityChanged("removed", listItemJSON(employee), ctx);
				return { removed: true };
			}
		}
	},

	methods: {
		/** A hire under `employeeId`: the record, its history entry, its event. */
		async hireEmployee(this: EmployeesThis, ctx: RosterContext, p: HireParams, employeeId: string): Promise<Employee> {
			const { tenantId } = requireUser(ctx);
			checkDates(p);
			const doc = hiredEmployee(tenantId, employeeId, p, now());
			const numbered = p.employeeNumber !== undefined;
			await this.placing(
				ctx,
				doc,
				async () => {
					await this.checkReferences(ctx, null, doc);
					// An assigned number is left empty until insertHire picks it, so nothing is checked for it here.
					await this.checkTaken(tenantId, doc, null);
					await this.insertHire(ctx, doc, numbered, hireChanges);
					await this.recorded(ctx, doc, "hired", hireChanges(doc), doc.hireDate);
				},
				{ newcomer: true }
			);
			ctx.meta.$statusCode = 201;
			ctx.meta.$location = `/api/v1/employees/${doc._id}`;
			return employeeJSON(doc, true);
		},

		/**
		 * The employee onboarding already hired under `employeeId`, or null. A run that died between
		 * the record and its history entry left no entry: it is written now, once.
		 */
		async hiredAs(this: EmployeesThis, ctx: RosterContext, employeeId: string): Promise<Employee | null> {
			const { tenantId } = requireUser(ctx);
			const employee: EmployeeDoc | null = await this.adapter.findOne({ _id: employeeId, tenantId });
			if (!employee) return null;
			if ((await this.store(HISTORY).count({ query: { tenantId, employeeId, type: "hired" } })) === 0) {
				await this.recorded(ctx, employee, "hired", hireChanges(employee), employee.hireDate);
			}
			return employeeJSON(employee, true);
		},

		/**
		 * Ending an employment disables the account linked to it (identity follows employees.changed),
		 * so it is refused to staff who may not disable that account themselves: their own, or one
		 * whose role is above their own. Otherwise hr could lock out the company's admins and owners
		 * this way.
		 */
		async checkMayEndAccount(this: EmployeesThis, ctx: RosterContext, employee: EmployeeDoc): Promise<void> {
			if (!employee.userId) return;
			const actor = requireUser(ctx);
			// As no one may disable themselves: the company's last owner could lock everyone out so.
			if (employee.userId === actor.id) {
				throw new ConflictError("You cannot terminate your own employee record: it would disable your own account", { field: "id" });
			}
			const account = await ctx
				.call<{ role: Role }, { id: string }>(IdentityActions.getUser, { id: employee.userId })
				.catch((err: { code?: number }) => (err.code === 404 ? null : Promise.reject(err)));
			if (account && !canGrant(actor.roles[0], account.role)) {
				throw new ForbiddenError(`You cannot terminate the employee of a user with the role '${account.role}'`);
			}
		},

		/** An employee of the caller's tenant, whoever the caller is (staff actions and internal use). */
		async findEmployee(this: EmployeesThis, ctx: RosterContext, employeeId: string): Promise<EmployeeDoc> {
			return findInTenant<EmployeeDoc>(this.adapter, requireUser(ctx).tenantId, employeeId, "Employee");
		},

		/** An employee the caller may see; one outside their view is as absent as a missing one. */
		async findVisible(this: EmployeesThis, ctx: RosterContext, employeeId: string) {
			const employee = await this.findEmployee(ctx, employeeId);
			const relation = await this.relationTo(ctx, employee._id);
			if (relation === "none") throw new NotFoundError("Employee", employeeId);
			return { employee, relation };
		},

		async relationTo(this: EmployeesThis, ctx: RosterContext, employeeId: string): Promise<Relation> {
			const actor = requireUser(ctx);
			const known = directRelation(actor, employeeId);
			if (known) return known;
			const manager = await this.activeManager(ctx);
			return manager && (await isUnder(manager, employeeId, this.managerLoader(actor.tenantId))) ? "manager" : "none";
		},

		/** The caller's own employee id when they may see a team: the manager role and an active record. */
		async activeManager(this: EmployeesThis, ctx: RosterContext): Promise<string | null> {
			const actor = requireUser(ctx);
			if (!mayManage(actor)) return null;
			return (await this.employed(actor.tenantId, actor.employeeId)) ? actor.employeeId : null;
		},

		/** An employee of the tenant whose employment is active (a missing one is not). */
		async employed(this: EmployeesThis, tenantId: string, employeeId: string): Promise<boolean> {
			return (await this.adapter.count({ query: { _id: employeeId, tenantId, status: "active" } })) > 0;
		},

		/** The ids the caller may see in lists, or null for the whole tenant (staff). */
		async visibleIds(this: EmployeesThis, ctx: RosterContext): Promise<string[] | null> {
			const actor = requireUser(ctx);
			if (isStaff(actor)) return null;
			const manager = await this.activeManager(ctx);
			if (manager) return [manager, ...(await this.teamOf(ctx, manager, "all"))];
			return actor.employeeId ? [actor.employeeId] : [];
		},

		/** Through the action, so the walk is served from the cache that every write cleans. */
		async teamOf(this: EmployeesThis, ctx: RosterContext, employeeId: string, reportDepth: ReportDepth): Promise<string[]> {
			return this.actions.reportIds({ id: employeeId, depth: reportDepth }, { parentCtx: ctx });
		},

		managerLoader(this: EmployeesThis, tenantId: string): LoadManager {
			return async employeeId => {
				const doc: EmployeeDoc | null = await this.adapter.findOne({ _id: employeeId, tenantId });
				return doc?.managerId ?? null;
			};
		},

		/**
		 * The reference checks and the write of a change that places an employee: with the org's tree
		 * held when it names a department or position (lib/org/tree-hold.ts), and in turn with the
		 * company's other changes of reporting lines when it names a manager (`newcomer`: alongside them).
		 */
		placing<T>(this: EmployeesThis, ctx: RosterContext, placed: Proposed | Proposed[], task: () => Promise<T>, { newcomer = false } = {}): Promise<T> {
			const { tenantId } = requireUser(ctx);
			const all = Array.isArray(placed) ? placed : [placed];
			const managed = all.some(fields => fields.managerId);
			return whileOrgHeld(ctx, all.some(namesOrgPlace), () => (managed ? this.whileReportingHeld(tenantId, task, newcomer) : task()));
		},

		/**
		 * Changes of a company's reporting lines, one at a time across nodes (a lease): each checks for
		 * a loop on the lines as they stand, so two at once could each pass and together close one (p
		 * under q, q under r, r under p, each alone fine). A termination takes its turn too, so no one is
		 * put under a manager who is leaving meanwhile. A newcomer, whom no one reports to yet, closes no
		 * loop: their hires share the lease, and wait only for those changes.
		 */
		whileReportingHeld<T>(this: EmployeesThis, tenantId: string, task: () => Promise<T>, newcomer = false): Promise<T> {
			return (newcomer ? withSharedLease : withOwnedLease)(this.store(LOCKS), `reportingLines:${tenantId}`, task);
		},

		/**
		 * The department, position and manager the employee held on `day`, where the record already
		 * shows a transfer of this stint dated after it: each such transfer undone, latest first.
		 * Only the fields that differ from the record; none when no transfer is pending after `day`.
		 */
		async placementOn(this: EmployeesThis, employee: EmployeeDoc, day: string): Promise<Partial<EmployeeDoc>> {
			const key = { tenantId: employee.tenantId, employeeId: employee._id };
			const entries: HistoryDoc[] = await this.store(HISTORY).find({ query: key, sort: ["-at"] });
			const stintStart = entries.find(e => e.type === "hired" || e.type === "rehired")?.at ?? "";
			const placement: Record<string, unknown> = {};
			for (const entry of entries) {
				if (entry.at < stintStart) break;
				if (entry.type !== "transferred" || entry.effectiveDate <= day) continue;
				for (const field of ["departmentId", "positionId", "managerId"] as const) {
					const change = entry.changes[field];
					if (change && "from" in change) placement[field] = change.from ?? null;
				}
			}
			return changedValues<EmployeeDoc>(employee, placement as Partial<EmployeeDoc>);
		},

		/**
		 * Of a place to go back to, what still passes the checks a transfer's would: a department or
		 * position deleted since, or a manager who has left since (or would close a loop now), is
		 * none (null) rather than a reference to nothing, and never a reason to refuse the termination.
		 */
		async stillPlaceable(this: EmployeesThis, ctx: RosterContext, employee: EmployeeDoc, placement: Partial<EmployeeDoc>): Promise<Partial<EmployeeDoc>> {
			const kept: Partial<EmployeeDoc> = {};
			for (const field of ["departmentId", "positionId", "managerId"] as const) {
				if (!(field in placement)) continue;
				const value = placement[field] ?? null;
				kept[field] = value && (await this.checkReferences(ctx, employee, { [field]: value }).then(() => true, refusedReference)) ? value : null;
			}
			return kept;
		},

		/**
		 * Department and position must exist in the tenant's org; a manager must be an active
		 * employee who is neither the employee nor anyone under them. Only changed values are checked.
		 */
		async checkReferences(this: EmployeesThis, ctx: RosterContext, employee: EmployeeDoc | null, next: Proposed): Promise<void> {
			const { tenantId } = requireUser(ctx);
			if (next.departmentId) await refersTo("departmentId", ctx.call(OrgActions.getDepartment, { id: next.departmentId }));
			if (next.positionId) await refersTo("positionId", ctx.call(OrgActions.getPosition, { id: next.positionId }));
			if (!next.managerId) return;
			if (employee && (await wouldCycle(employee._id, next.managerId, this.managerLoader(tenantId)))) {
				throw new BusinessRuleError("managerId", "An employee cannot be managed by themself or by anyone who reports to them.", "cycle");
			}
			if (!(await this.employed(tenantId, next.managerId)))
				throw new BusinessRuleError("managerId", "The 'managerId' field refers to no active employee of this company.", "reference");
		},

		/** 409 naming the field when another employee of the tenant already has this email, number or user. */
		async checkTaken(this: EmployeesThis, tenantId: string, next: Proposed, selfId: string | null): Promise<void> {
			const others = selfId ? { _id: { $ne: selfId } } : {};
			for (const field of ["workEmail", "employeeNumber"] as const) {
				const value = next[field];
				if (!value) continue;
				if ((await this.adapter.count({ query: { tenantId, [field]: value, ...others } })) > 0) {
					throw new ConflictError(`${field} is already taken`, { field });
				}
			}
		},

		/** A write that may lose a race for a unique email or number: the 409 names the field that clashed. */
		async guarded<T>(this: EmployeesThis, tenantId: string, selfId: string, workEmail: string, write: () => Promise<T>): Promise<T> {
			try {
				return await this.unique("employeeNumber", write);
			} catch (err) {
				if (!(err instanceof ConflictError)) throw err;
				const emailTaken = await this.adapter.count({ query: { tenantId, workEmail, _id: { $ne: selfId } } });
				throw emailTaken > 0 ? new ConflictError("workEmail is already taken", { field: "workEmail" }) : err;
			}
		},

		/**
		 * The next assigned number, from a per-tenant counter incremented in one atomic update, so
		 * parallel hires never draw the same one. The counter starts from the highest assigned
		 * number already stored (a number typed in by hand may still collide: insertHire retries).
		 */
		async assignNumber(this: EmployeesThis, tenantId: string): Promise<string> {
			const counters = this.store(COUNTERS);
			if (!(await counters.findById(tenantId))) {
				// Two first hires may both try to create it: the loser's insert fails, and both go on.
				await counters.insert({ _id: tenantId, last: await this.highestAssignedNumber(tenantId) }).catch(() => undefined);
			}
			const counter: { last: number } = await counters.updateById(tenantId, { $inc: { last: 1 } });
			return formatAssignedNumber(counter.last);
		},

		/** The highest number of the assigned kind stored for the tenant, typed in by hand or not (0 for none). */
		async highestAssignedNumber(this: EmployeesThis, tenantId: string): Promise<number> {
			const [highest]: EmployeeDoc[] = await this.adapter.find({
				query: { tenantId, employeeNumber: ASSIGNED_NUMBER },
				sort: ["-employeeNumber"],
				limit: 1
			});
			return highest ? Number(highest.employeeNumber.slice(1)) : 0;
		},

		/** Inserts a hire, with its event; without a given number it takes the next free assigned one. */
		async insertHire(
			this: EmployeesThis,
			ctx: RosterContext,
			doc: EmployeeDoc,
			numbered: boolean,
			changesOf: (doc: EmployeeDoc) => Changes
		): Promise<void> {
			for (let attempt = 1; ; attempt++) {
				if (!numbered) doc.employeeNumber = await this.assignNumber(doc.tenantId);
				try {
					await this.guarded(doc.tenantId, doc._id, doc.workEmail, () =>
						this.adapter.insert(insertWithEvent(insertWithEvent(doc, this.changedEvent(doc, changesOf(doc))), auditCreation(ctx, "employee", doc)))
					);
					return;
				} catch (err) {
					const raced = !numbered && attempt < NUMBER_ATTEMPTS && (err as ConflictError).data?.field === "employeeNumber";
					if (!raced) throw err;
					// Taken by hand: the counter jumps past every such number at once, not one per attempt.
					const highest = await this.highestAssignedNumber(doc.tenantId);
					await this.store(COUNTERS).updateMany({ _id: doc.tenantId, last: { $lt: highest } }, { $set: { last: highest } });
				}
			}
		},

		/** A status-changing write, with its event, that happens only if nobody changed the status meanwhile. */
		async transition(
			this: EmployeesThis,
			ctx: RosterContext,
			employee: EmployeeDoc,
			from: EmploymentStatus,
			set: Partial<EmployeeDoc>,
			changes: Changes
		): Promise<EmployeeDoc> {
			const changed = await this.adapter.updateMany(
				{ _id: employee._id, tenantId: employee.tenantId, status: from },
				updateWithEvent(
					updateWithEvent({ $set: { ...set, updatedAt: now() } }, this.changedEvent(employee, changes)),
					auditUpdate(ctx, "employee", employee, set)
				)
			);
			if (changed !== 1) throw new ConflictError("The employee was changed meanwhile; reload and try again");
			return this.adapter.findById(employee._id);
		},

		/** The employees.changed event a write carries in its own statement (the outbox). */
		changedEvent(employee: EmployeeDoc, changes: Changes): PendingEvent {
			return pendingEvent(EmployeeEvents.changed, employee.tenantId, { employeeId: employee._id, changes });
		},

		/**
		 * After every write: the history entry (who and when), the spell, cache cleaning on every
		 * node, and then its event goes out (it is already stored with the change): a consumer that
		 * reads the employee back (leave, when an employment ends) finds the change, not a cached answer.
		 */
		async recorded(
			this: EmployeesThis,
			ctx: RosterContext,
			employee: EmployeeDoc,
			type: HistoryType,
			changes: Changes,
			effectiveDate: string
		): Promise<void> {
			const actor = requireUser(ctx);
			const entry: HistoryDoc = {
				_id: this.newId(),
				tenantId: employee.tenantId,
				employeeId: employee._id,
				type,
				changes,
				effectiveDate,
				by: actor.id,
				at: now()
			};
			await this.store(HISTORY).insert(entry);
			// Before the cache is cleaned, so the first report read after this write counts it.
			await this.syncSpell(employee, type, effectiveDate);
			await this.entityChanged(type === "hired" ? "created" : "updated", listItemJSON(employee), ctx);
			this.publishEvents(employee._id);
		},

		/**
		 * The employment spell the record describes, made to match it: a hire or rehire opens one
		 * (closing any spell still marked current); a transfer to another department dated within
		 * the open spell splits it there (lib/employees/spells.ts); every other change rewrites the
		 * open spell. An employee with no spell yet (stored before spells existed) gets one from the record.
		 */
		async syncSpell(this: EmployeesThis, employee: EmployeeDoc, type: HistoryType, effectiveDate: string): Promise<void> {
			const spells = this.store(SPELLS);
			const key = { tenantId: employee.tenantId, employeeId: employee._id };
			const firstSpell = stintSpell(employee);
			if (type === "hired" || type === "rehired") {
				// A hire's spell id is its own (hiredAs may finish the hire twice); a rehire is never redone, and its spell
				// needs a new id: an earlier stint's id holds its hire date as first recorded, which a rehire may meet again.
				const opened = type === "hired" ? firstSpell : { ...firstSpell, _id: this.newId() };
				await spells.updateMany({ ...key, current: true, _id: { $ne: opened._id } }, { $set: { current: false } });
				return this.keepSpell(opened);
			}
			const open: SpellDoc[] = await spells.find({ query: { ...key, current: true }, sort: ["start"] });
			const current = open.at(-1);
			if (!current) return this.keepSpell(firstSpell);
			// A split that a crash left half done (both parts open): the later one holds from its start.
			for (const stale of open.slice(0, -1)) {
				const end = dayBefore(current.start);
				await spells.updateMany({ _id: stale._id, current: true }, { $set: { end, endMonth: end.slice(0, 7), transferOut: true, current: false } });
			}
			const split = type === "transferred" ? transferSplit(employee, current, effectiveDate) : null;
			if (split) {
				// The new part first: a crash between the two writes leaves both open, which the next write mends (above).
				await this.keepSpell(split.open);
				await spells.updateMany({ _id: current._id, current: true }, { $set: split.close });
				return;
			}
			const { start, startMonth, ...rest } = spellFields(employee);
			if (!current.transferIn) {
				await spells.updateMany({ _id: current._id }, { $set: { start, startMonth, ...rest } });
				return;
			}
			// The open spell began with a transfer: the stint's earlier spells may need the change too.
			const stint = await this.stintSpells(employee);
			const ended = employee.terminationDate;
			if (ended && ended < current.start) {
				// Terminated before a transfer dated ahead took effect: the stint ends in the spell holding that
				// day, where the person still was, and the later ones never happened.
				const last = stint.filter(spell => spell.start <= ended).at(-1)!;
				await spells.updateMany({ _id: last._id }, { $set: { end: ended, endMonth: ended.slice(0, 7), transferOut: false, current: true } });
				for (const never of stint.filter(spell => spell.start > ended)) await spells.removeById(never._id);
				return;
			}
			await spells.updateMany({ _id: current._id }, { $set: rest });
			// The hire date is the start of the stint's first spell.
			if (stint[0].start !== start) await spells.updateMany({ _id: stint[0]._id }, { $set: { start, startMonth } });
		},

		/**
		 * A corrected hire date stays within its stint: before the stint's first transfer to another
		 * department, which it started, and after the end of the employment before it (a rehire's).
		 */
		async checkHireWithinStint(this: EmployeesThis, employee: EmployeeDoc, hireDate: string): Promise<void> {
			const { stint, before } = await this.spellsAround(employee);
			const transferred = stint[1];
			if (transferred && hireDate >= transferred.start) {
				throw new BusinessRuleError("hireDate", `The 'hireDate' field must be before the transfer of ${transferred.start}.`, "dateOrder");
			}
			if (before?.end && hireDate <= before.end) {
				throw new BusinessRuleError("hireDate", `The 'hireDate' field must be after the end of the employment before (${before.end}).`, "dateOrder");
			}
		},

		/** The spells of the employee's current stint, in order: from the last one a hire or rehire opened. */
		async stintSpells(this: EmployeesThis, employee: EmployeeDoc): Promise<SpellDoc[]> {
			return (await this.spellsAround(employee)).stint;
		},

		/** The current stint's spells, and the last spell of the stint before it, if any. */
		async spellsAround(this: EmployeesThis, employee: EmployeeDoc): Promise<{ stint: SpellDoc[]; before: SpellDoc | undefined }> {
			const stints = stintsOf(await this.spellsOf(employee));
			return { stint: stints.at(-1) ?? [], before: stints.at(-2)?.at(-1) };
		},

		/** Every spell of the employee, in order of start. */
		spellsOf(this: EmployeesThis, employee: EmployeeDoc): Promise<SpellDoc[]> {
			return this.store(SPELLS).find({ query: { tenantId: employee.tenantId, employeeId: employee._id }, sort: ["start"] });
		},

		/** Stores the spell; the same one stored again (a retry, a resumed saga) is brought up to date instead. */
		async keepSpell(this: EmployeesThis, spell: SpellDoc): Promise<void> {
			const spells = this.store(SPELLS);
			try {
				await spells.insert(spell);
			} catch (err) {
				if (!isUniqueViolation(err)) throw err;
				const { _id, ...fields } = spell;
				await spells.updateById(_id, { $set: fields });
			}
		}
	}
};

export default EmployeesService;
