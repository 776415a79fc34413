/**
 * Org: the tenant's department tree (the aggregate root), its positions (job titles) and its
 * locations. Everyone in the tenant may read the structure; only staff change it.
 */
import type { ServiceSchema } from "moleculer";
import { type TenantDoc, containsPattern, findInTenant, findManyInTenant, now, requireReference, toJSON } from "../../lib/entity";
import { BusinessRuleError, ConflictError, UnprocessableError } from "../../lib/errors";
import { type RosterContext, created, requireUser } from "../../lib/meta";
import { EmployeeActions, type EmployeeSummary } from "../../lib/names/employees";
import type { Department, Location, OrgDirectory, OrgNames, Position } from "../../lib/names/org";
import { RecruitmentActions } from "../../lib/names/recruitment";
import { nest, wouldCycle } from "../../lib/org/tree";
import { type ListParams, type ListResult, listParams, paginate, parseSort } from "../../lib/pagination";
import { id, nullableId, optionalText, text, nullableProse } from "../../lib/params";
import { STAFF_ROLES } from "../../lib/roles";
import { auditCreation, auditUpdate } from "../../lib/audit/record";
import { auditOutboxCollection, auditOutboxName, removeAudited } from "../../lib/audit/removal";
import { OUTBOX_INDEX, insertWithEvent, updateWithEvent } from "../../lib/channels/outbox";
import { claimShared, releaseShared, withOwnedLease } from "../../lib/store/shared-lease";
import { isUniqueViolation } from "../../lib/store/types";
import { type DbService, DbMixin } from "../../mixins/db.mixin";
import { type OutboxMethods, OutboxMixin } from "../../mixins/outbox.mixin";
import { json, noContent } from "../../lib/openapi/responses";
import { page } from "../../lib/openapi/schemas";
import * as Org from "../../lib/openapi/contexts/org";

// ---- Types -------------------------------------------------------------------------------

interface IdParams {
	id: string;
}
interface IdsParams {
	ids: string[];
}
interface CreateDepartmentParams {
	name: string;
	parentId?: string | null;
	managerId?: string | null;
	locationId?: string | null;
}
interface UpdateDepartmentParams {
	id: string;
	name?: string;
	managerId?: string | null;
	locationId?: string | null;
}
interface MoveDepartmentParams {
	id: string;
	parentId: string | null;
}
interface ListDepartmentsParams extends ListParams {
	parentId?: string;
	search?: string;
}
interface CreatePositionParams {
	title: string;
	departmentId?: string | null;
}
interface UpdatePositionParams {
	id: string;
	title?: string;
	departmentId?: string | null;
}
interface ListPositionsParams extends ListParams {
	departmentId?: string;
	search?: string;
}
interface CreateLocationParams {
	name: string;
	address?: string | null;
	country?: string | null;
	timezone?: string | null;
}
interface UpdateLocationParams extends Partial<CreateLocationParams> {
	id: string;
}
interface ListLocationsParams extends ListParams {
	search?: string;
}

type DepartmentDoc = TenantDoc & Omit<Department, "id">;
type PositionDoc = TenantDoc & Omit<Position, "id">;
type LocationDoc = TenantDoc & Omit<Location, "id">;

interface OrgMethods {
	checkManager(ctx: RosterContext, managerId: string | null | undefined): Promise<void>;
	checkLocation(tenantId: string, locationId: string | null | undefined): Promise<void>;
	checkDepartment(tenantId: string, departmentId: string | null | undefined, field: string): Promise<void>;
	reshapeTree<T>(tenantId: string, change: () => Promise<T>): Promise<T>;
	keepRemoved(dept: DepartmentDoc): Promise<void>;
}

type OrgThis = DbService & OrgMethods & OutboxMethods;

// ---- Helpers -----------------------------------------------------------------------------

const DEPARTMENTS = "departments";
/** Each deleted department as it was last, so reports of the past still name it (spells keep its id). */
const REMOVED_DEPARTMENTS = "departments_removed";
const POSITIONS = "positions";
const LOCATIONS = "locations";
const LOCKS = "org_locks";
const HOLD_WAIT_MS = 4000;

const treeKey = (tenantId: string) => `departmentTree:${tenantId}`;

const country = {
	type: "string",
	pattern: "^[A-Z]{2}$",
	optional: true,
	nullable: true,
	messages: { stringPattern: "The '{field}' field must be an ISO 3166 country code such as DE." }
} as const;
const timezone = { type: "string", min: 1, max: 64, optional: true, nullable: true } as const;

function checkTimezone(value: string | null | undefined): void {
	if (!value) return;
	try {
		new Intl.DateTimeFormat("en", { timeZone: value });
	} catch {
		throw new UnprocessableError("timezone", "The 'timezone' field must be an IANA time zone such as Europe/Berlin.", "timezone");
	}
}

const departmentJSON = (doc: DepartmentDoc) => toJSON(doc) as unknown as Department;
const positionJSON = (doc: PositionDoc) => toJSON(doc) as unknown as Position;
const locationJSON = (doc: LocationDoc) => toJSON(doc) as unknown as Location;

// ---- Service -----------------------------------------------------------------------------

const OrgService: ServiceSchema = {
	name: "org",

	mixins: [
		// Every collection carries the audit records of its writes in its outbox (lib/audit/record.ts).
		DbMixin("org", { name: DEPARTMENTS, indexes: [{ fields: { tenantId: 1, parentId: 1, name: 1 }, unique: true }, OUTBOX_INDEX] }, [
			{ name: POSITIONS, indexes: [{ fields: { tenantId: 1, title: 1 }, unique: true }, OUTBOX_INDEX] },
			{ name: LOCATIONS, indexes: [{ fields: { tenantId: 1, name: 1 }, unique: true }, OUTBOX_INDEX] },
			{ name: LOCKS },
			{ name: REMOVED_DEPARTMENTS, indexes: [{ fields: { tenantId: 1 } }] },
			auditOutboxCollection("org")
		]),
		OutboxMixin({ collections: [POSITIONS, LOCATIONS], notes: [auditOutboxName("org")] })
	],

	settings: {
		rest: "/"
	},

	actions: {
		// ---- Departments ----

		createDepartment: {
			rest: "POST /departments",
			openapi: { responses: { 201: json(Org.Department) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, name: text(), parentId: nullableId, managerId: nullableId, locationId: nullableId },
			async handler(this: OrgThis, ctx: RosterContext<CreateDepartmentParams>): Promise<Department> {
				const { tenantId } = requireUser(ctx);
				const { name, parentId = null, managerId = null, locationId = null } = ctx.params;
				await this.checkManager(ctx, managerId);
				const at = now();
				const doc: DepartmentDoc = { _id: this.newId(), tenantId, name, parentId, managerId, locationId, createdAt: at, updatedAt: at };
				const insert = async () => {
					await this.checkLocation(tenantId, locationId);
					await this.checkDepartment(tenantId, parentId, "parentId");
					await this.unique("name", () => this.adapter.insert(insertWithEvent(doc, auditCreation(ctx, "department", doc))));
				};
				// Under a parent or at a location, with the tree held: neither can be deleted meanwhile.
				await (parentId || locationId ? this.reshapeTree(tenantId, insert) : insert());
				this.publishEvents(doc._id);
				created(ctx, `/api/v1/departments/${doc._id}`);
				return this.saved(ctx, "created", departmentJSON(doc));
			}
		},

		listDepartments: {
			rest: "GET /departments",
			openapi: { responses: { 200: json(page(Org.Department)) } },
			auth: {},
			params: { $$strict: true, ...listParams, parentId: { ...id, optional: true }, search: optionalText(100) },
			async handler(this: OrgThis, ctx: RosterContext<ListDepartmentsParams>): Promise<ListResult<Department>> {
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (ctx.params.parentId) query.parentId = ctx.params.parentId;
				if (ctx.params.search) query.name = containsPattern(ctx.params.search);
				const sort = parseSort(ctx.params.sort, ["name", "createdAt"], "name");
				return paginate(this.adapter, query, ctx.params, sort, departmentJSON);
			}
		},

		departmentTree: {
			rest: "GET /departments/tree",
			openapi: { responses: { 200: json(Org.DepartmentTree, "Every department, nested under its parent") } },
			auth: {},
			params: { $$strict: true },
			async handler(this: OrgThis, ctx: RosterContext) {
				const docs: DepartmentDoc[] = await this.adapter.find({ query: { tenantId: requireUser(ctx).tenantId }, sort: ["name"] });
				return nest(docs.map(departmentJSON));
			}
		},

		getDepartment: {
			rest: "GET /departments/:id",
			openapi: { responses: { 200: json(Org.Department) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: OrgThis, ctx: RosterContext<IdParams>): Promise<Department> {
				return departmentJSON(await findInTenant<DepartmentDoc>(this.adapter, requireUser(ctx).tenantId, ctx.params.id, "Department"));
			}
		},

		findDepartments: {
			visibility: "public",
			readOnly: true,
			params: { ids: { type: "array", items: id, max: 1000 } },
			async handler(this: OrgThis, ctx: RosterContext<IdsParams>): Promise<Department[]> {
				const { tenantId } = requireUser(ctx);
				const docs = await findManyInTenant<DepartmentDoc>(this.adapter, tenantId, ctx.params.ids);
				// Reports ask for the departments their people were in: some may have been deleted since.
				const found = new Set(docs.map(doc => doc._id));
				const missing = ctx.params.ids.filter(departmentId => !found.has(departmentId));
				const removed = missing.length > 0 ? await findManyInTenant<DepartmentDoc>(this.store(REMOVED_DEPARTMENTS), tenantId, missing) : [];
				return [...docs, ...removed].map(departmentJSON);
			}
		},

		/** Names for a page of rows that point at departments and positions: one query per collection. */
		names: {
			visibility: "public",
			readOnly: true,
			params: { departmentIds: { type: "array", items: id, max: 1000 }, positionIds: { type: "array", items: id, max: 1000 } },
			async handler(this: OrgThis, ctx: RosterContext<{ departmentIds: string[]; positionIds: string[] }>): Promise<OrgNames> {
				const { tenantId } = requireUser(ctx);
				const [departments, positions] = await Promise.all([
					findManyInTenant<DepartmentDoc>(this.adapter, tenantId, ctx.params.departmentIds),
					findManyInTenant<PositionDoc>(this.store(POSITIONS), tenantId, ctx.params.positionIds)
				]);
				return {
					departments: Object.fromEntries(departments.map(d => [d._id, d.name])),
					positions: Object.fromEntries(positions.map(p => [p._id, p.title]))
				};
			}
		},

		/** Internal {} → every department and position of the caller's tenant, by name: the employee import resolves names with it. */
		directory: {
			visibility: "public",
			readOnly: true,
			params: {},
			async handler(this: OrgThis, ctx: RosterContext): Promise<OrgDirectory> {
				const { tenantId } = requireUser(ctx);
				const [departments, positions]: [DepartmentDoc[], PositionDoc[]] = await Promise.all([
					this.adapter.find({ query: { tenantId } }),
					this.store(POSITIONS).find({ query: { tenantId } })
				]);
				return {
					departments: departments.map(d => ({ id: d._id, name: d.name, parentId: d.parentId })),
					positions: positions.map(p => ({ id: p._id, title: p.title }))
				};
			}
		},

		holdTree: {
			visibility: "public",
			params: {},
			async handler(this: OrgThis, ctx: RosterContext): Promise<{ holder: string }> {
				// Waits less than the caller's write may take (ActionTimeouts.write), so a busy tree is a 503, not a timeout.
				return { holder: await claimShared(this.store(LOCKS), treeKey(requireUser(ctx).tenantId), { waitMs: HOLD_WAIT_MS }) };
			}
		},

		releaseTree: {
			visibility: "public",
			params: { holder: { type: "uuid" } },
			async handler(this: OrgThis, ctx: RosterContext<{ holder: string }>): Promise<null> {
				await releaseShared(this.store(LOCKS), treeKey(requireUser(ctx).tenantId), ctx.params.holder);
				return null;
			}
		},

		updateDepartment: {
			rest: "PATCH /departments/:id",
			openapi: { responses: { 200: json(Org.Department) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, name: optionalText(), managerId: nullableId, locationId: nullableId },
			async handler(this: OrgThis, ctx: RosterContext<UpdateDepartmentParams>): Promise<Department> {
				const { tenantId } = requireUser(ctx);
				const dept = await findInTenant<DepartmentDoc>(this.adapter, tenantId, ctx.params.id, "Department");
				const { name, managerId, locationId } = ctx.params;
				await this.checkManager(ctx, managerId);
				const changes: Partial<DepartmentDoc> = { updatedAt: now() };
				if (name !== undefined) changes.name = name;
				if (managerId !== undefined) changes.managerId = managerId;
				if (locationId !== undefined) changes.locationId = locationId;
				const update = async (): Promise<DepartmentDoc> => {
					await this.checkLocation(tenantId, locationId);
					return this.unique("name", () =>
						this.adapter.updateById(dept._id, updateWithEvent({ $set: changes }, auditUpdate(ctx, "department", dept, changes)))
					);
				};
				// To a location, with the tree held: the location cannot be deleted meanwhile.
				const updated = await (locationId ? this.reshapeTree(tenantId, update) : update());
				this.publishEvents(dept._id);
				return this.saved(ctx, "updated", departmentJSON(updated));
			}
		},

		moveDepartment: {
			rest: "POST /departments/:id/move",
			openapi: { responses: { 200: json(Org.Department) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, parentId: { ...id, nullable: true } },
			async handler(this: OrgThis, ctx: RosterContext<MoveDepartmentParams>): Promise<Department> {
				const { tenantId } = requireUser(ctx);
				const { parentId } = ctx.params;
				// Two moves checked against the same tree could each pass and together make a loop
				// (A under B, B under A): each checks and writes with the tree held.
				const updated = await this.reshapeTree(tenantId, async () => {
					const dept = await findInTenant<DepartmentDoc>(this.adapter, tenantId, ctx.params.id, "Department");
					await this.checkDepartment(tenantId, parentId, "parentId");
					// One query for the whole tree: tenants have hundreds of departments, not millions.
					const all: DepartmentDoc[] = await this.adapter.find({ query: { tenantId } });
					const nodes = all.map(d => ({ id: d._id, parentId: d.parentId }));
					if (wouldCycle(nodes, dept._id, parentId)) {
						throw new BusinessRuleError("parentId", "A department cannot move under itself or one of its sub-departments.", "cycle");
					}
					const set = { parentId, updatedAt: now() };
					const moved: DepartmentDoc = await this.unique("name", () =>
						this.adapter.updateById(dept._id, updateWithEvent({ $set: set }, auditUpdate(ctx, "department", dept, set)))
					);
					return moved;
				});
				this.publishEvents(updated._id);
				return this.saved(ctx, "updated", departmentJSON(updated));
			}
		},

		deleteDepartment: {
			rest: "DELETE /departments/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: OrgThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				// With the tree held, no sub-department is made or moved under it meanwhile.
				return this.reshapeTree(tenantId, async () => {
					const dept = await findInTenant<DepartmentDoc>(this.adapter, tenantId, ctx.params.id, "Department");
					// Openings still hiring into it count too: accepting one of their offers would hire into nothing.
					const [children, positions, employees, openings] = await Promise.all([
						this.adapter.count({ query: { tenantId, parentId: dept._id } }),
						this.store(POSITIONS).count({ query: { tenantId, departmentId: dept._id } }),
						ctx.call<number, { departmentId: string }>(EmployeeActions.countInDepartment, { departmentId: dept._id }),
						ctx.call<number, { departmentId: string }>(RecruitmentActions.countOpeningsInDepartment, { departmentId: dept._id })
					]);
					if (children + positions + employees + openings > 0) {
						throw new ConflictError("Only an empty department can be deleted", { subDepartments: children, positions, employees, openings });
					}
					// Kept first: a live department is found before its copy, and a copy is what a failed delete leaves.
					await this.keepRemoved(dept);
					return removeAudited(this, ctx, this.adapter, "department", dept, departmentJSON(dept));
				});
			}
		},

		// ---- Positions ----

		createPosition: {
			rest: "POST /positions",
			openapi: { responses: { 201: json(Org.Position) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, title: text(), departmentId: nullableId },
			async handler(this: OrgThis, ctx: RosterContext<CreatePositionParams>): Promise<Position> {
				const { tenantId } = requireUser(ctx);
				const { title, departmentId = null } = ctx.params;
				const at = now();
				const doc: PositionDoc = { _id: this.newId(), tenantId, title, departmentId, createdAt: at, updatedAt: at };
				const insert = async () => {
					await this.checkDepartment(tenantId, departmentId, "departmentId");
					await this.unique("title", () => this.store(POSITIONS).insert(insertWithEvent(doc, auditCreation(ctx, "position", doc))));
				};
				// In a department, with the tree held: the department cannot be deleted meanwhile.
				await (departmentId ? this.reshapeTree(tenantId, insert) : insert());
				this.publishEvents(doc._id, POSITIONS);
				created(ctx, `/api/v1/positions/${doc._id}`);
				return this.saved(ctx, "created", positionJSON(doc));
			}
		},

		listPositions: {
			rest: "GET /positions",
			openapi: { responses: { 200: json(page(Org.Position)) } },
			auth: {},
			params: { $$strict: true, ...listParams, departmentId: { ...id, optional: true }, search: optionalText(100) },
			async handler(this: OrgThis, ctx: RosterContext<ListPositionsParams>): Promise<ListResult<Position>> {
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (ctx.params.departmentId) query.departmentId = ctx.params.departmentId;
				if (ctx.params.search) query.title = containsPattern(ctx.params.search);
				const sort = parseSort(ctx.params.sort, ["title", "createdAt"], "title");
				return paginate(this.store(POSITIONS), query, ctx.params, sort, positionJSON);
			}
		},

		getPosition: {
			rest: "GET /positions/:id",
			openapi: { responses: { 200: json(Org.Position) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: OrgThis, ctx: RosterContext<IdParams>): Promise<Position> {
				return positionJSON(await findInTenant<PositionDoc>(this.store(POSITIONS), requireUser(ctx).tenantId, ctx.params.id, "Position"));
			}
		},

		updatePosition: {
			rest: "PATCH /positions/:id",
			openapi: { responses: { 200: json(Org.Position) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, title: optionalText(), departmentId: nullableId },
			async handler(this: OrgThis, ctx: RosterContext<UpdatePositionParams>): Promise<Position> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(POSITIONS);
				const position = await findInTenant<PositionDoc>(store, tenantId, ctx.params.id, "Position");
				const { title, departmentId } = ctx.params;
				const changes: Partial<PositionDoc> = { updatedAt: now() };
				if (title !== undefined) changes.title = title;
				if (departmentId !== undefined) changes.departmentId = departmentId;
				const update = async (): Promise<PositionDoc> => {
					await this.checkDepartment(tenantId, departmentId, "departmentId");
					return this.unique("title", () =>
						store.updateById(position._id, updateWithEvent({ $set: changes }, auditUpdate(ctx, "position", position, changes)))
					);
				};
				// Into a department, with the tree held: the department cannot be deleted meanwhile.
				const updated = await (departmentId ? this.reshapeTree(tenantId, update) : update());
				this.publishEvents(position._id, POSITIONS);
				return this.saved(ctx, "updated", positionJSON(updated));
			}
		},

		deletePosition: {
			rest: "DELETE /positions/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: OrgThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(POSITIONS);
				// With the tree held, no employee or offer is given the position meanwhile (holdTree).
				return this.reshapeTree(tenantId, async () => {
					const position = await findInTenant<PositionDoc>(store, tenantId, ctx.params.id, "Position");
					// Terminated employees keep their last position, as they keep their department.
					const [employees, offers] = await Promise.all([
						ctx.call<number, { positionId: string }>(EmployeeActions.countInPosition, { positionId: position._id }),
						ctx.call<number, { positionId: string }>(RecruitmentActions.countOffersForPosition, { positionId: position._id })
					]);
					if (employees + offers > 0) throw new ConflictError("The position is still held by employees or offered", { employees, offers });
					return removeAudited(this, ctx, store, "position", position, positionJSON(position));
				});
			}
		},

		// ---- Locations ----

		createLocation: {
			rest: "POST /locations",
			openapi: { responses: { 201: json(Org.Location) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, name: text(), address: nullableProse(500), country, timezone },
			async handler(this: OrgThis, ctx: RosterContext<CreateLocationParams>): Promise<Location> {
				const { tenantId } = requireUser(ctx);
				const { name, address = null, country: code = null, timezone: zone = null } = ctx.params;
				checkTimezone(zone);
				const at = now();
				const doc: LocationDoc = { _id: this.newId(), tenantId, name, address, country: code, timezone: zone, createdAt: at, updatedAt: at };
				await this.unique("name", () => this.store(LOCATIONS).insert(insertWithEvent(doc, auditCreation(ctx, "location", doc))));
				this.publishEvents(doc._id, LOCATIONS);
				created(ctx, `/api/v1/locations/${doc._id}`);
				return this.saved(ctx, "created", locationJSON(doc));
			}
		},

		listLocations: {
			rest: "GET /locations",
			openapi: { responses: { 200: json(page(Org.Location)) } },
			auth: {},
			params: { $$strict: true, ...listParams, search: optionalText(100) },
			async handler(this: OrgThis, ctx: RosterContext<ListLocationsParams>): Promise<ListResult<Location>> {
				const query: Record<string, unknown> = { tenantId: requireUser(ctx).tenantId };
				if (ctx.params.search) query.name = containsPattern(ctx.params.search);
				const sort = parseSort(ctx.params.sort, ["name", "country", "createdAt"], "name");
				return paginate(this.store(LOCATIONS), query, ctx.params, sort, locationJSON);
			}
		},

		getLocation: {
			rest: "GET /locations/:id",
			openapi: { responses: { 200: json(Org.Location) } },
			auth: {},
			params: { $$strict: true, id },
			async handler(this: OrgThis, ctx: RosterContext<IdParams>): Promise<Location> {
				return locationJSON(await findInTenant<LocationDoc>(this.store(LOCATIONS), requireUser(ctx).tenantId, ctx.params.id, "Location"));
			}
		},

		/** Locations of the caller's tenant by id, in one query (missing ids are left out): names for the reports. */
		findLocations: {
			visibility: "public",
			readOnly: true,
			params: { ids: { type: "array", items: id, max: 1000 } },
			async handler(this: OrgThis, ctx: RosterContext<IdsParams>): Promise<Location[]> {
				const docs = await findManyInTenant<LocationDoc>(this.store(LOCATIONS), requireUser(ctx).tenantId, ctx.params.ids);
				return docs.map(locationJSON);
			}
		},

		updateLocation: {
			rest: "PATCH /locations/:id",
			openapi: { responses: { 200: json(Org.Location) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id, name: optionalText(), address: nullableProse(500), country, timezone },
			async handler(this: OrgThis, ctx: RosterContext<UpdateLocationParams>): Promise<Location> {
				const store = this.store(LOCATIONS);
				const location = await findInTenant<LocationDoc>(store, requireUser(ctx).tenantId, ctx.params.id, "Location");
				const { id: _id, ...fields } = ctx.params;
				checkTimezone(fields.timezone);
				const changes: Partial<LocationDoc> = { updatedAt: now() };
				for (const [key, value] of Object.entries(fields)) if (value !== undefined) Object.assign(changes, { [key]: value });
				const updated: LocationDoc = await this.unique("name", () =>
					store.updateById(location._id, updateWithEvent({ $set: changes }, auditUpdate(ctx, "location", location, changes)))
				);
				this.publishEvents(location._id, LOCATIONS);
				return this.saved(ctx, "updated", locationJSON(updated));
			}
		},

		deleteLocation: {
			rest: "DELETE /locations/:id",
			openapi: { responses: { 204: noContent() } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: OrgThis, ctx: RosterContext<IdParams>): Promise<null> {
				const { tenantId } = requireUser(ctx);
				const store = this.store(LOCATIONS);
				const location = await findInTenant<LocationDoc>(store, tenantId, ctx.params.id, "Location");
				// With the tree held, no department is made at the location or moved to it meanwhile.
				return this.reshapeTree(tenantId, async () => {
					const inUse = await this.adapter.count({ query: { tenantId, locationId: location._id } });
					if (inUse > 0) throw new ConflictError("The location is still used by departments", { departments: inUse });
					return removeAudited(this, ctx, store, "location", location, locationJSON(location));
				});
			}
		}
	},

	methods: {
		/**
		 * A change to the shape of the tenant's department tree, or to what refers to a department, a
		 * position or a location here (a position, a department's location), and the deletes those
		 * references guard: one at a time across nodes, and none while a write elsewhere holds the
		 * tree (holdTree: an employee, an opening, an offer), so a delete's count of uses sees every
		 * write. Those writes share their hold: a company's hires do not wait for each other.
		 */
		reshapeTree<T>(this: OrgThis, tenantId: string, change: () => Promise<T>): Promise<T> {
			return withOwnedLease(this.store(LOCKS), treeKey(tenantId), change);
		},

		/** A department about to be deleted, as it is now: see REMOVED_DEPARTMENTS. */
		async keepRemoved(this: OrgThis, dept: DepartmentDoc): Promise<void> {
			const removed: DepartmentDoc = { ...dept, removedAt: now() };
			await this.store(REMOVED_DEPARTMENTS)
				.insert(removed)
				.catch(async err => {
					// A delete tried before, that did not go through: the copy is brought up to date.
					if (!isUniqueViolation(err)) throw err;
					await this.store(REMOVED_DEPARTMENTS).updateById(dept._id, { $set: removed });
				});
		},

		async checkDepartment(this: OrgThis, tenantId: string, departmentId: string | null | undefined, field: string): Promise<void> {
			if (departmentId) await requireReference(this.adapter, tenantId, departmentId, field, "department");
		},

		async checkLocation(this: OrgThis, tenantId: string, locationId: string | null | undefined): Promise<void> {
			if (locationId) await requireReference(this.store(LOCATIONS), tenantId, locationId, "locationId", "location");
		},

		/** A department's manager is an active employee of the tenant. */
		async checkManager(ctx: RosterContext, managerId: string | null | undefined): Promise<void> {
			if (!managerId) return;
			const [manager] = await ctx.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids: [managerId] });
			if (!manager || manager.status !== "active") {
				throw new BusinessRuleError("managerId", "The 'managerId' field refers to no active employee of this company.", "reference");
			}
		}
	}
};

export default OrgService;
