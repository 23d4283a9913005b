// The eviction ledger: what the descheduler has evicted recently, kept in an annotation of its Lease
// (tidal.io/eviction-ledger), so that the rate limit survives a crash, a restart, a change of leader
// and the one-shot mode (a CronJob run is a new process every time).
//
// Write-ahead: before a cycle sends any eviction, it reserves the plan's size in the ledger (a
// conditional update of the Lease); afterwards it settles the entry to the number of evictions it
// actually attempted. A process that dies in between leaves the reservation standing, so the next
// process (or leader) counts the whole plan as spent: it can never evict more in the window than the
// limits allow, only less. If the ledger cannot be read or written (apiserver errors, timeouts), the
// cycle evicts nothing: no half-applied state, the next cycle tries again.
//
// The rate limit is a token bucket (core/rate.ts); its state at any instant follows from the
// evictions before it, so each cycle replays the ledger into a fresh bucket: a full bucket at the
// oldest entry, refilled between entries, one token per attempt. Entries older than the time a
// bucket takes to refill from empty can no longer matter and are dropped.

import type { V1Lease } from '@kubernetes/client-node';
import { TokenBucket } from '../core/rate.ts';
import { ConflictError, type LeaseStore } from '../kube/leader.ts';

export const LEDGER_ANNOTATION = 'tidal.io/eviction-ledger';

export interface LedgerEntry {
  /** When the cycle reserved it (ms since the epoch). */
  at: number;
  /** Evictions reserved (while open) or attempted (once settled). */
  n: number;
  /** Reserved but not settled: the cycle is running, or its process died. */
  open: boolean;
  /** Who wrote it (the replica's identity), for humans reading the Lease. */
  by: string;
}

export class LedgerUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerUnavailable';
  }
}

export interface LedgerOptions {
  leaseName: string;
  namespace: string;
  identity: string;
  /** The rate limit the ledger serves (to know how far back entries matter). */
  perMinute: number;
  burst: number;
  /** Each Lease call must answer within this; default 5 s. */
  callTimeoutMs?: number;
  /** At most this many entries are kept; default 256 (oldest dropped; their evictions stop counting). */
  maxEntries?: number;
}

/** Encoded compactly: [[at, n, open(0|1), by], ...]. */
export function parseLedger(text: string | undefined): LedgerEntry[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new LedgerUnavailable(`annotation ${LEDGER_ANNOTATION} is not JSON: ${text.slice(0, 80)}`);
  }
  if (!Array.isArray(raw)) throw new LedgerUnavailable(`annotation ${LEDGER_ANNOTATION} must be a JSON array`);
  const out: LedgerEntry[] = [];
  for (const e of raw) {
    if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'number' || !(e[1] >= 0)) throw new LedgerUnavailable(`annotation ${LEDGER_ANNOTATION}: bad entry ${JSON.stringify(e)}`);
    out.push({ at: e[0], n: e[1], open: e[2] === 1, by: typeof e[3] === 'string' ? e[3] : '' });
  }
  return out.sort((a, b) => a.at - b.at);
}

export function formatLedger(entries: readonly LedgerEntry[]): string {
  return JSON.stringify(entries.map((e) => [e.at, e.n, e.open ? 1 : 0, e.by]));
}

/** The bucket as the ledger's evictions left it: full at the oldest entry, then refills and takes. */
export function replay(entries: readonly LedgerEntry[], perMinute: number, burst: number): TokenBucket {
  const bucket = new TokenBucket(perMinute, burst);
  for (const e of entries) {
    bucket.available(e.at);
    bucket.take(e.n);
  }
  return bucket;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new LedgerUnavailable(`${what}: no answer within ${ms} ms`)), ms);
      t.unref();
    }),
  ]).finally(() => clearTimeout(t));
}

export interface Reservation {
  entry: LedgerEntry;
  /** Tokens the window had left before this reservation. */
  available: number;
}

export class EvictionLedger {
  readonly #store: LeaseStore;
  readonly #o: Required<LedgerOptions>;

  constructor(store: LeaseStore, o: LedgerOptions) {
    this.#store = store;
    this.#o = { callTimeoutMs: 5000, maxEntries: 256, ...o };
  }

  /** How far back an entry can still affect the bucket (ms). */
  get windowMs(): number {
    return this.#o.perMinute > 0 ? Math.ceil((this.#o.burst / this.#o.perMinute) * 60_000) : Infinity;
  }

  async #get(): Promise<V1Lease | null> {
    try {
      return await withTimeout(this.#store.get(), this.#o.callTimeoutMs, `reading Lease ${this.#o.namespace}/${this.#o.leaseName}`);
    } catch (e) {
      throw e instanceof LedgerUnavailable ? e : new LedgerUnavailable(`reading Lease ${this.#o.namespace}/${this.#o.leaseName}: ${(e as Error).message}`);
    }
  }

  /** The entries that still count at `now`. Throws LedgerUnavailable when the Lease cannot be read. */
  async entries(now: number): Promise<LedgerEntry[]> {
    const lease = await this.#get();
    return this.#live(parseLedger(lease?.metadata?.annotations?.[LEDGER_ANNOTATION]), now);
  }

  /** Tokens the rate limit has left at `now`, from the ledger. */
  async available(now: number): Promise<number> {
    return replay(await this.entries(now), this.#o.perMinute, this.#o.burst).available(now);
  }

  /**
   * Reserves up to `want` evictions at `now`, as many as the rate limit (replayed from the ledger)
   * allows, in one conditional update of the Lease; retried on a conflict (the elector renews the
   * same Lease). Returns the reservation, or throws LedgerUnavailable: then nothing may be evicted.
   */
  async reserve(now: number, want: number): Promise<Reservation> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const lease = await this.#get();
      const entries = this.#live(parseLedger(lease?.metadata?.annotations?.[LEDGER_ANNOTATION]), now);
      const available = Math.max(0, replay(entries, this.#o.perMinute, this.#o.burst).available(now));
      const entry: LedgerEntry = { at: now, n: Math.min(want, available), open: true, by: this.#o.identity };
      if (entry.n === 0) return { entry, available };
      try {
        await this.#write(lease, [...entries, entry]);
        return { entry, available };
      } catch (e) {
        if (e instanceof ConflictError) continue;
        throw e instanceof LedgerUnavailable ? e : new LedgerUnavailable(`writing the eviction ledger: ${(e as Error).message}`);
      }
    }
    throw new LedgerUnavailable('writing the eviction ledger: the Lease kept changing (5 conflicts)');
  }

  /** Records what a reservation turned into (attempted <= reserved). Best effort: on failure the reservation stands. */
  async settle(r: Reservation, attempted: number, now: number): Promise<boolean> {
    if (r.entry.n === 0) return true;
    for (let attempt = 0; attempt < 5; attempt++) {
      let lease: V1Lease | null;
      try {
        lease = await this.#get();
      } catch {
        return false;
      }
      const entries = this.#live(parseLedger(lease?.metadata?.annotations?.[LEDGER_ANNOTATION]), now);
      const mine = entries.find((e) => e.at === r.entry.at && e.by === r.entry.by && e.open);
      if (!mine) return false;
      mine.n = Math.min(mine.n, attempted);
      mine.open = false;
      try {
        await this.#write(lease, entries);
        return true;
      } catch (e) {
        if (e instanceof ConflictError) continue;
        return false;
      }
    }
    return false;
  }

  #live(entries: LedgerEntry[], now: number): LedgerEntry[] {
    const from = now - this.windowMs;
    const live = entries.filter((e) => e.at >= from && e.n > 0);
    return live.length > this.#o.maxEntries ? live.slice(live.length - this.#o.maxEntries) : live;
  }

  async #write(lease: V1Lease | null, entries: readonly LedgerEntry[]): Promise<void> {
    const annotations = { ...lease?.metadata?.annotations, [LEDGER_ANNOTATION]: formatLedger(entries) };
    const what = `writing Lease ${this.#o.namespace}/${this.#o.leaseName}`;
    if (lease === null) {
      // No Lease yet (one-shot mode, or before the first election): create one that holds only the ledger.
      await withTimeout(
        this.#store.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#o.leaseName, namespace: this.#o.namespace, annotations }, spec: {} }),
        this.#o.callTimeoutMs,
        what,
      );
      return;
    }
    await withTimeout(this.#store.replace({ ...lease, metadata: { ...lease.metadata, annotations } }), this.#o.callTimeoutMs, what);
  }
}
