// Two or more extender replicas stay correct only if one of them admits at a time: each keeps its own
// assumed pods (bind.ts), so two replicas answering consecutive pods would each admit against the
// same free batch capacity. The Lease holder (kube/leader.ts) serves; a standby keeps its informers
// warm and answers as an extender that has not synced (batch closed, online and system open: it
// never admits batch), and /readyz says 503 so that a Service routes to the leader alone.
//
// A new leader waits one settle period before it serves: binds the previous leader made just before
// it released the Lease may still be on their way through this replica's informers.

import type { Clock } from '../core/clock.ts';
import type { ClusterState } from '../core/state.ts';
import type { Readiness, StateSource } from '../kube/source.ts';

export interface Leadership {
  isLeader(): boolean;
  /** Who holds the Lease as last seen ('' unknown or nobody). */
  holder(): string;
}

export class LeaderGatedSource implements StateSource {
  readonly #inner: StateSource;
  readonly #leadership: Leadership;
  readonly #clock: Clock;
  readonly #settleMs: number;
  readonly #lease: string;
  /** When (our clock) we last became leader; null while we are not. */
  #leadingSince: number | null = null;

  constructor(inner: StateSource, leadership: Leadership, opts: { clock: Clock; settleMs: number; lease: string }) {
    if (!(opts.settleMs >= 0)) throw new Error(`settle period must be >= 0 ms (got ${opts.settleMs})`);
    this.#inner = inner;
    this.#leadership = leadership;
    this.#clock = opts.clock;
    this.#settleMs = opts.settleMs;
    this.#lease = opts.lease;
  }

  get state(): ClusterState {
    return this.#inner.state;
  }

  /** The source under the gate (the watcher, for the bind verb's assumed pods). */
  get inner(): StateSource {
    return this.#inner;
  }

  /** Whether this replica answers the verbs now: it leads, has led for the settle period, and its state has synced. */
  serving(): boolean {
    return this.#role() === 'leader' && this.#inner.isSynced();
  }

  isSynced(): boolean {
    return this.serving();
  }

  async waitForSync(timeoutMs: number): Promise<void> {
    await this.#inner.waitForSync(timeoutMs);
  }

  readiness(): Readiness {
    const r = this.#inner.readiness();
    const role = this.#role();
    const holder = this.#leadership.holder();
    const details = { ...r.details, leaderElection: { lease: this.#lease, role, holder: holder || null } };
    if (!r.ready) return { ...r, details };
    if (role === 'standby') {
      return { ready: false, reason: `standby: the Lease ${this.#lease} is held by ${holder ? JSON.stringify(holder) : 'nobody yet'}; this replica admits no batch until it leads`, details };
    }
    if (role === 'settling') return { ready: false, reason: `leader since less than ${this.#settleMs} ms: waiting for the previous leader's last binds to reach the informers`, details };
    return { ready: true, reason: r.reason, details };
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  stop(): Promise<void> {
    return this.#inner.stop();
  }

  /** The elector's transitions, so that a lead lost and regained between two polls settles again. */
  noteLeadership(leading: boolean): void {
    this.#leadingSince = leading ? this.#clock.now() : null;
  }

  #role(): 'leader' | 'settling' | 'standby' {
    if (!this.#leadership.isLeader()) {
      this.#leadingSince = null;
      return 'standby';
    }
    const now = this.#clock.now();
    this.#leadingSince ??= now;
    return now - this.#leadingSince >= this.#settleMs ? 'leader' : 'settling';
  }
}
