// The discrete-event loop. One pass over the trace drives every policy in lockstep on one virtual
// clock: trace events (nodes, pods, usage) are applied to each policy's cluster, then internal timers
// (completions, recreated pods), the unschedulable flush, a peer policy's own controller when its
// timer is due (simulator/policies/), then a scheduling pass, then the periodic ticks (descheduler
// cycle, usage sample). Within a timestamp the order is fixed, so replays are
// deterministic. The trace is read as a stream: memory follows live pods and nodes.
// Lockstep is kept for replays that watch every policy at every step (onStep); several policies in
// one thread otherwise replay in lanes (lanes.ts: each policy over a batch of events in turn, this
// loop with one policy, twice as fast as lockstep for the CPU's caches), and with `threads`
// parallel/run.ts runs this loop in worker threads, each over its share of the policies and the same
// events (read once here). A policy never steps on another's timers, so both give the lockstep
// run's results.

import type { Profile } from '../../scheduler/core/profile.ts';
import type { SimPolicy } from '../policies/index.ts';
import type { Trace, TraceEvent } from '../traces/events.ts';
import type { PolicyTotals, SeriesPoint } from './metrics.ts';
import { DEFAULT_SIM_OPTIONS, PolicySim, type SimOptions, type TraceUsage } from './policy-sim.ts';
import { ForecastTracker, type TrackedPolicy } from '../forecast-track.ts';
import { simulateParallel, threadsFor, type ParallelTuning } from './parallel/run.ts';
import { inLanes, simulateInLanes } from './lanes.ts';

export interface SimulationInput {
  trace: Trace;
  profile: Profile;
  policies: readonly SimPolicy[];
  options?: Partial<SimOptions>;
  /**
   * Stop at this time even if the trace goes on; when it is after the last event the replay goes on
   * to it with the pods it has (a snapshot replayed for a while). Default: the trace's declared end
   * (info.end) or its last event, whichever is later.
   */
  until?: number;
  /** The most periodic ticks (samples, descheduler cycles, retries) a run may take; default MAX_TICKS. */
  maxTicks?: number;
  /** Consulted once per node-add: only nodes it accepts exist (capacity planning). */
  nodeFilter?: (name: string) => boolean;
  /**
   * Called every few thousand events with the current virtual time (progress bars). On worker
   * threads: the slowest worker's time and events, and each worker's own (lanes).
   */
  onProgress?: (now: number, events: number, lanes?: readonly ProgressLane[]) => void;
  /** Called after each step of the clock with every policy's simulation (invariant checks in tests). */
  onStep?: (now: number, sims: readonly PolicySim[], phase: 'schedule' | 'deschedule') => void;
  /**
   * Track forecast against actual for the policies on the forecast (simulator/forecast-track.ts): each
   * such policy's result carries its series (`forecast`). A pure read of the run; works on worker threads.
   */
  trackForecast?: { leadMs: number };
  /**
   * Worker threads to replay the policies on (parallel/run.ts): 1 (the default) replays them all in
   * this thread; n > 1 spreads them over min(n, policies) workers, the trace read once here; 'auto'
   * takes one per policy up to the cores when there are several policies and cores (the CLI's
   * default; a worker with several replays them in lanes). The results are the same either way. A
   * replay with onStep or nodeFilter (functions of this thread) or a policy that is not a named one
   * stays in this thread under 'auto' and is refused for n > 1.
   */
  threads?: number | 'auto';
  /**
   * With threads > 1: the batch size and flow-control window (tests), and what the run measured; in
   * lanes, the batch size.
   */
  parallel?: ParallelTuning;
  /**
   * Step every policy at every instant in one loop (the lockstep replay), rather than each policy
   * over a batch of events in turn (lanes.ts, the default for several policies in one thread: the
   * same results in about half the time). A replay with onStep is always in lockstep.
   */
  lockstep?: boolean;
}

/** One worker's progress in a replay on worker threads. */
export interface ProgressLane {
  policies: readonly string[];
  now: number;
  events: number;
}

export interface PolicyResult {
  policy: string;
  description: string;
  totals: PolicyTotals;
  series: SeriesPoint[];
  /** With trackForecast, for a policy on the forecast: its samples beside its forecasts, per node. */
  forecast?: TrackedPolicy;
}

export interface SimulationResult {
  /** Where the trace came from, and the profile's time zone (reports show local times in it). */
  source: string;
  timeZone: string;
  start: number;
  end: number;
  events: number;
  skippedRows: Record<string, number>;
  /** What the reader read but left out or changed, by reason (TraceInfo.dropped). */
  droppedRows?: Record<string, number>;
  options: SimOptions;
  profile: string;
  policies: PolicyResult[];
  wallSeconds: number;
}

/**
 * Ticks one run may take: each sample keeps a series point per policy, so this bounds memory and
 * time (8 days at 1 s samples and 2 min cycles is ~700,000). A trace or an interval beyond it is
 * refused before the run starts, with the figure.
 */
export const MAX_TICKS = 2_000_000;

/** Periodic ticks from `from` to `to`: samples, descheduler cycles and unschedulable retries. */
function ticksBetween(from: number, to: number, o: SimOptions): number {
  const span = Math.max(0, to - from);
  return Math.floor(span / o.sampleIntervalMs) + Math.floor(span / o.deschedulerIntervalMs) + Math.floor(span / o.retryIntervalMs) + 3;
}

function tooManyTicks(what: string, from: number, to: number, o: SimOptions, limit: number): Error {
  const n = ticksBetween(from, to, o);
  return new Error(
    `${what} (${iso(from)} to ${iso(to)}) would take ${n.toLocaleString('en-US')} ticks at a ${o.sampleIntervalMs} ms sample interval and a ${o.deschedulerIntervalMs} ms descheduler interval, ` +
      `above the limit of ${limit.toLocaleString('en-US')}: use longer intervals or a shorter span (--until)`,
  );
}

function iso(t: number): string {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t);
}

export async function simulate(input: SimulationInput): Promise<SimulationResult> {
  const t0 = Date.now();
  const opts: SimOptions = { ...DEFAULT_SIM_OPTIONS, ...input.options };
  for (const k of ['sampleIntervalMs', 'deschedulerIntervalMs', 'retryIntervalMs'] as const) {
    if (!(Number.isFinite(opts[k]) && opts[k] >= 1000)) throw new Error(`${k} must be at least 1000 ms (got ${opts[k]})`);
  }
  const threads = threadsFor(input);
  if (threads > 1) return simulateParallel(input, opts, threads);
  if (inLanes(input)) return simulateInLanes(input, opts, simulate);
  const maxTicks = input.maxTicks ?? MAX_TICKS;
  const usage: TraceUsage = { app: new Map(), node: new Map(), nodeTime: new Map() };
  const sims = input.policies.map((p) => new PolicySim(p, input.profile, usage, opts));
  const keep = input.nodeFilter ?? (() => true);
  const tracker = input.trackForecast ? new ForecastTracker(input.trackForecast) : null;
  const userStep = input.onStep;
  const onStep: SimulationInput['onStep'] = tracker
    ? (now, s, phase) => {
        tracker.onStep(now, s);
        userStep?.(now, s, phase);
      }
    : userStep;
  const it = input.trace.events()[Symbol.asyncIterator]();
  let next = await it.next();
  if (next.done) throw new Error(`trace ${input.trace.info.source} has no events`);
  const start = next.value.time;
  const until = input.until ?? Infinity;
  const { source } = input.trace.info;
  if (until < start) throw new Error(`until ${iso(until)} is before the trace ${source} starts (${iso(start)})`);
  const declared = input.trace.info.end;
  const declaredEnd = declared !== undefined && Number.isFinite(declared) && declared > start ? declared : -Infinity;
  // Where the replay stops once the trace has no more events: --until, else the declared end or the last event.
  const horizon = () => (input.until ?? Math.max(lastEventTime, declaredEnd));
  const known = input.until ?? Math.max(declaredEnd, start);
  if (ticksBetween(start, known, opts) > maxTicks) throw tooManyTicks(`the replay of ${source}`, start, known, opts, maxTicks);
  let nextSample = start;
  let nextDeschedule = start + opts.deschedulerIntervalMs;
  let nextRetry = start + opts.retryIntervalMs;
  for (const s of sims) s.startControl(start);
  let now = start;
  let events = 0;
  let lastEventTime = start;

  for (;;) {
    const traceTime = next.done ? Infinity : next.value.time;
    let timerTime = Infinity;
    for (const s of sims) timerTime = Math.min(timerTime, s.nextTimer());
    // Ticks run to the horizon (--until, else the declared end or the last event); then the run stops.
    let controlTime = Infinity;
    for (const s of sims) controlTime = Math.min(controlTime, s.nextControl());
    const tickTime = Math.min(nextSample, nextDeschedule, nextRetry, controlTime);
    const t = Math.min(traceTime, timerTime, tickTime);
    if (t === Infinity || t > until || (next.done && t > horizon())) break;
    if (t < now) throw new Error(`trace ${input.trace.info.source} is out of order: an event at ${new Date(t).toISOString()} follows ${new Date(now).toISOString()}`);
    now = t;
    // Every policy steps on trace events and the common ticks; on its own timers and controller only
    // otherwise, so that one policy's results never depend on which others run beside it (a step
    // requeues hinted pods and places what is queued, so an extra step would change the replay).
    const shared = traceTime === now || nextSample <= now || nextDeschedule <= now || nextRetry <= now;
    while (!next.done && next.value.time === now) {
      apply(next.value, sims, usage, keep, now);
      events++;
      lastEventTime = now;
      if (events % 10_000 === 0) input.onProgress?.(now, events);
      next = await it.next();
      // Refuse to tick towards an event far ahead (a stray timestamp) before spending the time.
      if (!next.done && next.value.time > now && Math.min(next.value.time, until) > known && ticksBetween(start, Math.min(next.value.time, until), opts) > maxTicks) {
        throw tooManyTicks(`an event at ${iso(next.value.time)} (${next.value.type}) in ${source}: the replay to it`, start, Math.min(next.value.time, until), opts, maxTicks);
      }
    }
    const stepping = shared ? sims : sims.filter((s) => s.nextTimer() <= now || s.nextControl() <= now);
    for (const s of stepping) s.runTimers(now);
    if (now >= nextRetry) {
      for (const s of sims) s.flushUnschedulable();
      nextRetry += opts.retryIntervalMs;
    }
    for (const s of stepping) s.control(now);
    for (const s of stepping) s.schedule(now);
    onStep?.(now, sims, 'schedule');
    if (now >= nextDeschedule) {
      for (const s of sims) s.deschedule(now);
      nextDeschedule += opts.deschedulerIntervalMs;
      onStep?.(now, sims, 'deschedule');
    }
    if (now >= nextSample) {
      for (const s of sims) s.sample(now);
      nextSample += opts.sampleIntervalMs;
    }
  }
  const end = Math.min(horizon(), until);
  input.onProgress?.(end, events);
  tracker?.finish();
  const tracked = new Map(tracker?.tracked().map((t) => [t.policy, t]));
  return {
    source: input.trace.info.source,
    timeZone: input.profile.timeZone,
    start,
    end,
    events,
    skippedRows: Object.fromEntries(input.trace.info.skipped),
    droppedRows: Object.fromEntries(input.trace.info.dropped ?? []),
    options: opts,
    profile: input.profile.name,
    policies: sims.map((s) => {
      const forecast = tracked.get(s.policy.name);
      return { policy: s.policy.name, description: s.policy.description, totals: s.totals(start, end), series: s.series, ...(forecast ? { forecast } : {}) };
    }),
    wallSeconds: (Date.now() - t0) / 1000,
  };
}

function apply(e: TraceEvent, sims: PolicySim[], usage: TraceUsage, keep: (name: string) => boolean, now: number): void {
  switch (e.type) {
    case 'node-add':
      if (keep(e.node.name)) for (const s of sims) s.addNode(e.node, now);
      return;
    case 'node-remove':
      for (const s of sims) s.removeNode(e.name, now);
      return;
    case 'pod-arrival':
      // A pod pinned to a node this run does not have is placed by the policy instead.
      for (const s of sims) s.arrive(e.pod, now);
      return;
    case 'pod-end':
      for (const s of sims) s.end(e.uid, now);
      return;
    case 'pod-usage':
      for (const s of sims) s.podUsage(e.uid, e.cpu, e.memory);
      return;
    case 'app-usage':
      usage.app.set(e.app, { cpu: e.cpu, memory: e.memory });
      return;
    case 'node-usage':
      usage.node.set(e.name, { cpu: e.cpu, memory: e.memory });
      usage.nodeTime.set(e.name, now);
      return;
  }
}
