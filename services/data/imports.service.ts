/**
 * Imports: bulk employee import as a durable job. An upload (a CSV body streamed through the
 * gateway's upload route) is read and checked whole, its rows stored in chunks, and the import
 * stored with the event for its first chunk in the same write (lib/channels/outbox.ts). Each
 * chunk's delivery imports its rows through the employees service and, in one conditional
 * write to the import, counts them and carries the event for the next chunk (or, after the
 * last, imports.finished), so each chunk is counted once however often it is delivered. A node
 * killed mid-chunk leaves the delivery unacknowledged; another node redoes the chunk, and rows
 * it already hired are recognised by their deterministic id (imports.parts/shared.ts).
 *
 * Chunks run one after another, so a manager hired earlier in the file is found by later rows.
 *
 * A chunk that fails every retry goes to the dead-letter queue; this service reads that queue
 * too (its own consumer group) and marks the import `failed`, with the chunk and its last error.
 * Replaying the dead letter delivers the chunk again, and the import resumes where it stopped.
 */
import type { Readable } from "node:stream";
import type { ServiceSchema } from "moleculer";
import { ActionTimeouts } from "../../lib/action-timeouts";
import { handledEventsCollection } from "../../lib/channels/handled";
import { DEAD_LETTER_CHANNEL, type DomainEvent } from "../../lib/channels/events";
import { deadLetterOrigin } from "../../lib/channels/publish";
import { auditCreation } from "../../lib/audit/record";
import { OUTBOX_INDEX, insertWithEvents, pendingEvent, updateWithEvent } from "../../lib/channels/outbox";
import { config } from "../../lib/config";
import { now } from "../../lib/entity";
import { NotFoundError } from "../../lib/errors";
import { type RosterContext, requireUser } from "../../lib/meta";
import { type ImportFinishedEvent, type ImportJSON, type ImportRowError, ImportEvents, RealtimeEvents, type RealtimePush } from "../../lib/names";
import { id } from "../../lib/params";
import { toCsv, sendCsv } from "../../lib/reports/csv";
import { STAFF_ROLES } from "../../lib/roles";
import { isUniqueViolation } from "../../lib/store/types";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin } from "../../mixins/outbox.mixin";
import { type ChunkJournal, importRows } from "./imports.parts/rows";
import { CHUNKS, type ChunkDoc, ERRORS, ERRORS_SHOWN, type ErrorsDoc, IMPORTS, type ImportDoc, type ImportsThis, chunkId } from "./imports.parts/shared";
import { readUpload } from "./imports.parts/upload";
import { csv, json } from "../../lib/openapi/responses";
import * as Operations from "../../lib/openapi/contexts/operations";

interface IdParams {
	id: string;
}
interface ChunkEvent {
	importId: string;
	chunk: number;
}

async function testPause(importId: string, chunk: number): Promise<void> {
	// Tests only (TEST_IMPORT_PAUSE, refused unless NODE_ENV=test): a cluster test kills the node here.
	const ms = config().channels.importTestPauseMs;
	if (ms) {
		// On stdout whatever the log level: the test reads it.
		console.log(`[test hook] import ${importId} chunk ${chunk}: paused ${ms} ms mid-chunk`);
		await new Promise(resolve => setTimeout(resolve, ms));
	}
}

const ImportsService: ServiceSchema = {
	name: "imports",

	mixins: [
		DbMixin("imports", { name: IMPORTS, indexes: [OUTBOX_INDEX] }, [
			{ name: CHUNKS, indexes: [{ fields: { importId: 1 } }] },
			{ name: ERRORS, indexes: [{ fields: { importId: 1 } }] },
			handledEventsCollection("imports")
		]),
		OutboxMixin()
	],

	settings: { rest: "/" },

	actions: {
		/**
		 * The upload: reached only through the gateway's upload route (a raw text/csv body, passed as
		 * a stream), so it has no `rest` of its own and no params schema (its params are the body).
		 */
		uploadEmployees: {
			openapi: {
				summary: "Upload a CSV file of employees (text/csv); the rows are imported in the background",
				responses: { 202: json(Operations.ImportQueued, "Queued: follow it at the Location (GET /imports/{id})") },
				errors: [413, 415, 422]
			},
			// Its time starts with the request's headers: the file arrives while it runs.
			timeout: ActionTimeouts.upload,
			auth: { roles: STAFF_ROLES },
			async handler(this: ImportsThis, ctx: RosterContext<Readable>): Promise<{ id: string; status: string; total: number }> {
				const actor = requireUser(ctx);
				const { chunks, total } = await readUpload(ctx.params);
				const importId = this.newId();
				for (let n = 0; n < chunks.length; n++) {
					const chunk: ChunkDoc = { _id: chunkId(importId, n), tenantId: actor.tenantId, importId, n, rows: chunks[n] };
					// Built here for this insert alone, as its rows were read for it: the store may keep them as they are.
					await this.store(CHUNKS).insert(chunk, { handOver: true });
				}
				const doc: ImportDoc = {
					_id: importId,
					tenantId: actor.tenantId,
					status: "queued",
					total,
					chunks: chunks.length,
					nextChunk: 0,
					processed: 0,
					counts: { imported: 0, updated: 0, skipped: 0, failed: 0 },
					actor,
					requestId: ctx.requestID ?? null,
					clientIp: ctx.meta.clientIp ?? null,
					createdAt: now(),
					finishedAt: null
				};
				const started = pendingEvent(ImportEvents.chunk, actor.tenantId, { importId, chunk: 0 });
				// On the trail: the upload, by its size (the rows' own records follow, one per employee).
				const audit = auditCreation(ctx, "employeeImport", { _id: importId, tenantId: actor.tenantId, status: doc.status, total, chunks: doc.chunks });
				await this.adapter.insert(insertWithEvents(doc, [started, audit]));
				this.publishEvents(importId);
				ctx.meta.$statusCode = 202;
				// moleculer-web sends $location only with a 201 or a redirect.
				ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, Location: `/api/v1/imports/${importId}` };
				return { id: importId, status: "queued", total };
			}
		},

		get: {
			rest: "GET /imports/:id",
			openapi: { responses: { 200: json(Operations.Import) } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: ImportsThis, ctx: RosterContext<IdParams>): Promise<ImportJSON> {
				const doc = await this.findImport(ctx, ctx.params.id);
				const errors: ImportRowError[] = await this.errorsOf(doc);
				return {
					id: doc._id,
					status: doc.status,
					counts: { total: doc.total, ...doc.counts },
					processed: doc.processed,
					errors: errors.slice(0, ERRORS_SHOWN),
					errorsTruncated: errors.length > ERRORS_SHOWN,
					createdBy: doc.actor.id,
					createdAt: doc.createdAt,
					finishedAt: doc.finishedAt,
					failure: doc.failure ?? null
				};
			}
		},

		/** Every row error as CSV: row, field, reason. */
		errorsCsv: {
			rest: "GET /imports/:id/errors.csv",
			openapi: { responses: { 200: csv("Every row that failed, with the field and the reason") } },
			auth: { roles: STAFF_ROLES },
			params: { $$strict: true, id },
			async handler(this: ImportsThis, ctx: RosterContext<IdParams>): Promise<string> {
				const doc = await this.findImport(ctx, ctx.params.id);
				const errors: ImportRowError[] = await this.errorsOf(doc);
				return sendCsv(
					ctx,
					`import-${doc._id}-errors.csv`,
					toCsv(
						["row", "field", "reason"],
						errors.map(e => [e.row, e.field, e.reason])
					)
				);
			}
		}
	},

	channels: {
		[ImportEvents.chunk]: {
			async handler(this: ImportsThis, event: DomainEvent<ChunkEvent>): Promise<void> {
				try {
					await this.processChunk(event.importId, event.chunk);
				} catch (err) {
					// Kept for the reason a dead-lettered chunk gives (below); the retry may still succeed.
					const lastError = String((err as Error)?.message ?? err).slice(0, 500);
					await this.adapter.updateMany({ _id: event.importId, nextChunk: event.chunk }, { $set: { lastError } }).catch(() => undefined);
					throw err;
				}
			}
		},

		/** A chunk that failed every retry: its import ends `failed` (another group's dead letter is not ours). */
		[DEAD_LETTER_CHANNEL]: {
			// As the dead-letters service's own subscription: no dead-letter queue of its own, long retries.
			maxRetries: 50,
			deadLettering: { enabled: false },
			async handler(this: ImportsThis, payload: DomainEvent<Partial<ChunkEvent>>, raw: unknown): Promise<void> {
				const origin = deadLetterOrigin(this.broker, raw);
				if (origin.group !== "imports" || origin.channel !== ImportEvents.chunk) return;
				if (typeof payload?.importId !== "string" || typeof payload.chunk !== "number") return;
				await this.chunkDead(payload.importId, payload.chunk);
			}
		}
	},

	methods: {
		async findImport(this: ImportsThis, ctx: RosterContext, importId: string): Promise<ImportDoc> {
			const doc: ImportDoc | null = await this.adapter.findOne({ _id: importId, tenantId: requireUser(ctx).tenantId });
			if (!doc) throw new NotFoundError("Import", importId);
			return doc;
		},

		async errorsOf(this: ImportsThis, doc: ImportDoc): Promise<ImportRowError[]> {
			const docs: ErrorsDoc[] = await this.store(ERRORS).find({ query: { importId: doc._id, tenantId: doc.tenantId } });
			// Only the chunks counted so far: a chunk redone after a crash has not added its errors twice.
			return (
				docs
					.filter(d => d.n < doc.nextChunk)
					.flatMap(d => d.errors)
					// Chunks hold the rows in dependency order (lib/imports/row-order.ts), not the file's.
					.sort((a, b) => a.row - b.row)
			);
		},

		/** The import stuck at chunk `n` (not one that moved on meanwhile) ends failed, saying why. */
		async chunkDead(this: ImportsThis, importId: string, n: number): Promise<void> {
			const doc: ImportDoc | null = await this.adapter.findById(importId);
			if (!doc || doc.nextChunk !== n || doc.status === "done") return;
			const chunk: ChunkDoc | null = await this.store(CHUNKS).findById(chunkId(importId, n));
			const rows = chunk?.rows.length ? `rows ${chunk.rows[0].row}–${chunk.rows[chunk.rows.length - 1].row}` : "its rows";
			const failure =
				`Chunk ${n + 1} of ${doc.chunks} (${rows} of the file) failed every retry` +
				`${doc.lastError ? `: ${doc.lastError}` : ""}. The rows before it are imported; replaying its dead letter resumes the import.`;
			const finishedAt = now();
			const marked = await this.adapter.updateMany(
				{ _id: importId, nextChunk: n, status: { $ne: "done" } },
				{ $set: { status: "failed", failure, finishedAt } }
			);
			if (marked !== 1) return;
			this.pushProgress({ ...doc, status: "failed", finishedAt, failure });
		},

		pushProgress(this: ImportsThis, doc: ImportDoc): void {
			const push: RealtimePush = {
				tenantId: doc.tenantId,
				userIds: [doc.actor.id],
				message: { type: "import.progress", importId: doc._id, status: doc.status, processed: doc.processed, total: doc.total, counts: doc.counts }
			};
			// A courtesy: GET /imports/:id has the same figures.
			this.broker.broadcast(RealtimeEvents.push, push).catch((err: Error) => this.logger.warn(`Progress push of import ${doc._id} failed:`, err.message));
		},

		/** One chunk, once: a delivery for a chunk already counted (a redelivery) does nothing. */
		async processChunk(this: ImportsThis, importId: string, n: number): Promise<void> {
			const doc: ImportDoc | null = await this.adapter.findById(importId);
			if (!doc || doc.nextChunk !== n || doc.status === "done") return;
			// Queued, or failed and now replayed: running again.
			if (doc.status !== "running") {
				await this.adapter.updateMany(
					{ _id: importId, nextChunk: n, status: doc.status },
					{ $set: { status: "running", failure: null, finishedAt: null } }
				);
			}
			const chunk: ChunkDoc | null = await this.store(CHUNKS).findById(chunkId(importId, n));
			if (!chunk) throw new Error(`Import ${importId} has no chunk ${n}`);
			const updating = new Set(chunk.updating ?? []);
			const journal: ChunkJournal = {
				updated: new Set(updating),
				willUpdate: async rows => {
					rows.forEach(row => updating.add(row));
					await this.store(CHUNKS).updateById(chunk._id, { $set: { updating: [...updating] } });
				}
			};
			const { counts, errors } = await importRows(
				this.broker,
				importId,
				{ meta: { user: doc.actor, clientIp: doc.clientIp ?? undefined }, requestID: doc.requestId ?? undefined },
				chunk.rows,
				journal
			);
			await testPause(importId, n);

			const errorsDoc: ErrorsDoc = { _id: chunkId(importId, n), tenantId: doc.tenantId, importId, n, errors };
			await this.store(ERRORS)
				.insert(errorsDoc)
				.catch(async (err: unknown) => {
					if (!isUniqueViolation(err)) throw err;
					await this.store(ERRORS).updateById(errorsDoc._id, { $set: { errors } });
				});

			const last = n + 1 >= doc.chunks;
			const processed = doc.processed + chunk.rows.length;
			const totals = {
				imported: doc.counts.imported + counts.imported,
				updated: doc.counts.updated + counts.updated,
				skipped: doc.counts.skipped + counts.skipped,
				failed: doc.counts.failed + counts.failed
			};
			const next = last
				? pendingEvent<ImportFinishedEvent>(ImportEvents.finished, doc.tenantId, {
						importId,
						userId: doc.actor.id,
						counts: { total: doc.total, ...totals }
					})
				: pendingEvent(ImportEvents.chunk, doc.tenantId, { importId, chunk: n + 1 });
			const set: Partial<ImportDoc> = {
				nextChunk: n + 1,
				processed,
				counts: totals,
				status: last ? "done" : "running",
				lastError: null,
				failure: null,
				finishedAt: last ? now() : null
			};
			// Counted once: only the delivery that finds the import still at this chunk moves it on.
			const moved = await this.adapter.updateMany({ _id: importId, nextChunk: n }, updateWithEvent({ $set: set }, next));
			if (moved !== 1) return;
			this.publishEvents(importId);
			if (last) await this.store(CHUNKS).removeMany({ importId, tenantId: doc.tenantId });
			this.pushProgress({ ...doc, ...set });
		}
	}
};

export default ImportsService;
