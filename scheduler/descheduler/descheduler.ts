// The descheduler's loop: each cycle takes the informers' current state, asks the core's planner for
// an eviction plan at the current time, and (when leading, and not in dry-run) carries it out through
// the Eviction API. Everything it decides comes from the core; this file schedules, limits and counts.
//
// Faults: with a ledger (ledger.ts), the rate limit is replayed from the Lease each cycle and the plan
// is reserved there before the first eviction, so a crash, a restart or a new leader never evicts
// more in the window than the limits allow; when the ledger cannot be read or written the cycle
// evicts nothing. An eviction whose outcome is unknown (an apiserver error or timeout) counts as
// leaving for a short while, so that the next plan does not pick a second pod for the same need
// before the informer shows whether the first one went.

import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { planEvictions, type EvictionPlan, type PlannerConfig } from '../core/descheduling/plan.ts';
import type { ForecastBook } from '../core/forecast/book.ts';
import type { TokenBucket } from '../core/rate.ts';
import type { ProfileTimeline } from '../core/timeline.ts';
import { executePlan, type EvictionClient, type ExecutionResult } from './executor.ts';
import type { LeaderElector } from '../kube/leader.ts';
import { LedgerUnavailable, type EvictionLedger, type Reservation } from './ledger.ts';
import type { DeschedulerMetrics } from './metrics.ts';
import type { StateSource } from '../kube/source.ts';

export interface DeschedulerOptions {
  /** The shared informers (scheduler/kube) or a static snapshot; only the state and isSynced are used. */
  source: Pick<StateSource, 'state' | 'isSynced'>;
  timeline: ProfileTimeline;
  planner: PlannerConfig;
  /** null in dry-run: nothing is ever sent. */
  client: EvictionClient | null;
  clock: Clock;
  rate: TokenBucket;
  /** null: act without election (one-shot Jobs, dry runs). */
  elector: LeaderElector | null;
  log: Logger;
  metrics?: DeschedulerMetrics;
  /** Rehearse the level of another instant (dry-run --at). */
  levelAt?: () => number;
  /** How long an accepted eviction counts as in flight if the informer never shows the pod leave. */
  inFlightTtlMs?: number;
  /** How long an eviction with an unknown outcome (error, timeout) counts as in flight; default 30 s. */
  uncertainTtlMs?: number;
  /** Durable rate-limit ledger (the Lease); null or absent: the in-memory bucket alone. */
  ledger?: EvictionLedger | null;
  /** Each apiserver call of the executor must answer within this; default 10 s. */
  callTimeoutMs?: number;
  /** The forecast book the forecast drain reads (planner.forecast); kept across cycles (forecast errors). */
  book?: ForecastBook;
}

export interface CycleReport {
  /** Why nothing was planned, when nothing was. */
  skipped?: 'not-synced' | 'not-leader' | 'ledger-unavailable';
  plan?: EvictionPlan;
  execution?: ExecutionResult;
  /** Evictions the ledger granted this cycle (the plan is cut to it). */
  reserved?: number;
  durationMs: number;
}

export class Descheduler {
  readonly #o: DeschedulerOptions;
  #hotStreaks = new Map<string, number>();
  /** uid -> when the Eviction API accepted it (or its outcome became unknown), and for how long it counts. */
  readonly #inFlight = new Map<string, { at: number; ttl: number }>();

  constructor(opts: DeschedulerOptions) {
    this.#o = opts;
  }

  async cycle(): Promise<CycleReport> {
    const o = this.#o;
    const started = performance.now();
    const done = (r: Omit<CycleReport, 'durationMs'>): CycleReport => {
      const report = { ...r, durationMs: performance.now() - started };
      o.metrics?.cycle(report);
      return report;
    };
    if (!o.source.isSynced()) {
      o.log.warn('cluster state not synced yet; skipping this cycle');
      return done({ skipped: 'not-synced' });
    }
    if (o.elector && !o.elector.isLeader()) return done({ skipped: 'not-leader' });
    const now = o.clock.now();
    this.#pruneInFlight(now);
    const acting = o.client !== null;
    let rateBudget = acting ? o.rate.available(now) : Infinity;
    if (acting && o.ledger) {
      try {
        rateBudget = await o.ledger.available(now);
      } catch (e) {
        return done(this.#ledgerDown(e));
      }
    }
    const plan = planEvictions({
      state: o.source.state,
      timeline: o.timeline,
      now,
      config: o.planner,
      rateBudget,
      hotStreaks: this.#hotStreaks,
      inFlight: new Set(this.#inFlight.keys()),
      levelAt: o.levelAt?.(),
      book: o.book,
    });
    this.#hotStreaks = plan.hotStreaks;
    o.log.info({ evictions: plan.evictions.length, level: plan.level, skipped: Object.fromEntries(plan.skipped) }, 'eviction plan');
    if (!o.client || plan.evictions.length === 0) return done({ plan });
    let evictions = plan.evictions;
    let reservation: Reservation | null = null;
    if (o.ledger) {
      // Write-ahead: the plan is on record before the first eviction is sent.
      try {
        reservation = await o.ledger.reserve(now, evictions.length);
      } catch (e) {
        return done({ ...this.#ledgerDown(e), plan });
      }
      if (reservation.entry.n < evictions.length) {
        o.log.warn({ planned: evictions.length, granted: reservation.entry.n }, 'the eviction ledger granted less than planned (another replica evicted meanwhile); the rest waits');
        evictions = evictions.slice(0, reservation.entry.n);
      }
    }
    const execution = await executePlan(evictions, {
      client: o.client,
      now: () => o.clock.now(),
      callTimeoutMs: o.callTimeoutMs,
      stillLeading: o.elector ? () => o.elector!.isLeader() : undefined,
      onOutcome: (e, outcome, message) => {
        o.rate.take();
        if (outcome === 'evicted') this.#inFlight.set(e.pod.uid, { at: o.clock.now(), ttl: o.inFlightTtlMs ?? 5 * 60_000 });
        // Unknown: it may have been evicted. Count it as leaving until the informer can tell.
        else if (outcome === 'error') this.#inFlight.set(e.pod.uid, { at: o.clock.now(), ttl: o.uncertainTtlMs ?? 30_000 });
        o.metrics?.eviction(e.reason, outcome);
        const fields = { pod: `${e.pod.namespace}/${e.pod.name}`, node: e.node, reason: e.reason, outcome };
        if (outcome === 'evicted') o.log.info(fields, e.message);
        else o.log.warn({ ...fields, error: message }, 'eviction not done');
      },
    });
    if (o.ledger && reservation) {
      const settled = await o.ledger.settle(reservation, execution.attempted, o.clock.now());
      if (!settled) o.log.warn({ reserved: reservation.entry.n, attempted: execution.attempted }, 'could not settle the eviction ledger; the whole reservation keeps counting against the rate limit');
    }
    return done({ plan, execution, ...(reservation ? { reserved: reservation.entry.n } : {}) });
  }

  #ledgerDown(e: unknown): Omit<CycleReport, 'durationMs'> {
    if (!(e instanceof LedgerUnavailable)) throw e;
    this.#o.log.error({ err: e.message }, 'eviction ledger unavailable: evicting nothing this cycle');
    return { skipped: 'ledger-unavailable' };
  }

  /** Cycles every intervalMs until the signal aborts. A failing cycle is logged and the loop goes on. */
  async run(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const t0 = Date.now();
      try {
        await this.cycle();
      } catch (e) {
        this.#o.log.error({ err: e }, 'descheduler cycle failed');
      }
      const wait = Math.max(0, intervalMs - (Date.now() - t0));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  /** Evictions the informer has caught up with (pod terminating or gone) or that are too old stop counting. */
  #pruneInFlight(now: number): void {
    for (const [uid, f] of this.#inFlight) {
      const pod = this.#o.source.state.pods.get(uid);
      if (!pod || pod.terminating || now - f.at > f.ttl) this.#inFlight.delete(uid);
    }
  }
}
