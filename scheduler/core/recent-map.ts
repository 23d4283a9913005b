// A map that keeps its `max` most recently written or read entries (least recently used dropped
// first): lru-cache's get / peek / set semantics for the learned stores that are read per pod in the
// hot loops (runtime estimates, batch usage ratios). lru-cache's peek builds an options object and
// checks its diagnostics channel on every call, which was a tenth of a batch-heavy replay; here a
// peek is one Map lookup. Recency is the Map's insertion order: a read or write moves the key last.

export class RecentMap<K, V> {
  readonly max: number;
  readonly #map = new Map<K, V>();
  readonly #onEvict: ((value: V, key: K) => void) | undefined;

  constructor(max: number, onEvict?: (value: V, key: K) => void) {
    if (!(Number.isInteger(max) && max >= 1)) throw new Error(`RecentMap max must be a positive integer (got ${max})`);
    this.max = max;
    this.#onEvict = onEvict;
  }

  /** The value, marked most recently used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  /** The value, its recency untouched. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Sets the value as most recently used; a new key past `max` drops the least recently used first. */
  set(key: K, value: V): void {
    if (this.#map.has(key)) this.#map.delete(key);
    else if (this.#map.size >= this.max) {
      const [oldKey, oldValue] = this.#map.entries().next().value!;
      this.#map.delete(oldKey);
      this.#onEvict?.(oldValue, oldKey);
    }
    this.#map.set(key, value);
  }

  /** The values, least recently used first; recency untouched. */
  values(): IterableIterator<V> {
    return this.#map.values();
  }

  get size(): number {
    return this.#map.size;
  }
}
