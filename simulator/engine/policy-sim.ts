// One policy's virtual cluster: a core ClusterState and PolicyEngine, and the pieces that play the
// rest of Kubernetes around them, each in its own module:
//   queue.ts           kube-scheduler's scheduling queue (activeQ, unschedulable pods, queueing hints)
//   scheduling.ts      the scheduling pass, with preemption (the core's planPreemption)
//   lifecycle.ts       pods' lives: bind, completion, eviction, recreation, work lost
//   sampling.ts        usage synthesis into the core and the report's series
//   totals.ts          the run's totals
//   controller-api.ts  what a peer policy's own controller may see and do
// plus the core's descheduler on its timer and a peer's controller on its own. Placement, preemption
// and eviction decisions are the core's or the peer controller's: this simulator only carries them
// out on the virtual cluster and measures. PolicySim wires the pieces and is what simulation.ts drives.

import { performance } from 'node:perf_hooks';
import type { PolicyConfig } from '../../scheduler/core/config.ts';
import { PolicyEngine } from '../../scheduler/core/engine.ts';
import { planEvictions } from '../../scheduler/core/descheduling/plan.ts';
import { forecastBookOf, type ForecastCapacityArgs } from '../../scheduler/core/plugins/forecast-capacity.ts';
import type { NodeInfo, PodInfo } from '../../scheduler/core/model.ts';
import type { Profile } from '../../scheduler/core/profile.ts';
import { TokenBucket } from '../../scheduler/core/rate.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import type { ControllerApi, PeerController, SimPolicy } from '../policies/types.ts';
import type { TracePod } from '../traces/events.ts';
import { controllerApi } from './controller-api.ts';
import { PodLifecycle } from './lifecycle.ts';
import type { PolicyTotals, SeriesPoint } from './metrics.ts';
import type { SimOptions, TraceUsage } from './options.ts';
import { SchedulingQueue } from './queue.ts';
import { UsageSampler } from './sampling.ts';
import { SchedulingCycle } from './scheduling.ts';
import { RunTotals } from './totals.ts';

export { DEFAULT_SIM_OPTIONS, type SimOptions, type TraceUsage } from './options.ts';

export class PolicySim {
  readonly policy: SimPolicy;
  readonly config: PolicyConfig;
  readonly state: ClusterState;
  readonly engine: PolicyEngine;
  readonly timeline: ProfileTimeline;
  readonly series: SeriesPoint[];
  readonly #queue: SchedulingQueue;
  readonly #lifecycle: PodLifecycle;
  readonly #cycle: SchedulingCycle;
  readonly #sampler: UsageSampler;
  readonly #totals = new RunTotals();
  readonly #rate: TokenBucket;
  readonly #controller: PeerController | null;
  readonly #api: ControllerApi;
  #nextControl = Infinity;
  /** The virtual time of the current controller tick (what the controller API acts at). */
  #now = 0;
  #hotStreaks = new Map<string, number>();

  constructor(policy: SimPolicy, profile: Profile, usage: TraceUsage, opts: SimOptions) {
    this.policy = policy;
    this.config = policy.config;
    this.state = new ClusterState(this.config.usage);
    this.timeline = new ProfileTimeline(policy.profileFor(profile));
    const args = policy.pluginArgs?.(profile);
    const config = args ? { ...this.config, pluginArgs: { ...this.config.pluginArgs, ...args } } : this.config;
    this.engine = new PolicyEngine({ config, state: this.state, profile: this.timeline, definitions: policy.definitions, tieBreak: opts.tieBreak, tieSeed: opts.tieSeed });
    const rate = policy.evictionRate ?? opts.evictionRate;
    this.#rate = new TokenBucket(rate.perMinute, rate.burst);
    this.#controller = policy.controller?.(profile) ?? null;
    this.#queue = new SchedulingQueue(this.engine, opts.hintIntervalMs);
    this.#lifecycle = new PodLifecycle(this.state, this.config, this.#queue, this.#totals, opts);
    this.#cycle = new SchedulingCycle(this.engine, this.#queue, this.#lifecycle, this.#totals, opts);
    this.#sampler = new UsageSampler(this.state, this.timeline, usage, this.#lifecycle, this.#queue, this.#totals, opts, policy.nodeAgent?.beSuppression ?? null);
    this.series = this.#sampler.series;
    this.#api = controllerApi({
      state: this.state,
      engine: this.engine,
      timeline: this.timeline,
      queue: this.#queue,
      lifecycle: this.#lifecycle,
      rate: this.#rate,
      now: () => this.#now,
    });
  }

  // ---- the peer controller -------------------------------------------------------------------

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

  // ---- what the cluster holds ----------------------------------------------------------------

  /**
   * Where every pod that arrived is now. arrived = running + pending + recreating + completed + ended
   * must hold at every instant (a conservation check for tests).
   */
  census(): { arrived: number; running: number; pending: number; recreating: number; completed: number; ended: number } {
    const pods = this.#lifecycle.pods;
    let running = 0;
    for (const p of pods.values()) if (p.running) running++;
    const waiting = this.#queue.countPending();
    const pending = waiting.batch + waiting.other;
    const c = this.#lifecycle.census;
    return { arrived: c.arrived, running, pending, recreating: pods.size - running - pending, completed: c.completed, ended: c.ended };
  }

  /** Pods of a class waiting to be placed (queued or unschedulable). */
  pending(cls: PodInfo['class']): PodInfo[] {
    return this.#queue.pending(cls);
  }

  get pendingCount(): number {
    return this.#queue.size;
  }

  // ---- trace events -------------------------------------------------------------------------

  addNode(spec: NodeInfo, now: number): void {
    this.state.upsertNode(this.#controller?.onNodeAdd?.(spec) ?? spec, now);
    this.#queue.nodeChanged(spec.name);
  }

  removeNode(name: string, now: number): void {
    if (!this.state.nodes.has(name)) return;
    this.#sampler.forgetNode(name);
    this.#lifecycle.stopPodsOn(name, now);
    this.state.removeNode(name);
  }

  arrive(trace: TracePod, now: number): void {
    this.#lifecycle.arrive(trace, now);
  }

  podUsage(uid: string, cpu: number, memory: number): void {
    const p = this.#lifecycle.pods.get(uid);
    if (p) p.observed = { cpu, memory };
  }

  end(uid: string, now: number): void {
    this.#lifecycle.end(uid, now);
  }

  // ---- the clock's steps (simulation.ts calls them in a fixed order) ---------------------------

  /** The next internal timer (completion, recreation), or Infinity. */
  nextTimer(): number {
    return this.#lifecycle.nextTimer();
  }

  runTimers(now: number): void {
    this.#lifecycle.runTimers(now);
  }

  /** Moves every unschedulable pod back to the active queue (the periodic flush). */
  flushUnschedulable(): void {
    this.#queue.flushUnschedulable();
  }

  /** One scheduling pass over the active queue. */
  schedule(now: number): void {
    this.#cycle.schedule(now);
  }

  /** The core's descheduler cycle (and a peer controller without a timer of its own). */
  deschedule(now: number): void {
    if (this.#controller && !this.#controller.intervalMs) this.#tick(this.#controller, now);
    const planner = this.policy.planner;
    if (!planner) return;
    const t0 = performance.now();
    const book = planner.forecast ? forecastBookOf(this.engine.handle, this.engine.config.pluginArgs['ForecastCapacity'] as Partial<ForecastCapacityArgs> | undefined) : undefined;
    const plan = planEvictions({ state: this.state, timeline: this.timeline, now, config: planner, rateBudget: this.#rate.available(now), hotStreaks: this.#hotStreaks, book });
    this.#hotStreaks = plan.hotStreaks;
    for (const e of plan.evictions) {
      const p = this.#lifecycle.pods.get(e.pod.uid);
      if (!p?.running) continue;
      this.#lifecycle.evict(p, now, e.reason);
      this.#rate.take();
    }
    this.#totals.planningMs += performance.now() - t0;
  }

  /** Samples usage into the core (as the metrics API would) and a point into the report series. */
  sample(now: number): void {
    this.#sampler.sample(now);
  }

  /**
   * Totals over [start, end]. Online pods still waiting at `end` count as unplaced, with the time
   * they have waited so far in the pending distribution. Call once, at the end of the run.
   */
  totals(start: number, end: number): PolicyTotals {
    return this.#totals.summarize(this.policy.name, this.series, this.#lifecycle.pods.values(), start, end);
  }
}
