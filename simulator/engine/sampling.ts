// Usage on one policy's virtual cluster, sampled on the virtual clock. The trace gives usage per pod
// (absolute), per app (a fraction of requests) or not at all (SimOptions.defaultUsage), and per node
// for what no traced pod explains; each sample synthesizes every running pod's usage from that, feeds
// the core per node and per pod (as metrics.k8s.io and a metrics source would) and appends a point to
// the report's series (utilisation, hot nodes, pending pods, evictions since the last point).
// A node whose online usage fell is also a queueing hint: usage-based filters may pass there now.

import type { ClusterState } from '../../scheduler/core/state.ts';
import type { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import type { SeriesPoint } from './metrics.ts';
import type { SimOptions, TraceUsage } from './options.ts';
import type { SchedulingQueue } from './queue.ts';
import type { SimPod } from './sim-pod.ts';
import type { RunTotals } from './totals.ts';

/** A drop in a node's online usage of this fraction of its allocatable (cpu or memory) is a hint. */
const USAGE_HINT_FRACTION = 0.02;

export class UsageSampler {
  readonly series: SeriesPoint[] = [];
  readonly #state: ClusterState;
  readonly #timeline: ProfileTimeline;
  readonly #usage: TraceUsage;
  readonly #pods: ReadonlyMap<string, SimPod>;
  readonly #queue: SchedulingQueue;
  readonly #totals: RunTotals;
  readonly #opts: SimOptions;
  /** Per node, the highest online usage (cpu, memory) since its last usage hint: a drop from it is a hint. */
  readonly #lastOnline = new Map<string, [number, number]>();

  constructor(state: ClusterState, timeline: ProfileTimeline, usage: TraceUsage, pods: ReadonlyMap<string, SimPod>, queue: SchedulingQueue, totals: RunTotals, opts: SimOptions) {
    this.#state = state;
    this.#timeline = timeline;
    this.#usage = usage;
    this.#pods = pods;
    this.#queue = queue;
    this.#totals = totals;
    this.#opts = opts;
  }

  /** The node left the cluster: a node of that name that joins later starts afresh. */
  forgetNode(name: string): void {
    this.#lastOnline.delete(name);
  }

  /** Samples usage into the core (as the metrics API would) and a point into the report series. */
  sample(now: number): void {
    const def = this.#opts.defaultUsage;
    const pt: SeriesPoint = {
      time: now,
      nodes: this.#state.nodeList.length,
      nodesInUse: 0,
      cpuUsedOnline: 0,
      cpuUsedBatch: 0,
      cpuRequestedOnline: 0,
      cpuRequestedBatch: 0,
      memUsedOnline: 0,
      memUsedBatch: 0,
      memRequestedOnline: 0,
      memRequestedBatch: 0,
      hotNodes: 0,
      pendingOnline: 0,
      pendingBatch: 0,
      runningBatch: 0,
      evictions: this.#totals.evictionsSinceSample,
      batchShare: this.#timeline.at(now).batchShare,
    };
    this.#totals.evictionsSinceSample = 0;
    let allocCpu = 0;
    let allocMem = 0;
    for (const node of this.#state.nodeList) {
      const a = node.spec.allocatable;
      allocCpu += a.cpu;
      allocMem += a.memory;
      const bg = this.#usage.node.get(node.name);
      let oCpu = bg?.cpu ?? 0;
      let oMem = bg?.memory ?? 0;
      let bCpu = 0;
      let bMem = 0;
      for (const spec of node.pods.values()) {
        const p = this.#pods.get(spec.uid);
        if (!p) continue;
        const u = p.usage;
        const abs = p.observed;
        if (abs) {
          u.cpu = abs.cpu;
          u.memory = abs.memory;
        } else {
          const f = this.#usage.app.get(spec.app);
          const fc = f?.cpu ?? (spec.class === 'batch' ? def.batch : def.online);
          const fm = f?.memory ?? (spec.class === 'batch' ? def.batch : def.online);
          u.cpu = p.trace.requests.cpu * fc;
          u.memory = p.trace.requests.memory * fm;
        }
        if (spec.class === 'batch') {
          bCpu += u.cpu;
          bMem += u.memory;
          pt.runningBatch++;
        } else {
          oCpu += u.cpu;
          oMem += u.memory;
        }
      }
      this.#state.recordNodeUsage(node.name, { time: now, online: { cpu: oCpu, memory: oMem }, batch: { cpu: bCpu, memory: bMem } });
      this.#usageHint(node.name, oCpu, oMem, a.cpu, a.memory);
      if (node.podCount > 0) pt.nodesInUse++;
      const r = node.requested;
      pt.cpuUsedOnline += oCpu;
      pt.cpuUsedBatch += bCpu;
      pt.memUsedOnline += oMem;
      pt.memUsedBatch += bMem;
      pt.cpuRequestedOnline += r.online.cpu + r.system.cpu;
      pt.cpuRequestedBatch += r.batch.cpu;
      pt.memRequestedOnline += r.online.memory + r.system.memory;
      pt.memRequestedBatch += r.batch.memory;
      if ((oCpu + bCpu) / a.cpu > this.#opts.riskThreshold || (oMem + bMem) / a.memory > this.#opts.riskThreshold) pt.hotNodes++;
    }
    for (const k of ['cpuUsedOnline', 'cpuUsedBatch', 'cpuRequestedOnline', 'cpuRequestedBatch'] as const) pt[k] = allocCpu > 0 ? pt[k] / allocCpu : 0;
    for (const k of ['memUsedOnline', 'memUsedBatch', 'memRequestedOnline', 'memRequestedBatch'] as const) pt[k] = allocMem > 0 ? pt[k] / allocMem : 0;
    const pending = this.#queue.countPending();
    pt.pendingBatch = pending.batch;
    pt.pendingOnline = pending.other;
    this.series.push(pt);
    this.#totals.sampled(pt, this.#opts.sampleIntervalMs);
  }

  /**
   * Usage-based filters (online load, batch capacity) may now pass where they refused: kube-scheduler
   * retries a pod an extender refused on cluster events, so a node whose online usage fell (or is
   * measured for the first time, after its requests stood in) is a hint like a freed node. A drop
   * counts once it reaches USAGE_HINT_FRACTION of the node (from the highest usage since the last
   * one), so that sampling noise does not re-judge the whole backlog every sample.
   */
  #usageHint(name: string, oCpu: number, oMem: number, allocCpu: number, allocMem: number): void {
    const last = this.#lastOnline.get(name);
    if (last === undefined) {
      this.#queue.nodeChanged(name);
      this.#lastOnline.set(name, [oCpu, oMem]);
    } else if (last[0] - oCpu >= USAGE_HINT_FRACTION * allocCpu || last[1] - oMem >= USAGE_HINT_FRACTION * allocMem) {
      this.#queue.nodeChanged(name);
      last[0] = oCpu;
      last[1] = oMem;
    } else {
      if (oCpu > last[0]) last[0] = oCpu;
      if (oMem > last[1]) last[1] = oMem;
    }
  }
}
