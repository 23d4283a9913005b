// What one engine keeps of the forecasts (framework.ts PluginHandle.shared): each node's latest
// forecast (remade when the node, the curves, the horizon or the profile changed), the forecast
// errors, and the compiled app curves for the current horizon.
//
// Errors are fed from the nodes' own usage samples as forecasts are asked for: before a node's
// forecast is remade, its newest sample (if not fed yet) is compared with the mean the previous
// forecast gave for that sample's slot, for the node and, where a metrics source gave per-pod usage,
// for each online app on it (per pod). Every front end that records usage therefore feeds the errors
// without code of its own; samples between two forecasts of a node beyond the newest are not fed.
// Nor is a sample from a slot a profile event covered: there the forecast was the operator's stated
// demand, not the curves, and its miss (a 5x that came as 3x) says nothing of the curves' error; fed,
// it would widen every node's band for hours after the event.

import { SLOTS_PER_DAY } from '../app-curves.ts';
import type { PodInfo, Resources } from '../model.ts';
import type { Profile } from '../profile.ts';
import type { ClusterState, NodeState } from '../state.ts';
import { ForecastErrors, type ErrorConfig } from './errors.ts';
import { slotEvents, type SlotEvents } from './events.ts';
import { aboveBand, anchorForecast, compiledCurves, forecastShape, slotAt, zOf, type CurveSource, type ForecastShape, type ForecastTenant, type NodeForecast, type NodeForecastInput } from './node-forecast.ts';
import { DEFAULT_RUNTIME_ESTIMATE_MS } from './runtime.ts';
import { batchCommitments, batchEnd, spanCapacity, spanSlots, type Commitments, type SpanCapacity } from './span-capacity.ts';

/** How batch CPU is committed: at the pods' requests, or at what their owners' pods use (batch-usage.ts). */
export type BatchCpuBasis = 'requests' | 'usage';

/** A node's forecast as the book keeps it. */
export interface ForecastEntry {
  version: number;
  curves: number;
  start: number;
  /** Whether the node's usage was fresh (its observation anchors the residual). */
  fresh: boolean;
  profile: Profile;
  forecast: NodeForecast;
  committed: Commitments;
  /**
   * Whether `committed` was made at the horizon's start instant: a pod past its runtime estimate holds
   * through the slot after now, which from the slot's first instant is one slot and from any later
   * instant in it two. Commitments made at two instants of one slot are otherwise the same.
   */
  committedAtStart: boolean;
  /** The runtime estimates' and batch usage ratios' versions `committed` was made from. */
  runtimesAt: number;
  usageAt: number;
  /** The job keys (JobKeys) of the node's batch pods: the CPU usage ratios `committed` read. */
  jobs: string[];
  /** The job keys of those that declare no runtime: the runtime estimates `committed` read. */
  estimated: string[];
  /** The node's podsVersion `committed` and `jobs` were made from. */
  podsVersion: number;
  /** The newest sample time fed into the errors. */
  fed: number;
  /**
   * How far that sample ran above the upper band the node's previous forecast gave for its slot (per
   * resource), or null when within it: the signal for hot-spot relief to act at once. (The new
   * forecast is anchored on that sample, so it cannot tell by itself.)
   */
  above: Resources | null;
  /** What `forecast` was made from: a remade entry whose inputs are the same keeps it (forecastNode is pure). */
  inputs: ForecastInputs | null;
  /** The forecast's shape (node-forecast.ts ForecastShape): a remade entry whose inputs differ in the observation only keeps it. */
  shape: ForecastShape;
}

/**
 * forecastNode's inputs beyond the book's constants (z, the horizon): the curves (version and horizon
 * start), the events, the online tenants in order, the system pods' requests, the observation and
 * the node's error statistics (ForecastErrors.token). A batch pod bound or gone, or a change to the
 * node the forecast does not read, leaves them equal.
 */
interface ForecastInputs {
  curves: number;
  start: number;
  events: SlotEvents;
  apps: string[];
  /** Requests of the tenants, cpu and memory in turn. */
  requests: number[];
  system: Resources;
  observed: Resources | null;
  track: object | undefined;
  folds: number;
}

function sameObserved(a: ForecastInputs, b: ForecastInputs): boolean {
  return a.observed === null || b.observed === null ? a.observed === b.observed : a.observed.cpu === b.observed.cpu && a.observed.memory === b.observed.memory;
}

/** Whether the inputs are the same but for the observation (the forecast's shape is the same: forecastShape does not read it). */
function sameShapeInputs(a: ForecastInputs, b: ForecastInputs): boolean {
  if (a.curves !== b.curves || a.start !== b.start || a.events !== b.events || a.track !== b.track || a.folds !== b.folds) return false;
  if (a.system.cpu !== b.system.cpu || a.system.memory !== b.system.memory) return false;
  if (a.apps.length !== b.apps.length) return false;
  for (let k = 0; k < a.apps.length; k++) if (a.apps[k] !== b.apps[k]) return false;
  for (let k = 0; k < a.requests.length; k++) if (a.requests[k] !== b.requests[k]) return false;
  return true;
}

export const appErrorKey = (app: string): string => `app/${app}`;
export const nodeErrorKey = (node: string): string => `node/${node}`;

export class ForecastBook {
  readonly z: number;
  readonly errors: ForecastErrors;
  readonly #entries = new WeakMap<NodeState, ForecastEntry>();
  #curves: { epoch: number; version: number; source: CurveSource } | null = null;
  #events: { profile: Profile; start: number; events: SlotEvents } | null = null;

  /** The runtime of a batch pod that declares none and whose owner has taught none (commitments). */
  readonly defaultRuntimeMs: number;

  /** How batch CPU is committed (ForecastCapacity batchCpu). */
  readonly batchCpu: BatchCpuBasis;

  constructor(quantile: number, errors: Partial<ErrorConfig> = {}, defaultRuntimeMs = DEFAULT_RUNTIME_ESTIMATE_MS, batchCpu: BatchCpuBasis = 'requests') {
    this.z = zOf(quantile);
    this.defaultRuntimeMs = defaultRuntimeMs;
    this.errors = new ForecastErrors(errors);
    this.batchCpu = batchCpu;
  }

  /** What a batch pod counts for in CPU (millicores), in commitments, admissions and drains alike. */
  podCpu(state: ClusterState, p: PodInfo): number {
    return this.batchCpu === 'usage' ? state.batchUsage.cpuOf(p) : p.requests.cpu;
  }

  /** The batch commitments of `pods` from `start` (span-capacity.ts), with this book's runtime default and CPU basis. */
  commitments(state: ClusterState, pods: Iterable<PodInfo>, start: number, slots: number, now: number, skip?: ReadonlySet<string>): Commitments {
    return batchCommitments(pods, start, slots, now, this.#estimate(state), skip, (p) => this.podCpu(state, p));
  }

  /**
   * The commitments of the node's batch pods over the first `slots` slots of its forecast entry `e`
   * (fresh from forecast()) as of `now`, the pods in `leaving` counted as gone: the entry's own when
   * they would come out the same (nobody leaving, made on the same side of the slot's first instant).
   * Read only the first `slots` slots.
   */
  commitmentsAt(state: ClusterState, node: NodeState, e: ForecastEntry, slots: number, now: number, leaving?: ReadonlySet<string>): Commitments {
    if (leaving === undefined && (now === e.start) === e.committedAtStart) return e.committed;
    return this.commitments(state, node.pods.values(), e.start, slots, now, leaving);
  }

  /** When a batch pod on a node lets go of what it is committed at (span-capacity.ts batchEnd): the end commitments() gives it. */
  committedUntil(state: ClusterState, p: PodInfo, now: number): number {
    return batchEnd(p, now, this.#estimate(state));
  }

  /** A pod's runtime for commitments: declared, else learned for its owner, else this book's default. */
  #estimate(state: ClusterState): (p: PodInfo) => number {
    return (p) => state.runtimes.runtimeOf(p, this.defaultRuntimeMs).ms;
  }

  /** The node's forecast for the 24 hours from now's slot, and its batch commitments slot by slot. */
  forecast(state: ClusterState, node: NodeState, profile: Profile, now: number): ForecastEntry {
    state.learnCurves();
    const curves = state.curves;
    const start = curves.slotStart(now);
    const epoch = curves.slotOf(now);
    const fresh = now <= node.table.freshUntil[node.index]!;
    const e = this.#entries.get(node);
    if (e && e.version === node.version && e.curves === curves.version && e.start === start && e.fresh === fresh && e.profile === profile) {
      // Remake the commitments only if something was learned of a job on this node since.
      if (this.#estimatesChanged(state, e)) {
        e.committed = this.commitments(state, node.pods.values(), start, SLOTS_PER_DAY, now);
        e.committedAtStart = now === start;
      }
      e.runtimesAt = state.runtimes.version;
      e.usageAt = state.batchUsage.version;
      return e;
    }
    const { fed, above } = this.#feed(state, node, e);
    if (!this.#curves || this.#curves.epoch !== epoch || this.#curves.version !== curves.version) this.#curves = { epoch, version: curves.version, source: compiledCurves(curves, epoch) };
    if (!this.#events || this.#events.profile !== profile || this.#events.start !== start) this.#events = { profile, start, events: slotEvents(profile, start, SLOTS_PER_DAY) };
    const tenants: ForecastTenant[] = [];
    const apps: string[] = [];
    const requests: number[] = [];
    let leaving = false;
    for (const p of node.pods.values()) {
      if (p.class !== 'online') continue;
      tenants.push({ app: p.app, requests: p.requests, leavesAt: p.terminating ? now : Infinity });
      apps.push(p.app);
      requests.push(p.requests.cpu, p.requests.memory);
      if (p.terminating) leaving = true;
    }
    const latest = fresh ? node.usage.latest() : null;
    const observed = latest ? { cpu: latest.online.cpu + node.unmeteredRequests.cpu, memory: latest.online.memory + node.unmeteredRequests.memory } : null;
    const key = nodeErrorKey(node.name);
    const system = node.requested.system;
    const events = this.#events.events;
    const token = this.errors.token(key);
    // A tenant that is leaving counts up to `now`: such a forecast is not reused.
    const inputs: ForecastInputs | null = leaving ? null : { curves: curves.version, start, events, apps, requests, system: { cpu: system.cpu, memory: system.memory }, observed, track: token.track, folds: token.folds };
    // The same inputs: the same forecast; the same but for the observation: the same shape, anchored
    // anew (the shape's curves were compiled from this same source, so the source holds them already).
    const sameShape = e?.inputs != null && inputs !== null && sameShapeInputs(e.inputs, inputs);
    let forecast: NodeForecast;
    let shape: ForecastShape;
    if (sameShape && sameObserved(e!.inputs!, inputs!)) {
      forecast = e!.forecast;
      shape = e!.shape;
    } else {
      const input: NodeForecastInput = { key, start, epoch, slots: SLOTS_PER_DAY, tenants, system, observed, events };
      shape = sameShape ? e!.shape : forecastShape(input, this.#curves.source, this.z, this.errors);
      forecast = anchorForecast(input, shape, this.z);
    }
    // The commitments read the node's batch pods, the horizon's start (and whether now is its first
    // instant) and their jobs' estimates: kept when none of these changed (a new usage sample, an
    // online pod's change), as the cached path above keeps them.
    let jobs: string[];
    let estimated: string[];
    let committed: Commitments;
    if (e && e.podsVersion === node.podsVersion && e.start === start && e.committedAtStart === (now === start) && !this.#estimatesChanged(state, e)) {
      jobs = e.jobs;
      estimated = e.estimated;
      committed = e.committed;
    } else {
      jobs = [];
      estimated = [];
      for (const p of node.pods.values()) {
        if (p.class !== 'batch') continue;
        const key = state.runtimes.keys.of(p);
        jobs.push(key);
        if (!(p.expectedRuntimeMs > 0)) estimated.push(key);
      }
      committed = this.commitments(state, node.pods.values(), start, SLOTS_PER_DAY, now);
    }
    const entry: ForecastEntry = { version: node.version, curves: curves.version, start, fresh, profile, forecast, committed, committedAtStart: now === start, runtimesAt: state.runtimes.version, usageAt: state.batchUsage.version, jobs, estimated, podsVersion: node.podsVersion, fed, above, inputs, shape };
    this.#entries.set(node, entry);
    return entry;
  }

  /**
   * Whether an estimate the entry's commitments read changed since they were made: the runtime of a
   * job whose pod there declares none (a declared runtime is read instead), the CPU usage ratio of
   * any of its jobs when batch CPU is committed by usage.
   */
  #estimatesChanged(state: ClusterState, e: ForecastEntry): boolean {
    return state.runtimes.changedSince(e.estimated, e.runtimesAt) || (this.batchCpu === 'usage' && state.batchUsage.changedSince(e.jobs, e.usageAt));
  }

  /**
   * The node's latest forecast as the book holds it, without remaking it or feeding errors (a pure
   * read): what the scheduler's last decision on the node used. For observers (the simulator's
   * forecast-vs-actual report), so that watching a run never changes it.
   */
  peek(node: NodeState): ForecastEntry | undefined {
    return this.#entries.get(node);
  }

  /**
   * The node's batch capacity over [now, now + spanMs) under allocatable x target (span-capacity.ts):
   * what the ForecastCapacity filter, the forecast drain and `tidal explain node` all compute.
   */
  capacity(state: ClusterState, node: NodeState, profile: Profile, now: number, spanMs: number, target: number, out: SpanCapacity): SpanCapacity {
    const e = this.forecast(state, node, profile, now);
    const a = node.spec.allocatable;
    return spanCapacity(e.forecast, e.committed, a.cpu, a.memory, target, spanSlots(e.forecast, now, spanMs), out);
  }

  /** Feeds the node's newest sample against the previous forecast: the newest time fed, and whether it ran above the band. */
  #feed(state: ClusterState, node: NodeState, prev: ForecastEntry | undefined): { fed: number; above: Resources | null } {
    const s = node.usage.latest();
    if (!prev || !s || s.time <= prev.fed) return { fed: prev?.fed ?? (s ? s.time : -Infinity), above: prev?.above ?? null };
    const f = prev.forecast;
    const k = slotAt(f, s.time);
    if (k < 0) return { fed: s.time, above: null };
    const above = aboveBand(f, s.time, s.online);
    if ((f.events?.events[k]?.length ?? 0) > 0) return { fed: s.time, above };
    this.errors.observe(f.key, s.time, s.online, { cpu: f.meanCpu[k]!, memory: f.meanMem[k]! });
    const src = this.#curves?.source;
    if (src) {
      const d = state.curves.slotOf(s.time) % SLOTS_PER_DAY;
      const perApp = new Map<string, { n: number; used: Resources }>();
      for (const p of node.pods.values()) this.#addAppUsage(state, p, perApp);
      for (const [app, { n, used }] of perApp) {
        const c = src(app);
        if (c) this.errors.observe(appErrorKey(app), s.time, { cpu: used.cpu / n, memory: used.memory / n }, { cpu: c.cpu[d]!, memory: c.memory[d]! });
      }
    }
    return { fed: s.time, above };
  }

  #addAppUsage(state: ClusterState, p: PodInfo, perApp: Map<string, { n: number; used: Resources }>): void {
    if (p.class !== 'online') return;
    const u = state.podUsage.get(p.uid);
    if (!u) return;
    let a = perApp.get(p.app);
    if (!a) perApp.set(p.app, (a = { n: 0, used: { cpu: 0, memory: 0 } }));
    a.n++;
    a.used.cpu += u.cpu;
    a.used.memory += u.memory;
  }
}
