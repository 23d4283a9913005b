// Usage on one policy's virtual cluster, sampled on the virtual clock. The trace gives usage per pod
// (absolute), per app (a fraction of requests) or not at all (SimOptions.defaultUsage), and per node
// for what no traced pod explains. That is each pod's *demand*; each sample resolves it per node with
// simulator/node/contention.ts (CPU shared by CFS weight with online before batch, a node agent's
// batch cap, the OOM killer when memory does not fit), then:
// - throttled batch pods progress at the rate they were granted (their completion moves later),
// - OOM victims are killed (batch recreated by its controller, online restarted in place),
// - what was granted is fed to the core per node and per pod (as metrics.k8s.io would show it),
// - a point goes into the report's series (utilisation, interference, unmet online CPU, hot nodes,
//   pending pods, evictions since the last point).
// The grant holds for the interval that starts at the sample ([t, t + sampleInterval)).
// A node whose online usage fell is also a queueing hint: usage-based filters may pass there now.

import type { ClusterState, NodeState } from '../../scheduler/core/state.ts';
import type { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import { BeSuppression, type BeSuppressionConfig } from '../node/be-suppression.ts';
import { BATCH, CLASS_CODE, ContentionResult, ContentionWorkspace, ONLINE, PodBuffer, SYSTEM, nonBatchCpuDemand, resolveNode } from '../node/contention.ts';
import { podOomScoreAdj } from '../node/qos.ts';
import type { PodLifecycle } from './lifecycle.ts';
import type { SeriesPoint } from './metrics.ts';
import type { SimOptions, TraceUsage } from './options.ts';
import type { SchedulingQueue } from './queue.ts';
import type { SimPod } from './sim-pod.ts';
import type { RunTotals } from './totals.ts';

/** A drop in a node's online usage of this fraction of its allocatable (cpu or memory) is a hint. */
const USAGE_HINT_FRACTION = 0.02;
/** The node's usage no pod explains (daemons, the OS) sits in the non-batch tier and is never OOM-killed. */
const NODE_BACKGROUND_ID = '(node)';
const NEVER_OOM_KILL = -1000;

export class UsageSampler {
  readonly series: SeriesPoint[] = [];
  readonly #state: ClusterState;
  readonly #timeline: ProfileTimeline;
  readonly #usage: TraceUsage;
  readonly #lifecycle: PodLifecycle;
  readonly #queue: SchedulingQueue;
  readonly #totals: RunTotals;
  readonly #opts: SimOptions;
  readonly #suppression: BeSuppressionConfig | null;
  /** Per node, the highest online usage (cpu, memory) since its last usage hint: a drop from it is a hint. */
  readonly #lastOnline = new Map<string, [number, number]>();
  readonly #agents = new Map<string, BeSuppression>();
  readonly #buf = new PodBuffer(64);
  readonly #ws = new ContentionWorkspace();
  readonly #out = new ContentionResult();
  /** The SimPod behind each buffer index (index 0 may be the node's background). */
  #bufPods: (SimPod | null)[] = [];
  /** Per node, its pods' SimPods and OOM score adjustments, kept while its pods and memory stay the same. */
  readonly #nodePods = new WeakMap<NodeState, NodePods>();

  constructor(state: ClusterState, timeline: ProfileTimeline, usage: TraceUsage, lifecycle: PodLifecycle, queue: SchedulingQueue, totals: RunTotals, opts: SimOptions, suppression: BeSuppressionConfig | null = null) {
    this.#state = state;
    this.#timeline = timeline;
    this.#usage = usage;
    this.#lifecycle = lifecycle;
    this.#queue = queue;
    this.#totals = totals;
    this.#opts = opts;
    this.#suppression = suppression;
  }

  /** The node left the cluster: a node of that name that joins later starts afresh. */
  forgetNode(name: string): void {
    this.#lastOnline.delete(name);
    this.#agents.delete(name);
  }

  /** Resolves every node's demand for the coming interval, feeds the core and appends a series point. */
  sample(now: number): void {
    const dt = this.#opts.sampleIntervalMs;
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
      interferenceNodes: 0,
      unmetOnlineCpu: 0,
      batchCpuDenied: 0,
      oomKills: 0,
    };
    this.#totals.evictionsSinceSample = 0;
    let allocCpu = 0;
    let allocMem = 0;
    const victims: SimPod[] = [];
    const nodeUsageTraced = this.#usage.nodeTime.size > 0;
    for (const node of this.#state.nodeList) {
      const a = node.spec.allocatable;
      // A trace that gives node usage but not (recently) for this node: its usage is unknown, not zero.
      const sampledAt = this.#usage.nodeTime.get(node.name);
      const known = !nodeUsageTraced || (sampledAt !== undefined && now - sampledAt <= this.#opts.nodeUsageStaleMs);
      const bg = known ? this.#usage.node.get(node.name) : undefined;
      const out = this.#resolve(node, bg?.cpu ?? 0, bg?.memory ?? 0);
      // Granted usage per class (the killed get nothing), fed to the core as the metrics API would.
      let oCpu = 0;
      let oMem = 0;
      let bCpu = 0;
      let bMem = 0;
      const buf = this.#buf;
      for (let i = 0; i < buf.count; i++) {
        const p = this.#bufPods[i];
        const dead = out.killed[i] === 1;
        const cpu = out.cpuGranted[i]!;
        const mem = dead ? 0 : buf.memDemand[i]!;
        if (p) {
          p.usage.cpu = cpu;
          p.usage.memory = mem;
        }
        if (buf.cls[i] === BATCH) {
          bCpu += cpu;
          bMem += mem;
          if (!dead) pt.runningBatch++;
          if (p && !dead) this.#lifecycle.throttle(p, now, dt, out.rate[i]!);
        } else {
          oCpu += cpu;
          oMem += mem;
        }
        if (dead && p) victims.push(p);
      }
      pt.unmetOnlineCpu += out.cpuDeniedCoreSeconds[ONLINE]! + out.cpuDeniedCoreSeconds[SYSTEM]!;
      pt.batchCpuDenied += out.cpuDeniedCoreSeconds[BATCH]!;
      pt.oomKills += out.oomKillCount;
      if (node.podCount > 0) pt.nodesInUse++;
      const r = node.requested;
      pt.cpuRequestedOnline += r.online.cpu + r.system.cpu;
      pt.cpuRequestedBatch += r.batch.cpu;
      pt.memRequestedOnline += r.online.memory + r.system.memory;
      pt.memRequestedBatch += r.batch.memory;
      if (!known) continue;
      if (out.interference) pt.interferenceNodes++;
      this.#state.recordNodeUsage(node.name, { time: now, online: { cpu: oCpu, memory: oMem }, batch: { cpu: bCpu, memory: bMem } });
      this.#usageHint(node.name, oCpu, oMem, a.cpu, a.memory);
      allocCpu += a.cpu;
      allocMem += a.memory;
      pt.cpuUsedOnline += oCpu;
      pt.cpuUsedBatch += bCpu;
      pt.memUsedOnline += oMem;
      pt.memUsedBatch += bMem;
      if ((oCpu + bCpu) / a.cpu > this.#opts.riskThreshold || (oMem + bMem) / a.memory > this.#opts.riskThreshold) pt.hotNodes++;
    }
    for (const p of victims) this.#lifecycle.oomKill(p, now);
    // Utilisation is over the nodes whose usage is known (all of them unless the trace's node samples are missing).
    for (const k of ['cpuUsedOnline', 'cpuUsedBatch'] as const) pt[k] = allocCpu > 0 ? pt[k] / allocCpu : 0;
    for (const k of ['memUsedOnline', 'memUsedBatch'] as const) pt[k] = allocMem > 0 ? pt[k] / allocMem : 0;
    const cpuAll = this.#state.nodeList.reduce((s, n) => s + n.spec.allocatable.cpu, 0);
    const memAll = this.#state.nodeList.reduce((s, n) => s + n.spec.allocatable.memory, 0);
    for (const k of ['cpuRequestedOnline', 'cpuRequestedBatch'] as const) pt[k] = cpuAll > 0 ? pt[k] / cpuAll : 0;
    for (const k of ['memRequestedOnline', 'memRequestedBatch'] as const) pt[k] = memAll > 0 ? pt[k] / memAll : 0;
    const pending = this.#queue.countPending();
    pt.pendingBatch = pending.batch;
    pt.pendingOnline = pending.other;
    this.series.push(pt);
    this.#totals.sampled(pt, dt);
  }

  /** Fills the pod buffer with the node's demand and resolves it (contention.ts). */
  #resolve(node: NodeState, bgCpu: number, bgMem: number): ContentionResult {
    const a = node.spec.allocatable;
    const def = this.#opts.defaultUsage;
    const buf = this.#buf;
    buf.reset();
    const bufPods = this.#bufPods;
    bufPods.length = 0;
    if (bgCpu > 0 || bgMem > 0) {
      buf.push(SYSTEM, bgCpu, bgCpu, bgMem, NEVER_OOM_KILL, 0, NODE_BACKGROUND_ID);
      bufPods.push(null);
    }
    const np = this.#podsOf(node);
    const sims = np.sims;
    for (let k = 0; k < sims.length; k++) {
      const p = sims[k]!;
      const spec = p.spec;
      let cpu: number;
      let mem: number;
      const abs = p.observed;
      if (abs) {
        cpu = abs.cpu;
        mem = abs.memory;
      } else {
        const f = this.#usage.app.get(spec.app);
        const batch = spec.class === 'batch';
        cpu = p.trace.requests.cpu * (f?.cpu ?? (batch ? def.batch : def.online));
        mem = p.trace.requests.memory * (f?.memory ?? (batch ? def.batch : def.online));
      }
      buf.push(CLASS_CODE[spec.class], cpu, spec.requests.cpu, mem, np.oomScoreAdj[k]!, spec.priority, spec.uid);
      bufPods.push(p);
    }
    let cap: number | undefined;
    if (this.#suppression) {
      let agent = this.#agents.get(node.name);
      if (!agent) this.#agents.set(node.name, (agent = new BeSuppression(this.#suppression, a.cpu)));
      cap = agent.advance(this.#opts.sampleIntervalMs, Math.min(nonBatchCpuDemand(buf), a.cpu));
    }
    this.#out.ensure(buf.count);
    return resolveNode({ cpu: a.cpu, memory: a.memory }, buf, { intervalMs: this.#opts.sampleIntervalMs, batchCpuCap: cap, interferenceFraction: this.#opts.interferenceFraction }, this.#ws, this.#out);
  }

  /**
   * The node's pods that the replay runs (in the node's order) and their OOM score adjustments: looked
   * up again only when a pod was bound to or left the node (NodeState.podsVersion; a pod the lifecycle
   * drops leaves its node in the same step) or its memory changed. A sample visits every pod of every
   * node; looking each up by uid among all the replay's pods was a tenth of a 1000-node day.
   */
  #podsOf(node: NodeState): NodePods {
    const memory = node.spec.allocatable.memory;
    let np = this.#nodePods.get(node);
    if (np && np.podsVersion === node.podsVersion && np.memory === memory) return np;
    const sims: SimPod[] = [];
    const oomScoreAdj: number[] = [];
    for (const spec of node.pods.values()) {
      const p = this.#lifecycle.pods.get(spec.uid);
      if (!p) continue;
      sims.push(p);
      oomScoreAdj.push(podOomScoreAdj(spec, memory));
    }
    np = { podsVersion: node.podsVersion, memory, sims, oomScoreAdj };
    this.#nodePods.set(node, np);
    return np;
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

/** UsageSampler's view of a node's pods (UsageSampler.#podsOf). */
interface NodePods {
  podsVersion: number;
  memory: number;
  sims: SimPod[];
  oomScoreAdj: number[];
}
