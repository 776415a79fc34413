/**
 * MongoDB through moleculer-db-adapter-mongo, with one client (and so one bounded connection
 * pool) per node and URI, shared by every collection; the adapter alone would open a client
 * per collection.
 */
import MongoDbAdapter from "moleculer-db-adapter-mongo";
import { checkGroupFields, checkSumFields } from "./count-by";
import { findAndCount } from "./page";
import type { CountByRow, FindParams, IndexSpec, Page, Store, SumByRow } from "./types";

interface MongoClientLike {
	connect(): Promise<MongoClientLike>;
	db(name?: string): { collection(name: string): unknown };
	close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MongoClient } = require("mongodb") as { MongoClient: new (uri: string, options: object) => MongoClientLike };

interface SharedClient {
	client: MongoClientLike;
	users: number;
	ready: Promise<unknown>;
}

/**
 * A summed path as an aggregation expression: "$a.b" for names, $arrayElemAt for an array
 * position (in an aggregation "$monthDays.0" would look for a field "0" in each element), and
 * $getField for a name after a position. $sum skips anything that is not a number, as the
 * other stores do.
 */
function sumExpression(path: string): unknown {
	let expr: unknown;
	for (const part of path.split(".")) {
		if (expr === undefined) expr = `$${part}`;
		else if (/^[0-9]+$/.test(part)) expr = { $arrayElemAt: [expr, Number(part)] };
		else expr = typeof expr === "string" ? `${expr}.${part}` : { $getField: { field: part, input: expr } };
	}
	return expr;
}

const clients = new Map<string, SharedClient>();

async function acquireClient(uri: string, poolSize: number): Promise<MongoClientLike> {
	let shared = clients.get(uri);
	if (!shared) {
		const client = new MongoClient(uri, { useUnifiedTopology: true, useNewUrlParser: true, maxPoolSize: poolSize });
		shared = { client, users: 0, ready: client.connect() };
		clients.set(uri, shared);
	}
	shared.users++;
	try {
		await shared.ready;
	} catch (err) {
		await releaseClient(uri, shared);
		throw err;
	}
	return shared.client;
}

async function releaseClient(uri: string, shared: SharedClient): Promise<void> {
	shared.users--;
	if (shared.users > 0) return;
	if (clients.get(uri) === shared) clients.delete(uri);
	await shared.client.close().catch(() => undefined);
}

type Adapter = Omit<Store, "backend" | "shared" | "ensureIndex" | "countBy" | "sumBy" | "page"> & {
	collection: {
		createIndex(fields: object, options: object): Promise<unknown>;
		aggregate(pipeline: object[]): { toArray(): Promise<Array<{ _id: Record<string, unknown>; count: number } & Record<string, unknown>>> };
	};
	db: unknown;
	service: { logger: { info(...args: unknown[]): void } };
};

export function createMongoStore(uri: string, poolSize: number, collection: string): Store {
	const adapter = new (MongoDbAdapter as unknown as new (uri: string) => Adapter)(uri);
	let leased: SharedClient | undefined;
	return Object.assign(adapter, {
		backend: "mongodb" as const,
		shared: true,
		init(this: Adapter, _broker: unknown, service: unknown) {
			Object.assign(this, { service });
		},
		async connect(this: Adapter): Promise<void> {
			if (leased) return;
			const client = await acquireClient(uri, poolSize);
			leased = clients.get(uri);
			this.db = client.db();
			this.collection = client.db().collection(collection) as Adapter["collection"];
		},
		async disconnect(): Promise<void> {
			const shared = leased;
			leased = undefined;
			if (shared) await releaseClient(uri, shared);
		},
		page(this: Adapter, params: FindParams): Promise<Page> {
			return findAndCount(this, params);
		},
		/** $group in the server; $ifNull makes a missing field and null one group, as the other stores do. */
		async countBy(this: Adapter, query: object, fields: string[]): Promise<CountByRow[]> {
			checkGroupFields(fields);
			const key = Object.fromEntries(fields.map((field, i) => [`k${i}`, { $ifNull: [`$${field}`, null] }]));
			const groups = await this.collection.aggregate([{ $match: query }, { $group: { _id: key, count: { $sum: 1 } } }]).toArray();
			return groups.map(group => ({ ...Object.fromEntries(fields.map((field, i) => [field, group._id[`k${i}`] ?? null])), count: group.count }));
		},
		/** $group with a $sum per summed path (s0, s1, …: a path may hold dots, which a field name may not). */
		async sumBy(this: Adapter, query: object, fields: string[], sums: string[]): Promise<SumByRow[]> {
			checkSumFields(fields, sums);
			const key = Object.fromEntries(fields.map((field, i) => [`k${i}`, { $ifNull: [`$${field}`, null] }]));
			const totals = Object.fromEntries(sums.map((sum, i) => [`s${i}`, { $sum: sumExpression(sum) }]));
			const groups = await this.collection.aggregate([{ $match: query }, { $group: { _id: key, count: { $sum: 1 }, ...totals } }]).toArray();
			return groups.map(group => ({
				...Object.fromEntries(fields.map((field, i) => [field, group._id[`k${i}`] ?? null])),
				count: group.count,
				sums: Object.fromEntries(sums.map((sum, i) => [sum, Number(group[`s${i}`] ?? 0)]))
			}));
		},
		async ensureIndex(this: Adapter, index: IndexSpec): Promise<void> {
			// A case-insensitive "contains" pattern cannot use a MongoDB index (a text index matches words, not parts).
			if (index.search) return;
			await this.collection.createIndex(index.fields, { unique: !!index.unique, sparse: !!index.sparse });
		}
	});
}
