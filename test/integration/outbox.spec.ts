/**
 * The outbox and the handled-event records on every backend that can run here (NeDB always,
 * PostgreSQL when it answers, MongoDB when MONGO_URI is set), as storage.spec.ts does for the
 * Store: an event is stored only with a write that happened, is published once the relay gets
 * to it, in order and numbered, survives a failed publish, and is not published twice by two
 * relays sweeping at once.
 */
import { type LoggerInstance, ServiceBroker } from "moleculer";
import { type Config, loadConfig } from "../../lib/config";
import type { DomainEvent } from "../../lib/channels/events";
import { handleOnce } from "../../lib/channels/handled";
import { OUTBOX_INDEX, insertWithEvent, pendingEvent, updateWithEvent } from "../../lib/channels/outbox";
import { OutboxRelay, type RelayTiming } from "../../lib/channels/outbox-relay";
import { type DbService, DbMixin } from "../../mixins/db.mixin";
import { describeWith } from "../support/external";
import { dropSchema, freshSchemaUrl } from "../support/postgres";

const suffix = Date.now().toString(36);
const TIMING: RelayTiming = { graceMs: 100, leaseMs: 5000, batch: 100 };
const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

interface Published {
	channel: string;
	event: DomainEvent;
}

function outboxContract(backend: string, makeConfig: () => Config, cleanUp: () => Promise<void> = async () => undefined): void {
	describe(`outbox on ${backend}`, () => {
		const broker = new ServiceBroker({ logger: false });
		const service = broker.createService({
			name: "boxes",
			mixins: [DbMixin("boxes", { name: `boxes_${suffix}`, indexes: [OUTBOX_INDEX] }, [{ name: `boxes_handled_${suffix}` }], { config: makeConfig() })]
		}) as DbService;
		const logger = broker.getLogger("outbox") as LoggerInstance;
		const tenantId = "t-1";

		/** A relay whose publishes are recorded; `fail` decides, per publish, to fail it; `during` runs inside each. */
		function relay(
			published: Published[],
			fail: (p: Published) => boolean = () => false,
			delayMs = 0,
			during?: (p: Published) => Promise<void>
		): OutboxRelay {
			return new OutboxRelay(
				service.adapter,
				async (channel, event) => {
					if (delayMs) await pause(delayMs);
					await during?.({ channel, event });
					if (fail({ channel, event })) throw new Error("the channel is away");
					published.push({ channel, event });
				},
				logger,
				TIMING
			);
		}
		const thing = (name: string) => ({ _id: service.newId(), tenantId, name, status: "open" });
		const event = (name: string) => pendingEvent("things.changed", tenantId, { name });

		beforeAll(() => broker.start());
		afterAll(async () => {
			await broker.stop();
			await cleanUp();
		});

		it("keeps an event only with a write that happened, and publishes it in order, numbered, once", async () => {
			const published: Published[] = [];
			const relays = relay(published);
			const doc = thing("first");
			await service.adapter.insert(insertWithEvent(doc, event("created")));
			relays.flush(doc._id);
			await relays.drain();

			// A conditional write that matches nothing stores no event either.
			expect(await service.adapter.updateMany({ _id: doc._id, status: "closed" }, updateWithEvent({ $set: { status: "reopened" } }, event("lost")))).toBe(
				0
			);
			expect(await service.adapter.updateMany({ _id: doc._id, status: "open" }, updateWithEvent({ $set: { status: "closed" } }, event("closed")))).toBe(
				1
			);
			relays.flush(doc._id);
			await relays.drain();
			await pause(TIMING.graceMs * 2);
			await relays.sweep();

			expect(published.map(p => [p.event.name, p.event.seq])).toEqual([
				["created", 1],
				["closed", 2]
			]);
			expect(published.every(p => p.channel === "things.changed" && p.event.tenantId === tenantId && typeof p.event.eventId === "string")).toBe(true);
			const stored = await service.adapter.findById(doc._id);
			expect(stored).toMatchObject({ status: "closed", _outboxSeq: 2 });
			expect(stored._outbox).toBeUndefined();
			expect(stored._outboxSince).toBeUndefined();
		});

		it("leaves an event whose publish failed for a sweep after the grace period, which publishes it once", async () => {
			const published: Published[] = [];
			let failures = 1;
			const relays = relay(published, () => failures-- > 0);
			const doc = thing("unlucky");
			await service.adapter.insert(insertWithEvent(doc, event("created")));
			relays.flush(doc._id);
			await relays.drain();
			expect(published).toEqual([]);
			expect((await service.adapter.findById(doc._id))._outbox).toHaveLength(1);

			// Too early: the writer may still be at it.
			expect(await relays.sweep()).toBe(0);
			await pause(TIMING.graceMs * 2);
			expect(await relays.sweep()).toBeGreaterThanOrEqual(1);
			expect(published.filter(p => p.event.name === "created" && (p.event as { eventId: string }).eventId)).toHaveLength(1);
			expect(await relays.sweep()).toBe(0);
			expect((await service.adapter.findById(doc._id))._outbox).toBeUndefined();
		});

		it("removes a note (a document that only carries events) once its events are out, and keeps one whose publish failed", async () => {
			const published: Published[] = [];
			let failures = 1;
			const notes = new OutboxRelay(
				service.adapter,
				async (channel, event) => {
					if (failures-- > 0) throw new Error("the channel is away");
					published.push({ channel, event });
				},
				logger,
				TIMING,
				{ notes: true }
			);
			const unlucky = { _id: service.newId(), tenantId, at: new Date().toISOString() };
			await service.adapter.insert(insertWithEvent(unlucky, event("removed-1")));
			notes.flush(unlucky._id);
			await notes.drain();
			expect(await service.adapter.findById(unlucky._id)).toMatchObject({ _outbox: [expect.anything()] });

			const note = { _id: service.newId(), tenantId, at: new Date().toISOString() };
			await service.adapter.insert(insertWithEvent(note, event("removed-2")));
			notes.flush(note._id);
			await notes.drain();
			await pause(TIMING.graceMs * 2);
			await notes.sweep();
			expect(published.map(p => p.event.name).sort()).toEqual(["removed-1", "removed-2"]);
			expect(await service.adapter.findById(unlucky._id)).toBeNull();
			expect(await service.adapter.findById(note._id)).toBeNull();
		});

		it("removes the notes an older version left behind, emptied, and none that still waits", async () => {
			const left = { _id: service.newId(), tenantId, at: "2026-01-01T00:00:00.000Z" };
			const waiting = { _id: service.newId(), tenantId, at: new Date().toISOString() };
			await service.adapter.insert(left);
			await service.adapter.insert(insertWithEvent(waiting, event("waits")));
			const notes = new OutboxRelay(service.adapter, async () => undefined, logger, TIMING, { notes: true });
			expect(await notes.removePublishedNotes()).toBeGreaterThanOrEqual(1);
			expect(await service.adapter.findById(left._id)).toBeNull();
			expect(await service.adapter.findById(waiting._id)).toMatchObject({ _outbox: [expect.anything()] });
			// A relay of documents that live on leaves them all.
			await service.adapter.insert({ ...left });
			expect(await relay([]).removePublishedNotes()).toBe(0);
			expect(await service.adapter.findById(left._id)).not.toBeNull();
			await service.adapter.removeMany({ _id: { $in: [left._id, waiting._id] } });
		});

		it("two relays sweeping at once publish each event once (the claim), and neither loses one", async () => {
			const published: Published[] = [];
			const docs = Array.from({ length: 12 }, (_, i) => thing(`bulk-${i}`));
			for (const doc of docs) await service.adapter.insert(insertWithEvent(doc, event(doc.name)));
			await pause(TIMING.graceMs * 2);
			await Promise.all([relay(published, () => false, 3).sweep(), relay(published, () => false, 3).sweep()]);
			const mine = published.filter(p => String(p.event.name).startsWith("bulk-"));
			expect(mine.map(p => p.event.name).sort()).toEqual(docs.map(d => d.name).sort());
			expect(new Set(mine.map(p => p.event.eventId)).size).toBe(docs.length);
		});

		it("an event written while its document's events are being published is not lost", async () => {
			const published: Published[] = [];
			const doc = thing("busy");
			await service.adapter.insert(insertWithEvent(doc, event("created")));
			let wroteMeanwhile = false;
			const relays = relay(
				published,
				() => false,
				0,
				async p => {
					if (p.event.name !== "created" || wroteMeanwhile) return;
					wroteMeanwhile = true;
					// Another writer, between the relay's claim and its removal of what it published.
					await service.adapter.updateMany({ _id: doc._id }, updateWithEvent({ $set: { status: "busy" } }, event("updated")));
				}
			);
			relays.flush(doc._id);
			await relays.drain();
			await pause(TIMING.graceMs * 2);
			await relays.sweep();
			// The first publish happened, the removal did not (a new event had arrived): both went out after.
			expect(published.map(p => p.event.name)).toEqual(["created", "created", "updated"]);
			expect(published.map(p => p.event.seq)).toEqual([1, 1, 2]);
			expect((await service.adapter.findById(doc._id))._outbox).toBeUndefined();
		});

		it("a consumer group runs an effect once per event id, again after a failed effect, and per group", async () => {
			const store = service.store(`boxes_handled_${suffix}`);
			const [first] = [event("handled").event];
			let runs = 0;
			const effect = async () => {
				runs++;
			};
			expect(await handleOnce(store, "billing", first, effect)).toBe("handled");
			expect(await handleOnce(store, "billing", first, effect)).toBe("duplicate");
			expect(runs).toBe(1);
			expect(await handleOnce(store, "audit", first, effect)).toBe("handled");
			expect(runs).toBe(2);

			const second = event("flaky").event;
			await expect(
				handleOnce(store, "billing", second, async () => {
					throw new Error("down");
				})
			).rejects.toThrow("down");
			expect(await handleOnce(store, "billing", second, effect)).toBe("handled");
			expect(runs).toBe(3);
		});
	});
}

outboxContract("NeDB", () => loadConfig({}));

describeWith(["postgres"], "on PostgreSQL", () => {
	const databaseUrl = freshSchemaUrl("outbox");
	outboxContract(
		"PostgreSQL",
		() => loadConfig({ DATABASE_URL: databaseUrl }),
		() => dropSchema(databaseUrl)
	);
});

if (process.env.MONGO_URI) {
	outboxContract("MongoDB", () => loadConfig({ MONGO_URI: process.env.MONGO_URI }));
}
