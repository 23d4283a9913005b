// One policy's virtual cluster. It holds a core ClusterState and PolicyEngine, a scheduling queue that
// behaves like kube-scheduler's (active queue by priority then arrival; unschedulable pods wait for an
// event that frees capacity or a periodic flush), running pods and their completions, and the
// descheduler on a timer calling the core's planner, and a peer policy's own controller (its
// descheduler or node-pool manager, simulator/policies/) on its timer. Placement, preemption and
// eviction decisions are the core's or the peer controller's: this file only carries them out on the
// virtual cluster and measures.

import { performance } from 'node:perf_hooks';
import type { PolicyConfig } from '../../scheduler/core/config.ts';
import { PolicyEngine } from '../../scheduler/core/engine.ts';
import { planEvictions } from '../../scheduler/core/eviction-planner.ts';
import type { NodeSpec, PodSpec, Resources } from '../../scheduler/core/model.ts';
import { selectVictims } from '../../scheduler/core/preemption.ts';
import { TokenBucket } from '../../scheduler/core/rate.ts';
import { fnv1a } from '../../scheduler/core/node-table.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import type { Profile } from '../../scheduler/core/profile.ts';
import type { ControllerApi, PeerController, SimPolicy } from '../policies.ts';
import type { TracePod } from '../traces/events.ts';
import { TimerHeap } from './heap.ts';
import { Histogram, type PolicyTotals, type SeriesPoint } from './metrics.ts';

export interface SimOptions {
  /** How often usage is sampled into the core (as a metrics source would) and into the report. */
  sampleIntervalMs: number;
  deschedulerIntervalMs: number;
  /** Unschedulable pods are all retried this often (kube-scheduler's podMaxInUnschedulablePodsDuration). */
  retryIntervalMs: number;
  /** Unschedulable pods that would fit on a node freed since are requeued at most this often. */
  hintIntervalMs: number;
  /** Delay before an evicted pod's controller has recreated it and it is pending again. */
  recreateDelayMs: number;
  /** A checkpointable pod loses at most this much work when evicted. */
  checkpointIntervalMs: number;
  /** A node whose usage exceeds this fraction of allocatable counts towards online risk. */
  riskThreshold: number;
  /** Online pods pending longer than this count as delayed. */
  onlineWaitLimitMs: number;
  /** Usage as a fraction of requests where the trace says nothing. */
  defaultUsage: { online: number; batch: number };
  /** The descheduler's rate limit across cycles. */
  evictionRate: { perMinute: number; burst: number };
  /** kube-scheduler's percentageOfNodesToScore; 0 = adaptive. */
  percentageOfNodesToScore: number;
  /** Safety valve: stop trying a class in one scheduling pass after this many failures. */
  maxFailuresPerPass: number;
}

export const DEFAULT_SIM_OPTIONS: SimOptions = {
  sampleIntervalMs: 5 * 60_000,
  deschedulerIntervalMs: 2 * 60_000,
  retryIntervalMs: 5 * 60_000,
  hintIntervalMs: 10_000,
  recreateDelayMs: 10_000,
  checkpointIntervalMs: 10 * 60_000,
  riskThreshold: 0.9,
  onlineWaitLimitMs: 60_000,
  defaultUsage: { online: 0.4, batch: 0.9 },
  evictionRate: { perMinute: 30, burst: 60 },
  percentageOfNodesToScore: 0,
  maxFailuresPerPass: 500,
};

/**
 * Usage the trace describes per app and per node, shared by every policy's simulation (the workload
 * is the same). Per-pod usage lives with each policy's pod, so that it goes when the pod does.
 */
export interface TraceUsage {
  /** Fraction of requests per app (app-usage events). */
  app: Map<string, Resources>;
  /** Usage on a node not explained by traced pods (node-usage events). */
  node: Map<string, Resources>;
}

interface SimPod {
  trace: TracePod;
  seq: number;
  spec: PodSpec;
  arrival: number;
  queuedAt: number;
  running: boolean;
  startedAt: number;
  /** Work done before the current run, ms (batch). */
  workDone: number;
  /** Bumped when a scheduled completion becomes stale (eviction, removal). */
  version: number;
  /** Usage right now, updated at each sample (the state's podUsage map holds this object). */
  usage: Resources;
  /** Observed absolute usage from pod-usage events, when the trace gives it. */
  observed: Resources | null;
  gone: boolean;
  /** What the queueing hint judges the pod by (shapeKeyOf), built once: hint passes visit every unschedulable pod. */
  shapeKey?: string;
}

interface Timer {
  time: number;
  seq: number;
  kind: 'complete' | 'recreate';
  pod: SimPod;
  version: number;
}

interface JobState {
  arrived: number;
  completed: number;
  firstArrival: number;
}

export class PolicySim {
  readonly policy: SimPolicy;
  readonly config: PolicyConfig;
  readonly state: ClusterState;
  readonly engine: PolicyEngine;
  readonly timeline: ProfileTimeline;
  readonly series: SeriesPoint[] = [];
  readonly #opts: SimOptions;
  readonly #usage: TraceUsage;
  readonly #pods = new Map<string, SimPod>();
  readonly #active: SimPod[] = [];
  #unschedulable: SimPod[] = [];
  readonly #timers = new TimerHeap<Timer>();
  readonly #jobs = new Map<string, JobState>();
  #seq = 0;
  readonly #census = { arrived: 0, completed: 0, ended: 0 };
  #hotStreaks = new Map<string, number>();
  readonly #rate: TokenBucket;
  readonly #controller: PeerController | null;
  #nextControl = Infinity;
  #now = 0;
  #evictionsSinceSample = 0;
  /**
   * Nodes where capacity was freed (or that changed) since unschedulable pods were last looked at:
   * only pods that would pass the filters on one of them go back to the active queue (kube-scheduler's
   * queueing hints); the others wait for the periodic flush.
   */
  readonly #freed = new Set<string>();
  /** Per node, the highest online usage (cpu, memory) since its last usage hint: a drop from it is a hint. */
  readonly #lastOnline = new Map<string, [number, number]>();
  #lastHint = -Infinity;
  readonly #onlinePending = new Histogram();
  readonly #batchPending = new Histogram();
  readonly #completionDelay = new Histogram();
  readonly #jobTime = new Histogram();
  readonly #totals = {
    batchArrived: 0,
    batchCompleted: 0,
    jobsCompleted: 0,
    onlineDelayed: 0,
    onlinePreemptions: 0,
    evictions: new Map<string, number>(),
    workLostCoreMs: 0,
    hotNodeMs: 0,
    nodeMs: 0,
    peakNodesInUse: 0,
    placements: 0,
    failedAttempts: 0,
    placementMs: 0,
    planningMs: 0,
  };

  constructor(policy: SimPolicy, profile: Profile, usage: TraceUsage, opts: SimOptions) {
    this.policy = policy;
    this.config = policy.config;
    this.#opts = opts;
    this.#usage = usage;
    this.state = new ClusterState(this.config.usage);
    this.timeline = new ProfileTimeline(policy.profileFor(profile));
    const args = policy.pluginArgs?.(profile);
    const config = args ? { ...this.config, pluginArgs: { ...this.config.pluginArgs, ...args } } : this.config;
    this.engine = new PolicyEngine({ config, state: this.state, profile: this.timeline });
    const rate = policy.evictionRate ?? opts.evictionRate;
    this.#rate = new TokenBucket(rate.perMinute, rate.burst);
    this.#controller = policy.controller?.(profile) ?? null;
  }

  /** Starts the peer controller's timer (its first tick runs at `start`). */
  startControl(start: number): void {
    if (this.#controller?.intervalMs) this.#nextControl = start;
  }

  /** When the peer controller ticks next, or Infinity. */
  nextControl(): number {
    return this.#nextControl;
  }

  /** Runs the peer controller when its timer is due. */
  control(now: number): void {
    const c = this.#controller;
    if (!c?.intervalMs || now < this.#nextControl) return;
    this.#tick(c, now);
    while (this.#nextControl <= now) this.#nextControl += c.intervalMs;
  }

  #tick(c: PeerController, now: number): void {
    const t0 = performance.now();
    this.#now = now;
    c.tick(this.#api, now);
    this.#totals.planningMs += performance.now() - t0;
  }

  /** What the peer controller sees and may do (ControllerApi). */
  readonly #api: ControllerApi = ((sim: PolicySim): ControllerApi => ({
    get state() {
      return sim.state;
    },
    get engine() {
      return sim.engine;
    },
    get timeline() {
      return sim.timeline;
    },
    pending: (cls) => sim.pending(cls),
    evict: (uid, reason) => {
      const p = sim.#pods.get(uid);
      if (!p?.running) return false;
      sim.#evict(p, sim.#now, reason);
      return true;
    },
    setNodeLabels: (name, labels) => {
      const node = sim.state.nodes.get(name);
      if (!node) return;
      sim.state.upsertNode({ ...node.spec, labels: { ...labels } }, sim.#now);
      sim.#freed.add(name);
    },
    rateAvailable: () => sim.#rate.available(sim.#now),
    rateTake: () => sim.#rate.take(),
  }))(this);

  /**
   * Where every pod that arrived is now. arrived = running + pending + recreating + completed + ended
   * must hold at every instant (a conservation check for tests).
   */
  census(): { arrived: number; running: number; pending: number; recreating: number; completed: number; ended: number } {
    let running = 0;
    for (const p of this.#pods.values()) if (p.running) running++;
    const pending = this.#active.filter((p) => !p.gone).length + this.#unschedulable.filter((p) => !p.gone).length;
    return {
      arrived: this.#census.arrived,
      running,
      pending,
      recreating: this.#pods.size - running - pending,
      completed: this.#census.completed,
      ended: this.#census.ended,
    };
  }

  /** Pods of a class waiting to be placed (queued or unschedulable). */
  pending(cls: PodSpec['class']): PodSpec[] {
    const out: PodSpec[] = [];
    for (const p of this.#active) if (!p.gone && p.spec.class === cls) out.push(p.spec);
    for (const p of this.#unschedulable) if (!p.gone && p.spec.class === cls) out.push(p.spec);
    return out;
  }

  get pendingCount(): number {
    return this.#active.length + this.#unschedulable.length;
  }

  /** The next internal timer (completion, recreation), or Infinity. */
  nextTimer(): number {
    return this.#timers.peek()?.time ?? Infinity;
  }

  // ---- trace events -------------------------------------------------------------------------

  addNode(spec: NodeSpec, now: number): void {
    this.state.upsertNode(this.#controller?.onNodeAdd?.(spec) ?? spec, now);
    this.#freed.add(spec.name);
  }

  removeNode(name: string, now: number): void {
    const node = this.state.nodes.get(name);
    if (!node) return;
    this.#lastOnline.delete(name);
    // The node is gone: its pods are recreated elsewhere by their controllers, their work lost.
    for (const spec of [...node.pods.values()]) {
      const p = this.#pods.get(spec.uid);
      if (p) this.#stop(p, now);
    }
    this.state.removeNode(name);
  }

  arrive(trace: TracePod, now: number): void {
    if (this.#pods.has(trace.uid)) return;
    const pod: SimPod = {
      trace,
      seq: this.#seq++,
      spec: toSpec(trace, this.config, now),
      arrival: now,
      queuedAt: now,
      running: false,
      startedAt: 0,
      workDone: 0,
      version: 0,
      usage: { cpu: 0, memory: 0 },
      observed: null,
      gone: false,
    };
    this.#pods.set(trace.uid, pod);
    this.#census.arrived++;
    if (trace.class === 'batch') {
      this.#totals.batchArrived++;
      if (trace.job) {
        const j = this.#jobs.get(trace.job);
        if (j) j.arrived++;
        else this.#jobs.set(trace.job, { arrived: 1, completed: 0, firstArrival: now });
      }
    }
    if (trace.nodeName && this.state.nodes.has(trace.nodeName)) {
      this.#bind(pod, trace.nodeName, now);
      return;
    }
    this.#active.push(pod);
  }

  podUsage(uid: string, cpu: number, memory: number): void {
    const p = this.#pods.get(uid);
    if (p) p.observed = { cpu, memory };
  }

  end(uid: string, now: number): void {
    const p = this.#pods.get(uid);
    if (!p) return;
    const queued = !p.running;
    if (p.running) {
      this.#freed.add(p.spec.nodeName);
      this.#unbind(p, now);
    }
    p.gone = true;
    p.version++;
    this.#pods.delete(uid);
    this.#census.ended++;
    // Only a pending pod sits in a queue (a linear search there; most pods end running).
    if (queued) this.#dropFromQueues(p);
  }

  // ---- timers --------------------------------------------------------------------------------

  runTimers(now: number): void {
    for (let t = this.#timers.peek(); t && t.time <= now; t = this.#timers.peek()) {
      this.#timers.pop();
      const p = t.pod;
      if (t.version !== p.version || p.gone) continue;
      if (t.kind === 'complete') this.#complete(p, now);
      else {
        p.queuedAt = now;
        this.#active.push(p);
      }
    }
  }

  // ---- scheduling ----------------------------------------------------------------------------

  /** Moves every unschedulable pod back to the active queue (the periodic flush). */
  flushUnschedulable(): void {
    this.#freed.clear();
    if (this.#unschedulable.length === 0) return;
    for (const p of this.#unschedulable) this.#active.push(p);
    this.#unschedulable = [];
  }

  /**
   * Queueing hints: an unschedulable pod goes back to the active queue only when it would now pass the
   * filters on a node that changed since it failed (as kube-scheduler's NodeResourcesFit hint asks
   * whether a deleted pod's room makes the pod fit). At most once per hintIntervalMs: kube-scheduler
   * backs a requeued pod off for up to 10 s anyway. Pods of one shape are judged once.
   */
  #requeueHinted(now: number): void {
    if (this.#freed.size === 0 || now - this.#lastHint < this.#opts.hintIntervalMs) return;
    this.#lastHint = now;
    const names: string[] = [];
    for (const n of this.#freed) if (this.state.rows.has(n)) names.push(n);
    this.#freed.clear();
    if (names.length === 0 || this.#unschedulable.length === 0) return;
    const verdictOf = new Map<string, boolean>();
    const keep: SimPod[] = [];
    for (const p of this.#unschedulable) {
      const key = (p.shapeKey ??= shapeKeyOf(p));
      let fits = verdictOf.get(key);
      if (fits === undefined) {
        fits = this.engine.verdicts(this.engine.context(p.spec, now), names).passed > 0;
        verdictOf.set(key, fits);
      }
      (fits ? this.#active : keep).push(p);
    }
    this.#unschedulable = keep;
  }

  /** One scheduling pass over the active queue. */
  schedule(now: number): void {
    this.#requeueHinted(now);
    if (this.#active.length === 0) return;
    const t0 = performance.now();
    const queue = this.#active.splice(0).sort((a, b) => b.spec.priority - a.spec.priority || a.seq - b.seq);
    const failures = { online: 0, batch: 0 };
    // Pods that failed this pass, for dominance: a pod asking at least as much, under at least as strict
    // a span, cannot fit either (the failed attempt scanned every node).
    const failed: Failed[] = [];
    // What any node could still give a pod of each class (computed once per pass; placements only lower
    // it, so a stale bound prunes less but never wrongly).
    const bounds: Partial<Record<'online' | 'batch', Resources>> = {};
    for (const p of queue) {
      if (p.gone) continue;
      const cls = p.spec.class === 'batch' ? 'batch' : 'online';
      const bound = (bounds[cls] ??= this.engine.freeBound(p.spec.class, now));
      const req = p.spec.requests;
      const hopeless = cls === 'batch' && (req.cpu > bound.cpu || req.memory > bound.memory);
      if (hopeless || failures[cls] >= this.#opts.maxFailuresPerPass || dominated(p, failed, now)) {
        this.#unschedulable.push(p);
        continue;
      }
      const res = this.engine.place(p.spec, now, this.#opts.percentageOfNodesToScore);
      if (res.node) {
        this.#bind(p, res.node.name, now);
        continue;
      }
      this.#totals.failedAttempts++;
      if (cls === 'online' && this.#preempt(p, now)) continue;
      failures[cls]++;
      addFailed(failed, { cls, app: p.spec.app, cpu: p.spec.requests.cpu, memory: p.spec.requests.memory, spanEnd: spanEndOf(p, now) });
      this.#unschedulable.push(p);
    }
    this.#totals.placementMs += performance.now() - t0;
  }

  /**
   * kube-scheduler's preemption for a pod that fits nowhere: nodes where it failed for reasons eviction
   * can fix are candidates; the core's selectVictims (the extender's preempt verb) picks batch victims;
   * the node with the fewest victims wins.
   */
  #preempt(p: SimPod, now: number): boolean {
    // Tidal's victims are batch pods only, so only nodes holding batch can make room: the others are
    // not even filtered (a column test instead of every filter on every node).
    const t = this.state.table;
    const nodes = this.state.nodeList;
    const names: string[] = [];
    // Nor can a node where the pod would not fit beside its online and system pods alone (selectVictims
    // would find no room there); when no node could, the dry run is skipped: same outcome, no work.
    // (A system pod's proposed victims stand whatever their class, so for it every node holding batch stays.)
    const system = p.spec.class === 'system';
    const room = (i: number): boolean => system || (t.allocCpu[i]! - t.nonBatchCpu[i]! >= p.spec.requests.cpu && t.allocMem[i]! - t.nonBatchMem[i]! >= p.spec.requests.memory);
    let anyRoom = false;
    for (let i = 0; i < nodes.length; i++) {
      if (t.batchCpu[i]! > 0 || t.batchMem[i]! > 0) {
        names.push(nodes[i]!.spec.name);
        if (!anyRoom && room(i)) anyRoom = true;
      }
    }
    if (!anyRoom) return false;
    const ctx = this.engine.context(p.spec, now);
    const v = this.engine.verdicts(ctx, names);
    // A node fails on its first failing filter; one that an unresolvable filter further down would also
    // reject is no candidate (evicting there would free room the pod still could not use).
    const filters = this.engine.activeFilters(ctx);
    const possible = names.filter((name, k) => {
      if (v.reasons[k] === null || v.unresolvable[k] === 1) return false;
      const row = this.state.rows.get(name)!;
      return filters.every((f) => !f.filter(ctx, row)?.unresolvable);
    });
    // kube-scheduler's DefaultPreemption dry-runs only max(10% of nodes, 100) candidates from a random
    // offset (minCandidateNodesPercentage, minCandidateNodesAbsolute); here the offset is a hash of the
    // pod, so that replays are deterministic.
    const want = Math.max(100, Math.floor(nodes.length * 0.1));
    const window = possible.length <= want ? possible : Array.from({ length: want }, (_, k) => possible[((fnv1a(p.spec.uid) >>> 0) + k) % possible.length]!);
    const candidates = window.filter((nodeName) => room(this.state.rows.get(nodeName)!)).map((nodeName) => ({
      nodeName,
      victims: [...this.state.nodes.get(nodeName)!.pods.values()].filter((v) => v.priority < p.spec.priority).map((v) => v.uid),
      numPdbViolations: 0,
    }));
    const chosen = selectVictims(this.state, p.spec, candidates.filter((c) => c.victims.length > 0), now).sort(
      (a, b) => a.victims.length - b.victims.length || a.numPdbViolations - b.numPdbViolations || (a.nodeName < b.nodeName ? -1 : 1),
    )[0];
    if (!chosen) return false;
    for (const uid of chosen.victims) {
      const v = this.#pods.get(uid);
      if (v) this.#evict(v, now, 'preemption');
    }
    // The victims' requests are released at once in the simulation; check the pod now fits there.
    const again = this.engine.filter(this.engine.context(p.spec, now), [chosen.nodeName]);
    if (again.feasible.length === 0) return false;
    this.#bind(p, chosen.nodeName, now);
    this.#totals.onlinePreemptions++;
    return true;
  }

  // ---- descheduler ---------------------------------------------------------------------------

  deschedule(now: number): void {
    // A peer controller without a timer of its own runs on the descheduler's cadence.
    if (this.#controller && !this.#controller.intervalMs) this.#tick(this.#controller, now);
    const planner = this.policy.planner;
    if (!planner) return;
    const t0 = performance.now();
    const plan = planEvictions({ state: this.state, timeline: this.timeline, now, config: planner, rateBudget: this.#rate.available(now), hotStreaks: this.#hotStreaks });
    this.#hotStreaks = plan.hotStreaks;
    for (const e of plan.evictions) {
      const p = this.#pods.get(e.pod.uid);
      if (!p?.running) continue;
      this.#evict(p, now, e.reason);
      this.#rate.take();
    }
    this.#totals.planningMs += performance.now() - t0;
  }

  // ---- sampling ------------------------------------------------------------------------------

  /** Samples usage into the core (as the metrics API would) and a point into the report series. */
  sample(now: number): void {
    const def = this.#opts.defaultUsage;
    const pt: SeriesPoint = {
      time: now,
      nodes: this.state.nodeList.length,
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
      evictions: this.#evictionsSinceSample,
      batchShare: this.timeline.at(now).batchShare,
    };
    this.#evictionsSinceSample = 0;
    let allocCpu = 0;
    let allocMem = 0;
    for (const node of this.state.nodeList) {
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
      this.state.recordNodeUsage(node.name, { time: now, online: { cpu: oCpu, memory: oMem }, batch: { cpu: bCpu, memory: bMem } });
      // Usage-based filters (online load, batch capacity) may now pass where they refused: kube-scheduler
      // retries a pod an extender refused on cluster events, so a node whose online usage fell (or is
      // measured for the first time, after its requests stood in) is a hint like a freed node.
      // A drop counts once it reaches 2% of the node (from the highest usage since the last one), so that
      // sampling noise does not re-judge the whole backlog every sample.
      const last = this.#lastOnline.get(node.name);
      if (last === undefined) {
        this.#freed.add(node.name);
        this.#lastOnline.set(node.name, [oCpu, oMem]);
      } else if (last[0] - oCpu >= 0.02 * a.cpu || last[1] - oMem >= 0.02 * a.memory) {
        this.#freed.add(node.name);
        last[0] = oCpu;
        last[1] = oMem;
      } else {
        if (oCpu > last[0]) last[0] = oCpu;
        if (oMem > last[1]) last[1] = oMem;
      }
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
    for (const p of this.#active) this.#countPending(p, pt);
    for (const p of this.#unschedulable) this.#countPending(p, pt);
    this.series.push(pt);
    this.#totals.hotNodeMs += pt.hotNodes * this.#opts.sampleIntervalMs;
    this.#totals.nodeMs += pt.nodes * this.#opts.sampleIntervalMs;
    if (pt.nodesInUse > this.#totals.peakNodesInUse) this.#totals.peakNodesInUse = pt.nodesInUse;
  }

  #countPending(p: SimPod, pt: SeriesPoint): void {
    if (p.gone) return;
    if (p.spec.class === 'batch') pt.pendingBatch++;
    else pt.pendingOnline++;
  }

  // ---- results -------------------------------------------------------------------------------

  /**
   * Totals over [start, end]. Online pods still waiting at `end` count as unplaced, with the time
   * they have waited so far in the pending distribution. Call once, at the end of the run.
   */
  totals(start: number, end: number): PolicyTotals {
    const hours = Math.max(1e-9, (end - start) / 3_600_000);
    let onlineUnplaced = 0;
    let batchUnfinished = 0;
    for (const p of this.#pods.values()) {
      if (p.gone) continue;
      if (p.spec.class === 'batch') batchUnfinished++;
      else if (!p.running) {
        onlineUnplaced++;
        this.#onlinePending.add(end - p.queuedAt);
      }
    }
    const mean = (k: keyof SeriesPoint): number => (this.series.length === 0 ? 0 : this.series.reduce((s, x) => s + (x[k] as number), 0) / this.series.length);
    const t = this.#totals;
    return {
      policy: this.policy.name,
      utilisation: {
        cpuUsed: mean('cpuUsedOnline') + mean('cpuUsedBatch'),
        cpuUsedOnline: mean('cpuUsedOnline'),
        cpuUsedBatch: mean('cpuUsedBatch'),
        cpuRequested: mean('cpuRequestedOnline') + mean('cpuRequestedBatch'),
        memUsed: mean('memUsedOnline') + mean('memUsedBatch'),
        memRequested: mean('memRequestedOnline') + mean('memRequestedBatch'),
      },
      onlineRisk: {
        hotNodeMinutes: t.hotNodeMs / 60_000,
        hotFraction: t.nodeMs > 0 ? t.hotNodeMs / t.nodeMs : 0,
        onlinePodsDelayed: t.onlineDelayed + onlineUnplaced,
        onlinePodsUnplaced: onlineUnplaced,
        onlinePending: this.#onlinePending.summary(),
        onlinePreemptions: t.onlinePreemptions,
      },
      batch: {
        arrived: t.batchArrived,
        completed: t.batchCompleted,
        throughputPerHour: t.batchCompleted / hours,
        completionDelay: this.#completionDelay.summary(),
        pending: this.#batchPending.summary(),
        jobsCompleted: t.jobsCompleted,
        jobCompletionTime: this.#jobTime.summary(),
        unfinished: batchUnfinished,
      },
      evictions: {
        total: [...t.evictions.values()].reduce((s, n) => s + n, 0),
        byReason: Object.fromEntries([...t.evictions].sort()),
        workLostCoreHours: t.workLostCoreMs / 1000 / 3_600_000,
      },
      peakNodesInUse: t.peakNodesInUse,
      placements: t.placements,
      failedAttempts: t.failedAttempts,
      cpuSeconds: { placement: t.placementMs / 1000, planning: t.planningMs / 1000 },
    };
  }

  // ---- internals -----------------------------------------------------------------------------

  #bind(p: SimPod, nodeName: string, now: number): void {
    const waited = now - p.queuedAt;
    if (p.spec.class === 'batch') this.#batchPending.add(waited);
    else {
      this.#onlinePending.add(waited);
      if (waited > this.#opts.onlineWaitLimitMs) this.#totals.onlineDelayed++;
    }
    p.spec = { ...p.spec, nodeName, startedAt: now, createdAt: p.arrival };
    p.running = true;
    p.startedAt = now;
    this.state.upsertPod(p.spec, now);
    // Per-pod usage, as metrics.k8s.io gives it: batch for the node's split, online for the apps' curves.
    this.state.recordPodUsage(p.spec.uid, p.usage);
    this.#totals.placements++;
    if (p.trace.class === 'batch' && p.trace.runtimeMs > 0) {
      const left = Math.max(0, p.trace.runtimeMs - p.workDone);
      this.#timers.push({ time: now + left, seq: this.#seq++, kind: 'complete', pod: p, version: p.version });
    }
  }

  #unbind(p: SimPod, now: number): void {
    this.state.removePod(p.spec.uid);
    p.running = false;
    p.version++;
    p.spec = { ...p.spec, nodeName: '', startedAt: 0 };
    if (p.trace.class === 'batch') p.workDone += now - p.startedAt;
  }

  #complete(p: SimPod, now: number): void {
    this.#freed.add(p.spec.nodeName);
    this.state.removePod(p.spec.uid);
    p.running = false;
    p.gone = true;
    this.#pods.delete(p.trace.uid);
    this.#census.completed++;
    this.#totals.batchCompleted++;
    this.#completionDelay.add(now - p.arrival - p.trace.runtimeMs);
    const j = p.trace.job ? this.#jobs.get(p.trace.job) : undefined;
    if (j && ++j.completed === j.arrived) {
      // Finished as far as the trace has shown; a later pod of the job would start a new entry.
      this.#totals.jobsCompleted++;
      this.#jobTime.add(now - j.firstArrival);
      this.#jobs.delete(p.trace.job);
    }
  }

  /** Takes a running pod off its node; its controller recreates it after a delay (pending again). */
  #evict(p: SimPod, now: number, reason: string): void {
    this.#stop(p, now);
    this.#evictionsSinceSample++;
    this.#totals.evictions.set(reason, (this.#totals.evictions.get(reason) ?? 0) + 1);
  }

  #stop(p: SimPod, now: number): void {
    if (!p.running) return;
    this.#freed.add(p.spec.nodeName);
    this.#unbind(p, now);
    if (p.trace.class === 'batch') {
      // Work since the last checkpoint is lost; a pod that cannot checkpoint loses all of it.
      const kept = p.trace.checkpointable ? Math.floor(p.workDone / this.#opts.checkpointIntervalMs) * this.#opts.checkpointIntervalMs : 0;
      this.#totals.workLostCoreMs += (p.workDone - kept) * (p.trace.requests.cpu / 1000);
      p.workDone = kept;
    }
    this.#timers.push({ time: now + this.#opts.recreateDelayMs, seq: this.#seq++, kind: 'recreate', pod: p, version: p.version });
  }

  #dropFromQueues(p: SimPod): void {
    const i = this.#active.indexOf(p);
    if (i >= 0) this.#active.splice(i, 1);
    const j = this.#unschedulable.indexOf(p);
    if (j >= 0) this.#unschedulable.splice(j, 1);
  }
}

function toSpec(t: TracePod, config: PolicyConfig, now: number): PodSpec {
  return {
    uid: t.uid,
    namespace: t.namespace,
    name: t.name,
    nodeName: '',
    class: t.class,
    app: t.app,
    priority: t.priority,
    labels: {},
    requests: { cpu: t.requests.cpu, memory: t.requests.memory },
    limits: { cpu: 0, memory: 0 },
    // With co-location, batch pods ask for Tidal's extended resources (the recommended deployment).
    extendedBatchResources: t.class === 'batch' && config.colocation,
    createdAt: now,
    startedAt: 0,
    expectedRuntimeMs: t.class === 'batch' ? t.declaredRuntimeMs : 0,
    checkpointable: t.checkpointable,
    progress: -1,
    ownerKind: t.class === 'batch' ? 'Job' : 'ReplicaSet',
    ownerName: t.job || t.app,
    isMirror: false,
    terminating: false,
    hasLocalStorage: false,
  };
}

/**
 * Pods with equal keys get the same filter verdicts at one instant: same class, app, requests,
 * priority, checkpointing and span (the span starts now, so its length stands for its end).
 */
function shapeKeyOf(p: SimPod): string {
  const s = p.spec;
  return `${s.class}|${s.app}|${s.requests.cpu}|${s.requests.memory}|${s.priority}|${s.checkpointable}|${spanEndOf(p, 0)}`;
}

function spanEndOf(p: SimPod, now: number): number {
  return p.spec.class === 'batch' && p.spec.expectedRuntimeMs > 0 && !p.spec.checkpointable ? now + p.spec.expectedRuntimeMs : 0;
}

interface Failed {
  cls: string;
  app: string;
  cpu: number;
  memory: number;
  /** 0 when the pod needed capacity now only; else the end of the span it needed it over. */
  spanEnd: number;
}

/** Whether failure of f implies failure of a pod asking (cls, app, cpu, memory, spanEnd). */
function implies(f: Failed, cls: string, app: string, cpu: number, memory: number, spanEnd: number): boolean {
  if (f.cls !== cls || cpu < f.cpu || memory < f.memory) return false;
  if (cls === 'batch') return f.spanEnd === 0 || (spanEnd !== 0 && spanEnd >= f.spanEnd);
  return f.app === app;
}

function dominated(p: SimPod, failed: readonly Failed[], now: number): boolean {
  const span = spanEndOf(p, now);
  const cls = p.spec.class === 'batch' ? 'batch' : 'online';
  for (const f of failed) if (implies(f, cls, p.spec.app, p.spec.requests.cpu, p.spec.requests.memory, span)) return true;
  return false;
}

/** Keeps the failed set minimal (a Pareto frontier): entries implied by the new one are dropped. */
function addFailed(failed: Failed[], f: Failed): void {
  for (let i = failed.length - 1; i >= 0; i--) {
    const g = failed[i]!;
    if (implies(f, g.cls, g.app, g.cpu, g.memory, g.spanEnd)) failed.splice(i, 1);
  }
  failed.push(f);
}

