// Applies a demand scenario to a base trace, streaming: base events pass through (shifted in time,
// usage multiplied), and the scenario's own events are merged in by time: template nodes joining,
// extra batch jobs arriving, scale-out replicas coming and going, and usage re-emitted every step
// while a ramp moves. The output obeys the trace format's ordering rules, so it can be written with
// writeTrace or replayed directly.
//
// Demand model, per online app (the unit of demand):
//   m(t)        product of the CPU factors of the windows that select the app, ramps linear
//   replicas    base live pods N, plus clones up to ceil(N * m(t - lag)) when a scaleOut selects it
//   per replica CPU usage = base usage * m(t) * N / replicas   (the app's total follows m(t))
//   per replica memory    = base usage * memory factor          (memory follows replicas)
// Base usage is the pod's last pod-usage, else the app's last app-usage, else the simulator's
// default usage fraction for online pods (a trace that says nothing still gets its peak).

import { matchesSelector } from '../../scheduler/core/selector.ts';
import { DEFAULT_SIM_OPTIONS } from '../engine/policy-sim.ts';
import type { Trace, TraceEvent, TracePod } from '../traces/events.ts';
import { templateNodeName, type AppSelector, type DemandWindow, type Scenario } from './model.ts';

export interface TransformOptions {
  /** Nodes added per template (by name); default: each template's count. Plan passes max. */
  nodes?: Readonly<Record<string, number>>;
  /** Base usage fraction for online apps the trace gives no usage for. */
  defaultOnlineUsage?: number;
}

/** The multiplier a window applies at time t: full over [start, end) less the ramps, 1 outside. */
export function windowLevel(w: DemandWindow, f: number, t: number): number {
  if (t < w.start || t >= w.end) return 1;
  let x = 1;
  if (w.rampUpMs > 0 && t < w.start + w.rampUpMs) x = (t - w.start) / w.rampUpMs;
  if (w.rampDownMs > 0 && t > w.end - w.rampDownMs) x = Math.min(x, (w.end - t) / w.rampDownMs);
  return 1 + (f - 1) * x;
}

export function selects(s: AppSelector, pod: TracePod): boolean {
  if (s.all) return true;
  if (s.apps.length > 0 && !s.apps.includes(pod.app)) return false;
  if (s.namespaces.length > 0 && !s.namespaces.includes(pod.namespace)) return false;
  if (s.labels && !matchesSelector(s.labels, { app: pod.app, 'tidal.io/namespace': pod.namespace })) return false;
  return true;
}

interface AppState {
  windows: DemandWindow[];
  lagMs: number | null;
  maxFactor: number;
  /** Live base pods, in arrival order (the first is the template of clones). */
  pods: Map<string, TracePod>;
  clones: TracePod[];
  appUsage: { cpu: number; memory: number } | null;
  /** The scale last applied (cpu per replica, memory per replica), to emit only changes. */
  applied: { cpu: number; memory: number };
}

type Injection = { time: number; order: number; make: () => TraceEvent[] };

/** The transformed trace. Iterating it re-reads the base. */
export function transformTrace(base: Trace, scenario: Scenario, options: TransformOptions = {}): Trace {
  const info = { ...base.info, source: `${base.info.source} + scenario ${scenario.name}`, format: base.info.format, skipped: base.info.skipped };
  const delta = scenario.shiftTo !== null && base.info.start !== undefined ? scenario.shiftTo - base.info.start : 0;
  // Without a header the shift is known only on iteration (from the first event); info then says nothing.
  if (info.start !== undefined) info.start += delta;
  if (info.end !== undefined) info.end += delta;
  return { info, events: () => run(base, scenario, options, info) };
}

async function* run(base: Trace, sc: Scenario, o: TransformOptions, info: Trace['info']): AsyncGenerator<TraceEvent> {
  const it = base.events()[Symbol.asyncIterator]();
  let next = await it.next();
  if (next.done) return;
  let delta = 0;
  if (sc.shiftTo !== null) delta = sc.shiftTo - (base.info.start ?? next.value.time);
  const traceStart = next.value.time + delta;
  const defaultUsage = o.defaultOnlineUsage ?? DEFAULT_SIM_OPTIONS.defaultUsage.online;
  const apps = new Map<string, AppState>();
  const podUsage = new Map<string, { cpu: number; memory: number }>();
  const podApp = new Map<string, string>();
  const baseNodes = new Set<string>();
  let cloneSeq = 0;

  const appFor = (pod: TracePod): AppState => {
    let a = apps.get(pod.app);
    if (!a) {
      const scale = sc.scaleOut.find((s) => selects(s.select, pod));
      a = { windows: sc.demand.filter((w) => selects(w.select, pod)), lagMs: scale ? scale.lagMs : null, maxFactor: scale?.maxFactor ?? 1, pods: new Map(), clones: [], appUsage: null, applied: { cpu: 1, memory: 1 } };
      apps.set(pod.app, a);
    }
    return a;
  };
  const cpuLevel = (a: AppState, t: number) => a.windows.reduce((m, w) => m * windowLevel(w, w.cpu, t), 1);
  const memLevel = (a: AppState, t: number) => a.windows.reduce((m, w) => m * windowLevel(w, w.memory, t), 1);
  const scaleOf = (a: AppState, t: number) => {
    const n = a.pods.size;
    const replicas = n + a.clones.length;
    return { cpu: replicas > 0 ? (cpuLevel(a, t) * n) / replicas : cpuLevel(a, t), memory: memLevel(a, t) };
  };
  const template = (a: AppState): TracePod | undefined => a.pods.values().next().value;
  const scaledPodUsage = (uid: string, cpu: number, memory: number, s: { cpu: number; memory: number }, t: number): TraceEvent => ({ type: 'pod-usage', time: t, uid, cpu: Math.round(cpu * s.cpu), memory: Math.round(memory * s.memory) });

  /** Re-evaluates an app at t: clones to add or end, and usage under the new scale. */
  const step = (name: string, a: AppState, t: number): TraceEvent[] => {
    const out: TraceEvent[] = [];
    const tpl = template(a);
    if (a.lagMs !== null) {
      const n = a.pods.size;
      const want = n === 0 ? 0 : Math.min(Math.ceil(n * Math.min(a.maxFactor, cpuLevel(a, t - a.lagMs)) - 1e-9), Math.floor(n * a.maxFactor + 1e-9));
      while (n + a.clones.length < want && tpl) {
        const pod: TracePod = { ...tpl, uid: `${tpl.app}~scale-${++cloneSeq}`, name: `${tpl.name}~scale-${cloneSeq}` };
        delete pod.nodeName;
        a.clones.push(pod);
        out.push({ type: 'pod-arrival', time: t, pod });
      }
      while (a.clones.length > 0 && n + a.clones.length > want) out.push({ type: 'pod-end', time: t, uid: a.clones.pop()!.uid });
    }
    const s = scaleOf(a, t);
    if (s.cpu === a.applied.cpu && s.memory === a.applied.memory && out.length === 0) return out;
    a.applied = s;
    const usage: TraceEvent[] = [];
    if (a.appUsage) usage.push({ type: 'app-usage', time: t, app: name, cpu: a.appUsage.cpu * s.cpu, memory: a.appUsage.memory * s.memory });
    const own = [...a.pods.values()].filter((p) => podUsage.has(p.uid));
    for (const p of own) {
      const u = podUsage.get(p.uid)!;
      usage.push(scaledPodUsage(p.uid, u.cpu, u.memory, s, t));
    }
    if (!a.appUsage && own.length < a.pods.size + a.clones.length) {
      // Pods the trace gives no usage for run at the default fraction: make that explicit so it scales.
      const tplUsage = tpl && podUsage.get(tpl.uid);
      for (const p of [...a.pods.values(), ...a.clones]) {
        if (podUsage.has(p.uid)) continue;
        const u = tplUsage ?? { cpu: p.requests.cpu * defaultUsage, memory: p.requests.memory * defaultUsage };
        usage.push(scaledPodUsage(p.uid, u.cpu, u.memory, s, t));
      }
    }
    out.push(...usage);
    return out;
  };

  // The scenario's own events, in time order (ties: nodes, then batch, then ramp steps).
  const inj: Injection[] = [];
  for (const tpl of sc.nodes) {
    const count = o.nodes?.[tpl.name] ?? tpl.count;
    const at = Math.max(traceStart, tpl.readyBy ?? traceStart);
    for (let k = 0; k < count; k++) {
      const name = templateNodeName(tpl, k);
      inj.push({ time: at, order: 0, make: () => {
        if (baseNodes.has(name)) throw new Error(`scenario ${sc.source}: node template ${tpl.name} adds ${name}, which the base trace already has`);
        return [{ type: 'node-add', time: at, node: { name, ...tpl.spec, labels: { ...tpl.spec.labels, 'kubernetes.io/hostname': name } } }];
      } });
    }
  }
  for (const b of sc.batch) {
    for (let j = 0; j < b.jobs; j++) {
      const at = b.jobs > 1 ? b.from + Math.floor((j * (b.to - b.from)) / b.jobs) : b.from;
      const job = `${b.name}-${String(j + 1).padStart(4, '0')}`;
      inj.push({ time: at, order: 1, make: () => Array.from({ length: b.podsPerJob }, (_, i): TraceEvent => ({
        type: 'pod-arrival', time: at, pod: { uid: `${job}-${i + 1}`, namespace: b.namespace, name: `${job}-${i + 1}`, class: 'batch', app: job, priority: b.priority, requests: { ...b.requests }, runtimeMs: b.runtimeMs, declaredRuntimeMs: b.runtimeMs, checkpointable: b.checkpointable, job },
      })) });
    }
  }
  for (const t of stepTimes(sc)) {
    inj.push({ time: t, order: 2, make: () => [...apps].flatMap(([name, a]) => (a.windows.length > 0 ? step(name, a, t) : [])) });
  }
  inj.sort((x, y) => x.time - y.time || x.order - y.order);
  const end = info.end ?? Infinity;
  let k = 0;

  // Nodes due at a time come before base events at it; batch and steps after them (they read base state).
  const due = (time: number) => {
    const out: TraceEvent[] = [];
    while (k < inj.length && (inj[k]!.time < time || (inj[k]!.time === time && inj[k]!.order === 0)) && inj[k]!.time < end) out.push(...inj[k++]!.make());
    return out;
  };
  let last = -Infinity;
  while (!next.done) {
    const e = { ...next.value, time: next.value.time + delta } as TraceEvent;
    yield* due(e.time);
    last = e.time;
    yield* apply(e);
    next = await it.next();
  }
  yield* due(Math.min(end, Math.max(last + 1, ...inj.slice(k).map((x) => x.time + 1))));

  function* apply(e: TraceEvent): Generator<TraceEvent> {
    switch (e.type) {
      case 'node-add':
        baseNodes.add(e.node.name);
        yield e;
        return;
      case 'pod-arrival': {
        yield e;
        if (e.pod.class !== 'online') return;
        const a = appFor(e.pod);
        a.pods.set(e.pod.uid, e.pod);
        podApp.set(e.pod.uid, e.pod.app);
        // A pod arriving inside a window runs at the app's current scale from the start.
        if (a.windows.length > 0 && (a.applied.cpu !== 1 || a.applied.memory !== 1) && !a.appUsage) {
          const u = { cpu: e.pod.requests.cpu * defaultUsage, memory: e.pod.requests.memory * defaultUsage };
          yield scaledPodUsage(e.pod.uid, u.cpu, u.memory, a.applied, e.time);
        }
        return;
      }
      case 'pod-usage': {
        const app = podApp.get(e.uid);
        const a = app === undefined ? undefined : apps.get(app);
        if (!a || a.windows.length === 0) {
          yield e;
          return;
        }
        podUsage.set(e.uid, { cpu: e.cpu, memory: e.memory });
        yield scaledPodUsage(e.uid, e.cpu, e.memory, scaleOf(a, e.time), e.time);
        // Clones follow their template's own usage.
        if (!a.appUsage && e.uid === template(a)?.uid) for (const c of a.clones) yield scaledPodUsage(c.uid, e.cpu, e.memory, scaleOf(a, e.time), e.time);
        return;
      }
      case 'app-usage': {
        const a = apps.get(e.app);
        if (!a || a.windows.length === 0) {
          yield e;
          return;
        }
        a.appUsage = { cpu: e.cpu, memory: e.memory };
        const s = scaleOf(a, e.time);
        yield { ...e, cpu: e.cpu * s.cpu, memory: e.memory * s.memory };
        return;
      }
      case 'pod-end': {
        yield e;
        const app = podApp.get(e.uid);
        if (app === undefined) return;
        podApp.delete(e.uid);
        podUsage.delete(e.uid);
        apps.get(app)?.pods.delete(e.uid);
        return;
      }
      default:
        yield e;
    }
  }
}

/** Instants at which some app's multiplier or replica target may change: every step inside each window (and lagged copies). */
export function stepTimes(sc: Scenario): number[] {
  const times = new Set<number>();
  const lags = [0, ...new Set(sc.scaleOut.map((s) => s.lagMs))];
  for (const w of sc.demand) {
    for (const lag of lags) {
      for (let t = w.start; t < w.end; t += sc.stepMs) times.add(t + lag);
      times.add(w.end + lag);
    }
  }
  return [...times].sort((a, b) => a - b);
}
