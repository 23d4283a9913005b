// `tidal explain node`: a node's batch capacity with the formula's terms as numbers. Pure: the same
// book (forecastBookOf) and the same span-capacity arithmetic the ForecastCapacity filter admits by
// and the forecast drain evicts by, so an explanation is the figure the scheduler used.
//
// Per 15-minute slot k of the coming 24 h, per resource:
//   upper(k)    = mean(k) + z x sd(k) + margin(k)              (node-forecast.ts; mean includes the residual)
//   free(k)     = allocatable x target - upper(k) - committed(k)
// and the capacity over a span [now, now + d) is the least free(k) of its slots (span-capacity.ts).

import { SLOT_MS } from '../app-curves.ts';
import type { Resources } from '../model.ts';
import type { ProfileTimeline } from '../timeline.ts';
import type { ClusterState, NodeState } from '../state.ts';
import type { ForecastBook } from './book.ts';
import { spanCapacity, type SpanCapacity } from './span-capacity.ts';

export interface ExplainedSlot {
  start: number;
  cpu: { mean: number; sd: number; margin: number; upper: number; committed: number; free: number };
  memory: { mean: number; sd: number; margin: number; upper: number; committed: number; free: number };
  /** The profile events in force in the slot, with the largest factor each reaches there. */
  events: { window: string; factor: number; memoryFactor: number; of: string }[];
}

export interface ExplainedSpan {
  hours: number;
  /** The least free capacity over the span (negative: over already), and the slot where it is reached. */
  cpu: number;
  memory: number;
  atCpu: number;
  atMemory: number;
}

export interface NodeExplanation {
  node: string;
  now: number;
  allocatable: Resources;
  /** The forecast drain's ceiling; batch is admitted up to target - admissionMargin. */
  target: number;
  admissionMargin: number;
  quantile: number;
  z: number;
  formula: string;
  residual: Resources;
  /** Online tenants counted at their requests (no learned curve yet). */
  coldStart: number;
  /** Whether the node's latest usage sample was fresh (it anchors the residual). */
  fresh: boolean;
  /** The profile level in force now (the operator's caps, which the BatchCapacityFit filter applies besides). */
  level: { window: string; batchShare: number; onlineHeadroom: number; drainingFor: string | null };
  /** Batch on the node now: what each is committed at (its CPU by batchCpu) and until when (its declared, learned or default runtime). */
  batch: { pod: string; cpu: number; cpuRequest: number; memory: number; runtime: 'declared' | 'learned' | 'default'; until: number }[];
  /** What batch CPU is committed at: its requests, or the usage its owners' pods are seen to have (batch-usage.ts). */
  batchCpu: 'requests' | 'usage';
  /** Batch capacity now (slot 0) and over the coming hours. */
  capacityNow: { cpu: number; memory: number };
  spans: ExplainedSpan[];
  slots: ExplainedSlot[];
  /** How far the latest sample ran above the previous forecast's band (hot-spot relief acts on it), or null. */
  aboveBand: Resources | null;
}

export const EXPLAIN_SPANS_H: readonly number[] = [1, 2, 4, 8, 12, 24];

export interface ExplainOptions {
  /** The forecast drain's ceiling (ForecastCapacity target). */
  target: number;
  /** Batch is admitted up to allocatable x (target - this) (ForecastCapacity admissionMargin): stated by the caller, so that explain's capacity is the filter's. */
  admissionMargin: number;
  quantile: number;
  spansH?: readonly number[];
}

export function explainNode(state: ClusterState, node: NodeState, timeline: ProfileTimeline, book: ForecastBook, now: number, o: ExplainOptions): NodeExplanation {
  const e = book.forecast(state, node, timeline.profile, now);
  const f = e.forecast;
  const a = node.spec.allocatable;
  const admitAt = o.target - o.admissionMargin;
  const slots: ExplainedSlot[] = [];
  for (let k = 0; k < f.slots; k++) {
    const ev = f.events?.events[k] ?? [];
    slots.push({
      start: f.start + k * SLOT_MS,
      cpu: { mean: f.meanCpu[k]!, sd: f.sdCpu[k]!, margin: f.marginCpu[k]!, upper: f.upperCpu[k]!, committed: e.committed.cpu[k]!, free: a.cpu * admitAt - f.upperCpu[k]! - e.committed.cpu[k]! },
      memory: { mean: f.meanMem[k]!, sd: f.sdMem[k]!, margin: f.marginMem[k]!, upper: f.upperMem[k]!, committed: e.committed.memory[k]!, free: a.memory * admitAt - f.upperMem[k]! - e.committed.memory[k]! },
      events: ev.map((x) => ({ window: x.window, factor: x.factor, memoryFactor: x.memoryFactor, of: x.of })),
    });
  }
  const out: SpanCapacity = { cpu: 0, memory: 0, slotCpu: 0, slotMem: 0 };
  const spans = (o.spansH ?? EXPLAIN_SPANS_H).map((hours) => {
    book.capacity(state, node, timeline.profile, now, hours * 3_600_000, admitAt, out);
    return { hours, cpu: out.cpu, memory: out.memory, atCpu: f.start + out.slotCpu * SLOT_MS, atMemory: f.start + out.slotMem * SLOT_MS };
  });
  spanCapacity(f, e.committed, a.cpu, a.memory, admitAt, 1, out);
  const lv = timeline.at(now);
  const batch = [...node.pods.values()]
    .filter((p) => p.class === 'batch')
    .map((p) => {
      const r = state.runtimes.runtimeOf(p, book.defaultRuntimeMs);
      return { pod: `${p.namespace}/${p.name}`, cpu: book.podCpu(state, p), cpuRequest: p.requests.cpu, memory: p.requests.memory, runtime: r.source, until: book.committedUntil(state, p, now) };
    })
    .sort((x, y) => x.until - y.until || (x.pod < y.pod ? -1 : 1));
  return {
    node: node.name,
    now,
    allocatable: { cpu: a.cpu, memory: a.memory },
    target: o.target,
    admissionMargin: o.admissionMargin,
    quantile: o.quantile,
    z: f.z,
    formula: 'capacity over [now, now + d) = min over its 15-minute slots k of (allocatable x (target - admissionMargin) - upper(k) - committed(k)); the forecast drain evicts only above allocatable x target; upper(k) = mean(k) + z x sd(k) + margin(k)',
    residual: { ...f.residual },
    coldStart: f.coldStart,
    fresh: e.fresh,
    level: { window: lv.segment.window?.name ?? 'default', batchShare: lv.batchShare, onlineHeadroom: lv.onlineHeadroom, drainingFor: lv.drainingFor ? (lv.drainingFor.window?.name ?? 'default') : null },
    batch,
    batchCpu: book.batchCpu,
    capacityNow: { cpu: out.cpu, memory: out.memory },
    spans,
    slots,
    aboveBand: e.above,
  };
}
