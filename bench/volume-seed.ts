/**
 * One big tenant for bench/data-volume.ts: employees (and the history entry of each hire or
 * termination) shaped exactly as services/data/employees.service.ts writes them, with names,
 * departments, positions and managers spread as in a real company, written in bulk straight
 * into the store: PostgreSQL tables, or NeDB's files.
 */
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { type Changes, diffFields } from "../lib/employees/history";
import { EMPLOYMENT_TYPES, type EmployeeDoc, type EmploymentType } from "../lib/employees/model";
import { formatAssignedNumber } from "../lib/employees/numbers";
import { random } from "../scripts/seed/demo-data";

export interface Tenant {
	tenantId: string;
	/** The user who "made" every hire (the owner), as the history's `by`. */
	ownerId: string;
	departmentIds: string[];
	positionIds: string[];
}

interface HistoryDoc {
	_id: string;
	tenantId: string;
	employeeId: string;
	type: "hired" | "terminated";
	changes: Changes;
	effectiveDate: string;
	by: string;
	at: string;
}

export interface Seed {
	employees: EmployeeDoc[];
	history: HistoryDoc[];
	/** What the bench searches for: the most common surname, one of the middle of the list, and one only five people have. */
	commonSurname: string;
	middleSurname: string;
	rareSurname: string;
}

const FIRST = [
	"James",
	"Mary",
	"Robert",
	"Patricia",
	"John",
	"Jennifer",
	"Michael",
	"Linda",
	"David",
	"Elizabeth",
	"William",
	"Barbara",
	"Richard",
	"Susan",
	"Joseph",
	"Jessica",
	"Thomas",
	"Sarah",
	"Carlos",
	"Karen",
	"Daniel",
	"Lisa",
	"Matthew",
	"Nancy",
	"Anthony",
	"Sandra",
	"Mark",
	"Ashley",
	"Paul",
	"Emily",
	"Steven",
	"Donna",
	"Andrew",
	"Michelle",
	"Joshua",
	"Carol",
	"Kenneth",
	"Amanda",
	"Kevin",
	"Melissa",
	"Brian",
	"Deborah",
	"Maria",
	"Stephanie",
	"Jose",
	"Rebecca",
	"Juan",
	"Laura",
	"Luis",
	"Sharon",
	"Wei",
	"Cynthia",
	"Mohammed",
	"Kathleen",
	"Ahmed",
	"Amy",
	"Fatima",
	"Angela",
	"Hiroshi",
	"Anna",
	"Yuki",
	"Ruth",
	"Priya",
	"Brenda",
	"Arjun",
	"Pamela",
	"Olga",
	"Nicole",
	"Ivan",
	"Katherine",
	"Lars",
	"Samantha",
	"Ingrid",
	"Christine",
	"Pierre",
	"Emma",
	"Marie",
	"Catherine",
	"Giulia",
	"Virginia",
	"Marco",
	"Rachel",
	"Sofia",
	"Janet",
	"Mateo",
	"Chloe",
	"Lucas",
	"Martina",
	"Noah",
	"Olivia",
	"Liam",
	"Ava",
	"Elif",
	"Mehmet",
	"Zeynep",
	"Kwame",
	"Amara",
	"Chen",
	"Mei",
	"Dmitri",
	"Anya",
	"Santiago",
	"Valentina",
	"Aarav",
	"Diya",
	"Omar",
	"Layla",
	"Finn",
	"Freya",
	"Mario",
	"Marta",
	"Martin",
	"Maren"
];

const LAST = [
	"Garcia",
	"Smith",
	"Johnson",
	"Williams",
	"Brown",
	"Jones",
	"Miller",
	"Davis",
	"Rodriguez",
	"Martinez",
	"Hernandez",
	"Lopez",
	"Gonzalez",
	"Wilson",
	"Anderson",
	"Thomas",
	"Taylor",
	"Moore",
	"Jackson",
	"Martin",
	"Lee",
	"Perez",
	"Thompson",
	"White",
	"Harris",
	"Sanchez",
	"Clark",
	"Ramirez",
	"Lewis",
	"Robinson",
	"Walker",
	"Young",
	"Allen",
	"King",
	"Wright",
	"Scott",
	"Torres",
	"Nguyen",
	"Hill",
	"Flores",
	"Green",
	"Adams",
	"Nelson",
	"Baker",
	"Hall",
	"Rivera",
	"Campbell",
	"Mitchell",
	"Carter",
	"Roberts",
	"Wang",
	"Li",
	"Zhang",
	"Liu",
	"Chen",
	"Yang",
	"Kim",
	"Park",
	"Choi",
	"Tanaka",
	"Suzuki",
	"Sato",
	"Watanabe",
	"Singh",
	"Kumar",
	"Sharma",
	"Patel",
	"Gupta",
	"Khan",
	"Ali",
	"Hussain",
	"Mueller",
	"Schmidt",
	"Schneider",
	"Fischer",
	"Weber",
	"Meyer",
	"Wagner",
	"Becker",
	"Hoffmann",
	"Rossi",
	"Russo",
	"Ferrari",
	"Esposito",
	"Bianchi",
	"Romano",
	"Colombo",
	"Dubois",
	"Lefebvre",
	"Moreau",
	"Laurent",
	"Simon",
	"Michel",
	"Bernard",
	"Petit",
	"Durand",
	"Leroy",
	"Kowalski",
	"Nowak",
	"Wisniewski",
	"Novak",
	"Horvat",
	"Ivanov",
	"Petrov",
	"Smirnov",
	"Popescu",
	"Nagy",
	"Yilmaz",
	"Kaya",
	"Demir",
	"Jensen",
	"Nielsen",
	"Hansen",
	"Andersson",
	"Johansson",
	"Karlsson",
	"Larsen",
	"Berg",
	"Haddad",
	"Okafor",
	"Mensah",
	"Abebe",
	"Silva",
	"Santos",
	"Oliveira",
	"Souza",
	"Costa",
	"Pereira",
	"Ferreira",
	"Almeida",
	"Murphy",
	"Kelly",
	"O'Brien",
	"Walsh",
	"Byrne",
	"Ryan"
];

/** Five people share it: the "rare term" of the bench. */
const RARE = "Quisenberry";
const STREETS = ["High Street", "Station Road", "Main Street", "Park Avenue", "Church Lane", "Mill Road", "King Street", "Queens Road"];
const CITIES = ["London", "Berlin", "Lisbon", "Madrid", "Paris", "Warsaw", "Dublin", "Milan", "Oslo", "Austin"];
const TYPES: Array<[EmploymentType, number]> = [
	["full_time", 0.8],
	["part_time", 0.08],
	["contractor", 0.06],
	["intern", 0.03],
	["temporary", 0.03]
];
const DAY = 86_400_000;

/** Picks index i of n with weight 1/(i+1)^s: a few names are common, most are not. */
function zipf(n: number, s: number, rnd: () => number): () => number {
	const cumulative: number[] = [];
	let sum = 0;
	for (let i = 0; i < n; i++) cumulative.push((sum += 1 / (i + 1) ** s));
	return () => {
		const x = rnd() * sum;
		let lo = 0;
		let hi = n - 1;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (cumulative[mid] < x) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	};
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function employmentType(rnd: () => number): EmploymentType {
	let x = rnd();
	for (const [type, share] of TYPES) if ((x -= share) < 0) return type;
	return EMPLOYMENT_TYPES[0];
}

/**
 * `count` employees of the tenant: a chief executive, a head per department under them, team
 * leads under each head (one per nine people), everyone else under a lead. Departments differ
 * in size (a few big ones, a long tail); 1 in 200 people have no department, 7% have left.
 */
export function generate(tenant: Tenant, count: number, seed = 42): Seed {
	const rnd = random(seed);
	const firstName = zipf(FIRST.length, 0.7, rnd);
	const lastName = zipf(LAST.length, 0.8, rnd);
	const departmentOf = zipf(tenant.departmentIds.length, 0.8, rnd);
	const start = Date.now() - count * 10;
	const employees: EmployeeDoc[] = [];
	const history: HistoryDoc[] = [];

	const hire = (departmentId: string | null, managerId: string | null): EmployeeDoc => {
		const n = employees.length;
		const first = FIRST[firstName()];
		const last = n % 20_000 === 7 ? RARE : LAST[lastName()];
		const hired = Date.UTC(2005, 0, 1) + Math.floor(rnd() * 20 * 365) * DAY;
		const at = new Date(start + n * 10).toISOString();
		const doc: EmployeeDoc = {
			_id: randomUUID(),
			tenantId: tenant.tenantId,
			firstName: first,
			lastName: last,
			workEmail: `${first}.${last}.${n + 1}@volume.bench.test`.replace(/'/g, "").toLowerCase(),
			phone: rnd() < 0.8 ? `+44 20 7946 ${String(n % 10_000).padStart(4, "0")}` : null,
			birthDate: rnd() < 0.9 ? isoDay(Date.UTC(1960, 0, 1) + Math.floor(rnd() * 43 * 365) * DAY) : null,
			nationalId: rnd() < 0.7 ? `NI${String(100_000 + n)}` : null,
			homeAddress: rnd() < 0.7 ? `${1 + (n % 200)} ${STREETS[n % STREETS.length]}, ${CITIES[n % CITIES.length]}` : null,
			employeeNumber: formatAssignedNumber(n + 1),
			departmentId,
			positionId: tenant.positionIds[Math.floor(rnd() * tenant.positionIds.length)],
			managerId,
			hireDate: isoDay(hired),
			employmentType: employmentType(rnd),
			userId: null,
			status: "active",
			terminationDate: null,
			terminationReason: null,
			createdAt: at,
			updatedAt: at
		};
		const { _id, tenantId, status, terminationDate, terminationReason, createdAt, updatedAt, ...fields } = doc;
		history.push({
			_id: randomUUID(),
			tenantId,
			employeeId: _id,
			type: "hired",
			effectiveDate: doc.hireDate,
			by: tenant.ownerId,
			at,
			changes: diffFields({}, { ...fields, status, employeeNumber: doc.employeeNumber })
		});
		employees.push(doc);
		return doc;
	};

	const chief = hire(tenant.departmentIds[0], null);
	const heads = tenant.departmentIds.map(departmentId => hire(departmentId, chief._id));
	const members: string[][] = tenant.departmentIds.map(() => []);
	const unassigned = Math.floor(count / 200);
	const rest = count - employees.length - unassigned;
	for (let i = 0; i < rest; i++) members[departmentOf()].push("");
	members.forEach((list, d) => {
		const leads: string[] = [];
		const wanted = Math.max(1, Math.ceil(list.length / 9));
		for (let i = 0; i < list.length; i++) {
			if (i < wanted) leads.push(hire(heads[d].departmentId, heads[d]._id)._id);
			else hire(heads[d].departmentId, leads[i % leads.length]);
		}
	});
	while (employees.length < count) hire(null, null);

	for (const doc of employees) {
		if (doc.managerId === null || rnd() >= 0.07) continue;
		const on = isoDay(Math.min(Date.now() - DAY, Date.parse(doc.hireDate) + Math.floor(rnd() * 3000) * DAY));
		const set = { status: "terminated" as const, terminationDate: on, terminationReason: "Resigned" };
		history.push({
			_id: randomUUID(),
			tenantId: doc.tenantId,
			employeeId: doc._id,
			type: "terminated",
			effectiveDate: on,
			by: tenant.ownerId,
			at: doc.updatedAt,
			changes: diffFields(doc, set)
		});
		Object.assign(doc, set);
	}
	return { employees, history, commonSurname: LAST[0], middleSurname: LAST[40], rareSurname: RARE };
}

/** Rows in batches, each as one JSON array the server unpacks: far faster than a statement per row. */
async function bulkInsert(client: Client, table: string, docs: Array<{ _id: string }>): Promise<void> {
	const BATCH = 2000;
	for (let i = 0; i < docs.length; i += BATCH) {
		const batch = JSON.stringify(docs.slice(i, i + BATCH));
		await client.query(`INSERT INTO ${table} (id, data) SELECT doc->>'_id', doc FROM jsonb_array_elements($1::jsonb) AS doc`, [batch]);
	}
}

/**
 * Into the tables the running services created (lib/store/postgres.ts: `id text, data jsonb`),
 * with the tenant's number counter where the next hire will find it; then VACUUM ANALYZE, as
 * autovacuum would have done on a database that grew to this size.
 */
export async function writePostgres(connectionString: string, schema: string, seed: Seed, tenant: Tenant): Promise<void> {
	const client = new Client({ connectionString });
	await client.connect();
	try {
		await bulkInsert(client, `"${schema}".employees`, seed.employees);
		await bulkInsert(client, `"${schema}".employee_history`, seed.history);
		await client.query(`INSERT INTO "${schema}".employee_counters (id, data) VALUES ($1, $2::jsonb)`, [
			tenant.tenantId,
			JSON.stringify({ _id: tenant.tenantId, last: seed.employees.length })
		]);
		for (const table of ["employees", "employee_history", "employee_counters"]) await client.query(`VACUUM ANALYZE "${schema}".${table}`);
	} finally {
		await client.end();
	}
}

/** Appended to NeDB's files (one JSON document a line) while no node has them open. */
export function writeNedb(dataDir: string, seed: Seed, tenant: Tenant): void {
	const lines = (docs: object[]) => docs.map(doc => `${JSON.stringify(doc)}\n`).join("");
	appendFileSync(path.join(dataDir, "employees.db"), lines(seed.employees));
	appendFileSync(path.join(dataDir, "employee_history.db"), lines(seed.history));
	appendFileSync(path.join(dataDir, "employee_counters.db"), lines([{ _id: tenant.tenantId, last: seed.employees.length }]));
}
