/**
 * PostgreSQL answers the directory's queries from the indexes made for them (issue #8: one
 * tenant of 100,000 employees; bench/data-volume.ts measures it). A query whose expressions
 * drift from its index's stays right, only slow, and no other test would notice: this one reads
 * the plans of the very statements the store sends. Sequential scans are priced out, as they
 * are at volume, so a Seq Scan in a plan means that no index fits the query. It also checks
 * that a table an earlier version made is brought to the columns and indexes queries now use.
 */
import { createHash, randomUUID } from "node:crypto";
import { Client, Pool } from "pg";
import { generate } from "../../bench/volume-seed";
import { loadConfig } from "../../lib/config";
import { type CollectionSpec, type FindParams, type Store, createStore } from "../../lib/store";
import { EMPLOYEES_COLLECTION } from "../../services/data/employees.service";
import { describeWith } from "../support/external";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

describeWith(["postgres"], "PostgreSQL plans of the directory", () => {
	const url = freshSchemaUrl("plans");
	const schema = new URL(url).searchParams.get("schema")!;
	const tenant = { tenantId: randomUUID(), ownerId: randomUUID(), departmentIds: [randomUUID(), randomUUID(), randomUUID()], positionIds: [randomUUID()] };
	const seed = generate(tenant, 3000);
	let store: Store;
	let client: Client;

	beforeAll(async () => {
		store = createStore(EMPLOYEES_COLLECTION, loadConfig({ NODE_ENV: "test", DATABASE_URL: url, DATABASE_POOL_SIZE: "2" }));
		await store.connect();
		for (const index of EMPLOYEES_COLLECTION.indexes!) await store.ensureIndex(index);
		const admin = new URL(url);
		admin.searchParams.delete("schema");
		client = new Client({ connectionString: admin.toString() });
		await client.connect();
		await client.query(`INSERT INTO "${schema}".employees (id, data) SELECT doc->>'_id', doc FROM jsonb_array_elements($1::jsonb) AS doc`, [
			JSON.stringify(seed.employees)
		]);
		await client.query(`VACUUM ANALYZE "${schema}".employees`);
		await client.query("SET enable_seqscan = off");
	});

	afterAll(async () => {
		await client?.end();
		await store?.disconnect();
		await dropSchema(url);
	});

	/** The plans of the statements `run` sends, as EXPLAIN ANALYZE shows them. */
	async function plans(run: () => Promise<unknown>): Promise<string[]> {
		// The store's pool, which every one of its statements goes through.
		const sent = jest.spyOn((store as unknown as { lease: { pool: Pool } }).lease.pool, "query");
		let statements: Array<readonly [string, unknown[]]>;
		try {
			await run();
		} finally {
			statements = sent.mock.calls.map(([text, values]) => [text as unknown as string, values as unknown[]] as const);
			sent.mockRestore();
		}
		expect(statements.length).toBeGreaterThan(0);
		const shown: string[] = [];
		for (const [text, values] of statements) {
			const { rows } = await client.query(`EXPLAIN (ANALYZE, COSTS OFF) ${text}`, values);
			shown.push(rows.map(row => row["QUERY PLAN"]).join("\n"));
		}
		return shown;
	}

	const page = (params: Omit<FindParams, "query"> & { query?: object }) =>
		plans(() => store.page({ limit: 20, ...params, query: { tenantId: tenant.tenantId, ...params.query } }));

	const noScanOfTheTable = (plan: string) => expect(plan).not.toMatch(/Seq Scan/);

	it("pages the directory along its sort index, and counts it from an index alone", async () => {
		const [first, count] = await page({ sort: ["lastName", "firstName"] });
		noScanOfTheTable(first);
		expect(first).not.toMatch(/Sort/);
		expect(first).toMatch(/Index Scan using employees_ix_\w+ on employees/);
		expect(count).toMatch(/Index Only Scan using employees_ix_\w+ on employees[\s\S]*Heap Fetches: 0/);
	});

	it("reaches a deep page through the sort index alone, reading only the page's documents", async () => {
		const [deep] = await page({ sort: ["lastName", "firstName"], offset: 1500 });
		noScanOfTheTable(deep);
		expect(deep).toMatch(/Index Only Scan using employees_ix_\w+ on employees[\s\S]*Heap Fetches: 0/);
		expect(deep).not.toMatch(/Sort Key: employees_1/);
	});

	it("sorts newest hires first without sorting, and filters a department by its index", async () => {
		const [newest] = await page({ sort: ["-hireDate"] });
		expect(newest).not.toMatch(/Sort/);
		noScanOfTheTable(newest);
		for (const plan of await page({ sort: ["lastName", "firstName"], query: { departmentId: tenant.departmentIds[1], status: "active" } }))
			noScanOfTheTable(plan);
	});

	it("searches through the search column's trigram index, finding the matches once for the page and the total", async () => {
		const pattern = new RegExp(seed.commonSurname.slice(1, 5), "i");
		const or = ["firstName", "lastName", "workEmail", "employeeNumber"].map(field => ({ [field]: pattern }));
		const [search, ...more] = await page({ sort: ["lastName", "firstName"], query: { $and: [{ $or: or }] } });
		expect(more).toEqual([]);
		noScanOfTheTable(search);
		// One index scan and one LIKE a row, not four scans and a regular expression per field.
		expect(search.match(/Bitmap Index Scan/g)).toHaveLength(1);
		expect(search).toMatch(/Bitmap Index Scan on employees_tg_\w+[^\n]*\n\s+Index Cond: \("\$search_\w+" ~~ /);
		expect(search).not.toMatch(/~\*/);
	});

	it("brings a table of an earlier version to its shape at start: columns added or retyped, old indexes replaced", async () => {
		const name = `upgraded_${Date.now().toString(36)}`;
		// What the version before generated columns made for { code: 1, unique }: an index over the jsonb path.
		const legacy = `${name}_uq_${createHash("sha1").update(`${name}:code:true`).digest("hex").slice(0, 12)}`;
		await client.query(`CREATE TABLE "${schema}"."${name}" (id text PRIMARY KEY, data jsonb NOT NULL)`);
		await client.query(`CREATE UNIQUE INDEX "${legacy}" ON "${schema}"."${name}" ((data->'code'))`);
		await client.query(`INSERT INTO "${schema}"."${name}" VALUES ('a', '{"_id":"a","code":"x-1"}'), ('b', '{"_id":"b","code":7}')`);
		const columnType = async () =>
			(
				await client.query("SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'code'", [
					schema,
					name
				])
			).rows[0]?.data_type;
		const indexes = async () =>
			(await client.query("SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2", [schema, name])).rows.map(r => r.indexname);
		const cfg = loadConfig({ NODE_ENV: "test", DATABASE_URL: url, DATABASE_POOL_SIZE: "2" });

		for (const [strings, type] of [
			[[], "jsonb"],
			[["code"], "text"]
		] as const) {
			const upgraded = createStore({ name, indexes: [{ fields: { code: 1 }, unique: true }], strings: [...strings] }, cfg);
			await upgraded.connect();
			await upgraded.ensureIndex({ fields: { code: 1 }, unique: true });
			expect(await columnType()).toBe(type);
			expect(await indexes()).not.toContain(legacy);
			expect((await upgraded.find({ query: { code: "x-1" } })).map(doc => doc._id)).toEqual(["a"]);
			expect((await upgraded.find({ query: { code: 7 } })).map(doc => doc._id)).toEqual(["b"]);
			await expect(upgraded.insert({ _id: "c", code: "x-1" })).rejects.toMatchObject({ code: "23505" });
			await upgraded.disconnect();
		}
	});

	it("gives a table searched through a trigram index per field (an earlier version) its search column instead", async () => {
		const name = `searched_${Date.now().toString(36)}`;
		const spec: CollectionSpec = { name, strings: ["first", "last"], indexes: [{ fields: { first: 1, last: 1 }, search: true }] };
		// What the version before search columns made: a text column and a trigram index per field.
		const legacy = ["first", "last"].map(
			field => `${name}_tg_${createHash("sha1").update(`${name}:tg:("${field}" "public".gin_trgm_ops)`).digest("hex").slice(0, 12)}`
		);
		await client.query(`CREATE TABLE "${schema}"."${name}" (id text PRIMARY KEY, data jsonb NOT NULL)`);
		for (const [i, field] of ["first", "last"].entries()) {
			await client.query(
				`ALTER TABLE "${schema}"."${name}" ADD COLUMN "${field}" text GENERATED ALWAYS AS (CASE WHEN jsonb_typeof(data->'${field}') = 'string' THEN data->>'${field}' END) STORED`
			);
			await client.query(`CREATE INDEX "${legacy[i]}" ON "${schema}"."${name}" USING gin ("${field}" public.gin_trgm_ops)`);
		}
		await client.query(
			`INSERT INTO "${schema}"."${name}" VALUES ('a', '{"_id":"a","first":"Ann","last":"Lee"}'), ('b', '{"_id":"b","first":"Bo","last":"Mann"}')`
		);
		const indexes = async () =>
			(await client.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2", [schema, name])).rows.map(
				r => r.indexdef
			);

		const upgraded = createStore(spec, loadConfig({ NODE_ENV: "test", DATABASE_URL: url, DATABASE_POOL_SIZE: "2" }));
		try {
			await upgraded.connect();
			await upgraded.ensureIndex(spec.indexes![0]);
			const trigramIndexes = (await indexes()).filter(def => def.includes("gin_trgm_ops"));
			expect(trigramIndexes).toEqual([expect.stringMatching(/USING gin \("\$search_\w+" (public\.)?gin_trgm_ops\)/)]);
			const word = /ann/i;
			const found = await upgraded.page({ query: { $or: [{ first: word }, { last: word }] }, sort: ["last"], limit: 10, offset: 0 });
			expect({ ids: found.docs.map((doc: { _id: string }) => doc._id), total: found.total }).toEqual({ ids: ["a", "b"], total: 2 });
		} finally {
			await upgraded.disconnect();
		}
	});

	it("counts the headcount from an index alone", async () => {
		const [headcount] = await plans(() => store.countBy({ tenantId: tenant.tenantId }, ["departmentId", "status"]));
		expect(headcount).toMatch(/Index Only Scan using employees_ix_\w+ on employees[\s\S]*Heap Fetches: 0/);
		expect(headcount).not.toMatch(/HashAggregate|Sort/);
	});
});
