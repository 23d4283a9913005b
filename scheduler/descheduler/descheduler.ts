// The descheduler's loop: each cycle takes the informers' current state, asks the core's planner for
// an eviction plan at the current time, and (when leading, and not in dry-run) carries it out through
// the Eviction API. Everything it decides comes from the core; this file schedules, limits and counts.

import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { planEvictions, type EvictionPlan, type PlannerConfig } from '../core/eviction-planner.ts';
import type { TokenBucket } from '../core/rate.ts';
import type { ProfileTimeline } from '../core/timeline.ts';
import { executePlan, type EvictionClient, type ExecutionResult } from './executor.ts';
import type { LeaderElector } from './leader.ts';
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
}

export interface CycleReport {
  /** Why nothing was planned, when nothing was. */
  skipped?: 'not-synced' | 'not-leader';
  plan?: EvictionPlan;
  execution?: ExecutionResult;
  durationMs: number;
}

export class Descheduler {
  readonly #o: DeschedulerOptions;
  #hotStreaks = new Map<string, number>();
  /** uid -> when the Eviction API accepted it. */
  readonly #inFlight = new Map<string, number>();

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
    const plan = planEvictions({
      state: o.source.state,
      timeline: o.timeline,
      now,
      config: o.planner,
      rateBudget: o.client ? o.rate.available(now) : Infinity,
      hotStreaks: this.#hotStreaks,
      inFlight: new Set(this.#inFlight.keys()),
      levelAt: o.levelAt?.(),
    });
    this.#hotStreaks = plan.hotStreaks;
    o.log.info({ evictions: plan.evictions.length, level: plan.level, skipped: Object.fromEntries(plan.skipped) }, 'eviction plan');
    if (!o.client || plan.evictions.length === 0) return done({ plan });
    const execution = await executePlan(plan.evictions, {
      client: o.client,
      now: () => o.clock.now(),
      stillLeading: o.elector ? () => o.elector!.isLeader() : undefined,
      onOutcome: (e, outcome, message) => {
        o.rate.take();
        if (outcome === 'evicted') this.#inFlight.set(e.pod.uid, o.clock.now());
        o.metrics?.eviction(e.reason, outcome);
        const fields = { pod: `${e.pod.namespace}/${e.pod.name}`, node: e.node, reason: e.reason, outcome };
        if (outcome === 'evicted') o.log.info(fields, e.message);
        else o.log.warn({ ...fields, error: message }, 'eviction not done');
      },
    });
    return done({ plan, execution });
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
    const ttl = this.#o.inFlightTtlMs ?? 5 * 60_000;
    for (const [uid, at] of this.#inFlight) {
      const pod = this.#o.source.state.pods.get(uid);
      if (!pod || pod.terminating || now - at > ttl) this.#inFlight.delete(uid);
    }
  }
}
