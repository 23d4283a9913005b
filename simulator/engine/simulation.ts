// The discrete-event loop. One pass over the trace drives every policy in lockstep on one virtual
// clock: trace events (nodes, pods, usage) are applied to each policy's cluster, then internal timers
// (completions, recreated pods), the unschedulable flush, a peer policy's own controller when its
// timer is due (simulator/policies/), then a scheduling pass, then the periodic ticks (descheduler
// cycle, usage sample). Within a timestamp the order is fixed, so replays are
// deterministic. The trace is read as a stream: memory follows live pods and nodes.

import type { Profile } from '../../scheduler/core/profile.ts';
import type { SimPolicy } from '../policies.ts';
import type { Trace, TraceEvent } from '../traces/events.ts';
import type { PolicyTotals, SeriesPoint } from './metrics.ts';
import { DEFAULT_SIM_OPTIONS, PolicySim, type SimOptions, type TraceUsage } from './policy-sim.ts';

export interface SimulationInput {
  trace: Trace;
  profile: Profile;
  policies: readonly SimPolicy[];
  options?: Partial<SimOptions>;
  /** Stop at this time even if the trace goes on. */
  until?: number;
  /** Consulted once per node-add: only nodes it accepts exist (capacity planning). */
  nodeFilter?: (name: string) => boolean;
  /** Called every few thousand events with the current virtual time (progress bars). */
  onProgress?: (now: number, events: number) => void;
  /** Called after each step of the clock with every policy's simulation (invariant checks in tests). */
  onStep?: (now: number, sims: readonly PolicySim[], phase: 'schedule' | 'deschedule') => void;
}

export interface PolicyResult {
  policy: string;
  description: string;
  totals: PolicyTotals;
  series: SeriesPoint[];
}

export interface SimulationResult {
  /** Where the trace came from, and the profile's time zone (reports show local times in it). */
  source: string;
  timeZone: string;
  start: number;
  end: number;
  events: number;
  skippedRows: Record<string, number>;
  options: SimOptions;
  profile: string;
  policies: PolicyResult[];
  wallSeconds: number;
}

export async function simulate(input: SimulationInput): Promise<SimulationResult> {
  const t0 = Date.now();
  const opts: SimOptions = { ...DEFAULT_SIM_OPTIONS, ...input.options };
  const usage: TraceUsage = { app: new Map(), node: new Map() };
  const sims = input.policies.map((p) => new PolicySim(p, input.profile, usage, opts));
  const keep = input.nodeFilter ?? (() => true);
  const it = input.trace.events()[Symbol.asyncIterator]();
  let next = await it.next();
  if (next.done) throw new Error(`trace ${input.trace.info.source} has no events`);
  const start = next.value.time;
  const until = input.until ?? Infinity;
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
    // Ticks only run while the trace lasts; afterwards only what is already scheduled completes.
    let controlTime = Infinity;
    for (const s of sims) controlTime = Math.min(controlTime, s.nextControl());
    const tickTime = next.done ? Infinity : Math.min(nextSample, nextDeschedule, nextRetry, controlTime);
    const t = Math.min(traceTime, timerTime, tickTime);
    if (t === Infinity || t > until || (next.done && t > lastEventTime)) break;
    if (t < now) throw new Error(`trace ${input.trace.info.source} is out of order: an event at ${new Date(t).toISOString()} follows ${new Date(now).toISOString()}`);
    now = t;
    // Every policy steps on trace events and the common ticks; on its own timers and controller only
    // otherwise, so that one policy's results never depend on which others run beside it (a step
    // requeues hinted pods and places what is queued, so an extra step would change the replay).
    const shared = traceTime === now || (!next.done && (nextSample <= now || nextDeschedule <= now || nextRetry <= now));
    while (!next.done && next.value.time === now) {
      apply(next.value, sims, usage, keep, now);
      events++;
      lastEventTime = now;
      if (events % 10_000 === 0) input.onProgress?.(now, events);
      next = await it.next();
    }
    const stepping = shared ? sims : sims.filter((s) => s.nextTimer() <= now || s.nextControl() <= now);
    for (const s of stepping) s.runTimers(now);
    if (now >= nextRetry) {
      for (const s of sims) s.flushUnschedulable();
      nextRetry += opts.retryIntervalMs;
    }
    for (const s of stepping) s.control(now);
    for (const s of stepping) s.schedule(now);
    input.onStep?.(now, sims, 'schedule');
    if (now >= nextDeschedule) {
      for (const s of sims) s.deschedule(now);
      nextDeschedule += opts.deschedulerIntervalMs;
      input.onStep?.(now, sims, 'deschedule');
    }
    if (now >= nextSample) {
      for (const s of sims) s.sample(now);
      nextSample += opts.sampleIntervalMs;
    }
  }
  const end = Math.min(lastEventTime, until);
  input.onProgress?.(end, events);
  return {
    source: input.trace.info.source,
    timeZone: input.profile.timeZone,
    start,
    end,
    events,
    skippedRows: Object.fromEntries(input.trace.info.skipped),
    options: opts,
    profile: input.profile.name,
    policies: sims.map((s) => ({ policy: s.policy.name, description: s.policy.description, totals: s.totals(start, end), series: s.series })),
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
      return;
  }
}
