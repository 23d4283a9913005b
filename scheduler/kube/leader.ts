// Leader election over a coordination.k8s.io/v1 Lease, with client-go's semantics: one holder at a
// time; the holder renews every retry period; others take over only after the lease has gone
// unrenewed for its full duration as measured on THEIR clock (they time how long the record they
// observe stays unchanged, so clock skew between replicas does not matter); updates carry the
// resourceVersion, so two replicas racing for the lease cannot both win. A leader that cannot renew
// within the renew deadline stops acting before anyone else may take over.

import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.ts';

/** The three Lease calls election needs; a 409 Conflict must be thrown as ConflictError. */
export interface LeaseStore {
  get(): Promise<V1Lease | null>;
  create(lease: V1Lease): Promise<V1Lease>;
  replace(lease: V1Lease): Promise<V1Lease>;
}

export class ConflictError extends Error {
  constructor(message = 'lease changed concurrently (409 Conflict)') {
    super(message);
    this.name = 'ConflictError';
  }
}

export interface ElectionConfig {
  identity: string;
  leaseName: string;
  namespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's (and kube-scheduler's) defaults. */
export const DEFAULT_TIMINGS: Pick<ElectionConfig, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'> = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** Where Tidal's components keep their Leases (the namespace of the shipped deploy). */
export const DEFAULT_LEASE_NAMESPACE = 'tidal-system';

export class LeaderElector {
  readonly #store: LeaseStore;
  readonly #cfg: ElectionConfig;
  readonly #clock: Clock;
  readonly #onChange: (leading: boolean) => void;
  /** The record we last observed and when (our clock) it last changed. */
  #observed: { key: string; at: number } | null = null;
  /** When we last renewed successfully (our clock); leadership lapses renewDeadline after it. */
  #renewedAt = -Infinity;
  #leading = false;
  /** holderIdentity of the Lease as last read or written ('' if none or not read yet). */
  #holder = '';
  /** Transitions we performed, for metrics. */
  transitions = 0;

  constructor(store: LeaseStore, cfg: ElectionConfig, clock: Clock, onChange: (leading: boolean) => void = () => {}) {
    if (cfg.renewDeadlineMs >= cfg.leaseDurationMs) throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    if (cfg.retryPeriodMs >= cfg.renewDeadlineMs) throw new Error('leader election: retryPeriod must be shorter than renewDeadline');
    this.#store = store;
    this.#cfg = cfg;
    this.#clock = clock;
    this.#onChange = onChange;
  }

  /** True only while a renewal inside the renew deadline backs our leadership. */
  isLeader(): boolean {
    if (this.#leading && this.#clock.now() - this.#renewedAt > this.#cfg.renewDeadlineMs) this.#setLeading(false);
    return this.#leading;
  }

  /** Who held the Lease when we last looked ('' if nobody or not known yet). */
  holder(): string {
    return this.#holder;
  }

  get config(): Readonly<ElectionConfig> {
    return this.#cfg;
  }

  /** One attempt to acquire or renew; returns whether we lead afterwards. Errors count as a failed attempt. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#clock.now();
    const micro = new V1MicroTime(now);
    try {
      const current = await this.#store.get();
      if (current === null) {
        await this.#store.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.#cfg.leaseName, namespace: this.#cfg.namespace },
          spec: this.#spec(micro, micro, 0),
        });
        return this.#won(now);
      }
      const spec = current.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      this.#holder = holder;
      const key = `${holder}|${spec.renewTime ? new Date(spec.renewTime).getTime() : ''}|${current.metadata?.resourceVersion ?? ''}`;
      if (this.#observed?.key !== key) this.#observed = { key, at: now };
      const durationMs = (spec.leaseDurationSeconds ?? this.#cfg.leaseDurationMs / 1000) * 1000;
      const expired = holder === '' || now - this.#observed.at > durationMs;
      if (holder !== this.#cfg.identity && !expired) return this.#lost();
      const transitions = (spec.leaseTransitions ?? 0) + (holder === this.#cfg.identity ? 0 : 1);
      const acquire = holder === this.#cfg.identity && spec.acquireTime ? new V1MicroTime(new Date(spec.acquireTime).getTime()) : micro;
      const updated = await this.#store.replace({
        ...current,
        spec: this.#spec(acquire, micro, transitions),
      });
      this.#observed = { key: `${this.#cfg.identity}|${now}|${updated.metadata?.resourceVersion ?? ''}`, at: now };
      return this.#won(now);
    } catch {
      // Conflicts and API errors alike: we did not renew; leadership lapses at the renew deadline.
      return this.isLeader();
    }
  }

  /** Runs the election until the signal aborts, then releases the lease if we hold it. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tryAcquireOrRenew();
      await sleep(this.#cfg.retryPeriodMs, signal);
    }
    await this.release();
  }

  /** Gives the lease up at once (on shutdown), so that another replica need not wait it out. */
  async release(): Promise<void> {
    if (!this.#leading) return;
    this.#setLeading(false);
    try {
      const current = await this.#store.get();
      if (current?.spec?.holderIdentity !== this.#cfg.identity) return;
      await this.#store.replace({ ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
    } catch {
      // Best effort: the lease expires by itself.
    }
  }

  #spec(acquire: V1MicroTime, renew: V1MicroTime, transitions: number): V1Lease['spec'] {
    return {
      holderIdentity: this.#cfg.identity,
      leaseDurationSeconds: Math.ceil(this.#cfg.leaseDurationMs / 1000),
      acquireTime: acquire,
      renewTime: renew,
      leaseTransitions: transitions,
    };
  }

  #won(now: number): boolean {
    this.#holder = this.#cfg.identity;
    this.#renewedAt = now;
    this.#setLeading(true);
    return true;
  }

  #lost(): boolean {
    this.#setLeading(false);
    return false;
  }

  #setLeading(v: boolean): void {
    if (v === this.#leading) return;
    this.#leading = v;
    this.transitions++;
    this.#onChange(v);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
