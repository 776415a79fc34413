/**
 * A Map, as far as Moleculer's transit uses one for its pending requests, kept in a dictionary
 * object (string keys only): for a table that entries pass through at the rate of requests.
 *
 * Why not a Map: one that many entries pass through moves to a new hash table every few dozen
 * additions and deletions, and V8 leaves the old table pointing to the new one and to the
 * entries it held, for iterators still walking it. Once one table has lived long enough to be
 * promoted to the old generation, the scavenger keeps whatever it points to: the next table and
 * the entries both held, which are promoted in turn and point on. For the transit those entries
 * are whole requests: their contexts, params and answers. Two brokers calling each other over
 * NATS promoted an eighth of all the caller allocated so (docs/benchmarks.md, "What kept
 * requests alive"). A dictionary object's old backing store points nowhere but to its own entries.
 */
export class DictionaryMap<V> {
	private entries: Record<string, V> = Object.create(null);
	private count = 0;

	get size(): number {
		return this.count;
	}

	has(key: string): boolean {
		return key in this.entries;
	}

	get(key: string): V | undefined {
		return this.entries[key];
	}

	set(key: string, value: V): this {
		if (!(key in this.entries)) this.count++;
		this.entries[key] = value;
		return this;
	}

	delete(key: string): boolean {
		if (!(key in this.entries)) return false;
		delete this.entries[key];
		this.count--;
		return true;
	}

	clear(): void {
		this.entries = Object.create(null);
		this.count = 0;
	}

	/** As Map's: the callback may delete entries (Moleculer rejects a gone node's requests so); those not yet visited are skipped. */
	forEach(callback: (value: V, key: string, map: this) => void): void {
		for (const [key, value] of this.entriesNow()) callback(value, key, this);
	}

	keys(): IterableIterator<string> {
		return (function* (entries) {
			for (const [key] of entries) yield key;
		})(this.entriesNow());
	}

	values(): IterableIterator<V> {
		return (function* (entries) {
			for (const [, value] of entries) yield value;
		})(this.entriesNow());
	}

	[Symbol.iterator](): IterableIterator<[string, V]> {
		return this.entriesNow();
	}

	/** Over the keys present when it starts, skipping those deleted meanwhile. */
	private *entriesNow(): IterableIterator<[string, V]> {
		for (const key of Object.keys(this.entries)) if (key in this.entries) yield [key, this.entries[key]];
	}
}
