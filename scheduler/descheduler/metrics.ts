// Prometheus metrics of the descheduler (prom-client): evictions by reason and result, plan size,
// cycle duration, leadership.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CycleReport } from './descheduler.ts';

export class DeschedulerMetrics {
  readonly registry: Registry;
  readonly #evictions: Counter<'reason' | 'result'>;
  readonly #planSize: Gauge;
  readonly #planned: Counter<'reason'>;
  readonly #skipped: Counter<'reason'>;
  readonly #cycles: Counter<'outcome'>;
  readonly #duration: Histogram;
  readonly #leader: Gauge;

  constructor(registry = new Registry()) {
    this.registry = registry;
    this.#evictions = new Counter({ name: 'tidal_descheduler_evictions_total', help: 'Eviction attempts by reason (peak-drain, hot-spot) and result (evicted, blocked, gone, conflict, error)', labelNames: ['reason', 'result'], registers: [registry] });
    this.#planSize = new Gauge({ name: 'tidal_descheduler_plan_size', help: 'Evictions in the latest plan', registers: [registry] });
    this.#planned = new Counter({ name: 'tidal_descheduler_planned_total', help: 'Evictions planned, by reason (dry runs included)', labelNames: ['reason'], registers: [registry] });
    this.#skipped = new Counter({ name: 'tidal_descheduler_skipped_pods_total', help: 'Pods the planner passed over, by why (limits, budgets, not evictable)', labelNames: ['reason'], registers: [registry] });
    this.#cycles = new Counter({ name: 'tidal_descheduler_cycles_total', help: 'Cycles by outcome (planned, not-synced, not-leader)', labelNames: ['outcome'], registers: [registry] });
    this.#duration = new Histogram({ name: 'tidal_descheduler_cycle_duration_seconds', help: 'Time to plan and execute one cycle', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [registry] });
    this.#leader = new Gauge({ name: 'tidal_descheduler_leader', help: '1 while this replica holds the lease', registers: [registry] });
  }

  cycle(r: CycleReport): void {
    this.#cycles.inc({ outcome: r.skipped ?? 'planned' });
    this.#duration.observe(r.durationMs / 1000);
    if (!r.plan) return;
    this.#planSize.set(r.plan.evictions.length);
    for (const e of r.plan.evictions) this.#planned.inc({ reason: e.reason });
    for (const [reason, n] of r.plan.skipped) this.#skipped.inc({ reason }, n);
  }

  eviction(reason: string, result: string): void {
    this.#evictions.inc({ reason, result });
  }

  leading(v: boolean): void {
    this.#leader.set(v ? 1 : 0);
  }
}
