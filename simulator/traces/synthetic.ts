// A seeded, deterministic generator of co-location traces: a fleet of nodes, online apps whose usage
// follows a daily curve (own peak hour, amplitude, correlated noise) reported as app-usage events at a
// fixed step, a Double 11 surge at midnight of 11 November (Asia/Shanghai) with apps scaling out
// before it and back after, and batch jobs arriving by a Poisson process modulated over the day, with
// heavy-tailed (lognormal, capped) runtimes. Events are produced lazily, so a trace of any length
// streams in memory proportional to the number of nodes and apps.

import { DateTime } from 'luxon';
import { Rng } from './rng.ts';
import type { NodeInfo } from '../../scheduler/core/model.ts';
import type { Trace, TraceEvent, TracePod } from './events.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const GiB = 2 ** 30;
const MiB = 2 ** 20;

export interface Range {
  min: number;
  max: number;
}

export interface NodeOptions {
  count: number;
  /** Allocatable CPU per node, millicores. */
  cpu: number;
  /** Allocatable memory per node, bytes. */
  memory: number;
  /** Zones zone-a, zone-b, ... assigned round-robin. */
  zones: number;
  maxPods: number;
}

export interface OnlineOptions {
  apps: number;
  /** Replicas per app before any scale-out (log-uniform integer). */
  replicas: Range;
  /** CPU request per pod, millicores (log-uniform, rounded to 100m). */
  cpu: Range;
  /** Memory request per core of CPU request, bytes (log-uniform; the request is rounded to 64 MiB). */
  memoryPerCpu: Range;
  /** An app's daily mean CPU usage as a fraction of its requests. */
  level: Range;
  /** Relative daily swing: usage = level x (1 + amplitude x cos(2 pi (hour - peakHour) / 24)). */
  amplitude: Range;
  /** Local hour (timeZone) of an app's daily peak. */
  peakHour: Range;
  /** Memory usage as a fraction of requests (moves a tenth as much as CPU over the day). */
  memoryLevel: Range;
  /** Standard deviation of the log of the multiplicative noise; the noise is AR(1) with correlation 0.9 per step. */
  noise: number;
  /**
   * When set: the apps' requests with every Double 11 extra replica may ask at most this share of the
   * cluster's allocatable CPU and memory; apps are drawn in order and the first that would cross it
   * and all after it are left out (so `apps` is then an upper bound). Unset: no bound.
   */
  maxRequestShare?: number;
}

export interface Double11Options {
  enabled: boolean;
  /** The peak instant. */
  at: string | number;
  /** Online demand at the peak relative to the same hour of an ordinary day (3-5 in practice). */
  factor: number;
  /** The rise before the peak (demand climbs as the cube of the elapsed fraction, then jumps to the peak). */
  rampMs: number;
  /** After the peak the extra demand decays exponentially with this time constant. */
  decayMs: number;
  /** Replica multiplier during the festival (2: each app doubles its replicas); 1 disables scale-out. */
  scaleOut: number;
  /** Extra replicas arrive this long before the peak ... */
  scaleOutLeadMs: number;
  /** ... and leave this long after it. */
  scaleOutHoldMs: number;
}

export interface BatchOptions {
  /** Mean job arrival rate (jobs per hour) over a day. */
  jobsPerHour: number;
  /** Day modulation of the rate in [0, 1]: rate x (1 + a cos(2 pi (hour - peakHour) / 24)). */
  diurnalAmplitude: number;
  /** Local hour with the most submissions (nightly pipelines). */
  peakHour: number;
  /** Pods per job (log-uniform integer). */
  podsPerJob: Range;
  /** CPU request per pod, millicores (log-uniform, rounded to 100m). */
  cpu: Range;
  memoryPerCpu: Range;
  /** A job's runtime: lognormal with this median and shape, then clamped to [minMs, maxMs]. */
  runtime: { medianMs: number; sigma: number; minMs: number; maxMs: number };
  /** Spread of pod runtimes within a job (standard deviation of the log). */
  podSpread: number;
  /** Fraction of jobs whose pods checkpoint (an eviction keeps their progress). */
  checkpointable: number;
  /** Fraction of jobs that declare an expected runtime. */
  declared: number;
  /** Declared runtime = the job's longest pod runtime x bias x lognormal(sigma = spread), rounded up to a minute. */
  declaredBias: number;
  declaredSpread: number;
  /** Per-job usage as a fraction of requests, reported once (an app-usage event for the job) at arrival. */
  usage: { cpu: Range; memory: Range };
}

export interface SyntheticOptions {
  seed: number;
  /** Trace start (ISO 8601 with offset, or ms since epoch). */
  start: string | number;
  days: number;
  /** The clock that daily curves, the batch rhythm and the Double 11 date follow. */
  timeZone: string;
  /** Period of app-usage events. */
  usageStepMs: number;
  nodes: NodeOptions;
  online: OnlineOptions;
  double11: Double11Options;
  batch: BatchOptions;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type SyntheticInput = DeepPartial<SyntheticOptions>;

/** The defaults: a 50-node cluster over 8 days from 4 Nov 2026 (Asia/Shanghai), covering Double 11. */
export const DEFAULT_SYNTHETIC: SyntheticOptions = {
  seed: 1,
  start: '2026-11-04T00:00:00+08:00',
  days: 8,
  timeZone: 'Asia/Shanghai',
  usageStepMs: 5 * MINUTE,
  nodes: { count: 50, cpu: 32_000, memory: 128 * GiB, zones: 3, maxPods: 110 },
  online: {
    apps: 16,
    replicas: { min: 4, max: 20 },
    cpu: { min: 2_000, max: 8_000 },
    memoryPerCpu: { min: 2 * GiB, max: 4 * GiB },
    level: { min: 0.25, max: 0.45 },
    amplitude: { min: 0.3, max: 0.6 },
    peakHour: { min: 10, max: 22 },
    memoryLevel: { min: 0.5, max: 0.8 },
    noise: 0.05,
  },
  double11: {
    enabled: true,
    at: '2026-11-11T00:00:00+08:00',
    factor: 4,
    rampMs: 1 * HOUR,
    decayMs: 3 * HOUR,
    scaleOut: 2,
    scaleOutLeadMs: 2 * HOUR,
    scaleOutHoldMs: 8 * HOUR,
  },
  batch: {
    jobsPerHour: 8,
    diurnalAmplitude: 0.5,
    peakHour: 2,
    podsPerJob: { min: 1, max: 8 },
    cpu: { min: 1_000, max: 8_000 },
    memoryPerCpu: { min: 1 * GiB, max: 4 * GiB },
    runtime: { medianMs: 30 * MINUTE, sigma: 1.2, minMs: 1 * MINUTE, maxMs: 24 * HOUR },
    podSpread: 0.2,
    checkpointable: 0.3,
    declared: 0.5,
    declaredBias: 1.2,
    declaredSpread: 0.3,
    usage: { cpu: { min: 0.5, max: 0.95 }, memory: { min: 0.5, max: 0.9 } },
  },
};

/**
 * Alibaba cluster-trace-v2018's figures that alibabaDensity is calibrated against (simulator/traces/README.md,
 * "The Alibaba-density generator"):
 *   machines      v2018 machine_meta: 4,034 machines, every one 96 cores (memory is normalised; the readers'
 *                 machineMemory, 384 GiB, is assumed);
 *   containers    the trace's description: 71 K online containers on those machines, 17.6 per machine;
 *   utilisation   mean CPU use of the co-located machines 39.4 % (hourly means 24-64 %, p10 28.5 %, p90 52 %):
 *                 measured on the v2018 machine_usage rows at hand (../shared/data/alibaba, machines
 *                 m_1932..m_1947 over the 8 days, the two idle ones, m_1933 and m_1946 at ~5 %, left out),
 *                 in line with the 40-50 % published for the 2017 cluster (Cheng et al., "Characterizing
 *                 co-located datacenter workloads: an Alibaba case study", APSys 2018).
 */
export const ALIBABA_2018 = { machineCores: 96, containersPerMachine: 71_000 / 4_034, meanCpuUtilisation: 0.394 } as const;

/**
 * Options at the density of Alibaba's 2018 trace (ALIBABA_2018), scaled to `nodes` machines of 96 cores,
 * calibrated so that the online demand fits the cluster it describes and the mean CPU use is the trace's:
 *   - online containers: 17.6 per machine (apps = nodes x 17.6 / 8.5, 8.5 being the mean of the
 *     replicas, log-uniform 1..30 rounded);
 *   - online requests: 0.5..6 cores per container (log-uniform, mean 2.21), so 39 cores of 96 (40.5 %)
 *     on an ordinary day and 81 % at the Double 11 peak, when every app doubles its replicas
 *     (scaleOut 2): the peak fits the cluster's allocatable with room for packing. On a small cluster
 *     a few large apps can make a draw ask more, so maxRequestShare 0.9 bounds the festival requests
 *     (a test checks the peak at several sizes and seeds). Before this calibration containers asked 1..16 cores (mean 5.4): 108 %
 *     of the cluster on an ordinary day and 216 % at the peak, a backlog retried all day;
 *   - mean CPU use: online apps use 25-45 % of their requests (DEFAULT_SYNTHETIC), 14 % of the cluster;
 *     batch fills the rest of the measured 39.4 %: 0.5 jobs per node-hour of 1..40 pods (about 1,000
 *     pods per machine over 8 days, 4 M at 4,000 machines) of 1..8 cores (mean 3.4) for a lognormal
 *     runtime (median 40 min, sigma 1.5, 10 s..24 h: mean 1.9 h) using 50-95 % of their requests:
 *     25.5 % of the cluster on average, 39.7 % in all.
 */
export function alibabaDensity(nodes: number, over: SyntheticInput = {}): SyntheticInput {
  const meanReplicas = 8.5;
  const base: SyntheticInput = {
    nodes: { count: nodes, cpu: ALIBABA_2018.machineCores * 1000, memory: 384 * GiB, zones: 20, maxPods: 256 },
    online: { apps: Math.max(1, Math.round((nodes * ALIBABA_2018.containersPerMachine) / meanReplicas)), replicas: { min: 1, max: 30 }, cpu: { min: 500, max: 6_000 }, maxRequestShare: 0.9 },
    batch: {
      jobsPerHour: nodes * 0.5,
      podsPerJob: { min: 1, max: 40 },
      cpu: { min: 1_000, max: 8_000 },
      runtime: { medianMs: 40 * MINUTE, sigma: 1.5, minMs: 10_000, maxMs: 24 * HOUR },
    },
  };
  return mergeOptions(mergeOptions(DEFAULT_SYNTHETIC, base), over);
}

function mergeOptions<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null ? mergeOptions(b, v) : v;
  }
  return out as T;
}

/** Defaults filled in and checked; throws with the offending option's name. */
export function resolveOptions(input: SyntheticInput = {}): SyntheticOptions {
  const o = mergeOptions(DEFAULT_SYNTHETIC, input);
  const bad = (name: string, why: string): never => {
    throw new Error(`synthetic option ${name}: ${why}`);
  };
  if (!Number.isInteger(o.seed)) bad('seed', `expected an integer, got ${o.seed}`);
  if (!(o.days > 0)) bad('days', 'must be > 0');
  if (!(o.usageStepMs >= 1000)) bad('usageStepMs', 'must be >= 1000');
  if (!DateTime.local().setZone(o.timeZone).isValid) bad('timeZone', `unknown time zone '${o.timeZone}'`);
  parseInstant(o.start, 'start');
  if (o.double11.enabled) {
    parseInstant(o.double11.at, 'double11.at');
    if (!(o.double11.factor >= 1)) bad('double11.factor', 'must be >= 1');
    if (!(o.double11.scaleOut >= 1)) bad('double11.scaleOut', 'must be >= 1');
    if (!(o.double11.decayMs > 0) || !(o.double11.rampMs >= 0)) bad('double11.decayMs/rampMs', 'must be positive');
  }
  if (!(o.nodes.count >= 1) || !Number.isInteger(o.nodes.count)) bad('nodes.count', 'must be a positive integer');
  if (!(o.nodes.zones >= 1)) bad('nodes.zones', 'must be >= 1');
  if (!(o.online.apps >= 0)) bad('online.apps', 'must be >= 0');
  if (o.online.maxRequestShare !== undefined && !(o.online.maxRequestShare > 0)) bad('online.maxRequestShare', 'must be positive');
  if (!(o.batch.jobsPerHour >= 0)) bad('batch.jobsPerHour', 'must be >= 0');
  if (!(o.batch.diurnalAmplitude >= 0 && o.batch.diurnalAmplitude <= 1)) bad('batch.diurnalAmplitude', 'must be in [0, 1]');
  const ranges: Array<[string, Range, number]> = [
    ['online.replicas', o.online.replicas, 1],
    ['online.cpu', o.online.cpu, 1],
    ['online.memoryPerCpu', o.online.memoryPerCpu, 1],
    ['batch.podsPerJob', o.batch.podsPerJob, 1],
    ['batch.cpu', o.batch.cpu, 1],
    ['batch.memoryPerCpu', o.batch.memoryPerCpu, 1],
  ];
  for (const [name, r, min] of ranges) {
    if (!(r.min >= min && r.max >= r.min)) bad(name, `needs ${min} <= min <= max, got ${r.min}..${r.max}`);
  }
  const rt = o.batch.runtime;
  if (!(rt.medianMs > 0 && rt.minMs > 0 && rt.maxMs >= rt.minMs)) bad('batch.runtime', 'needs medianMs > 0 and 0 < minMs <= maxMs');
  return o;
}

function parseInstant(v: string | number, name: string): number {
  if (typeof v === 'number') return v;
  const d = DateTime.fromISO(v, { setZone: true });
  if (!d.isValid) throw new Error(`synthetic option ${name}: not an ISO 8601 instant: '${v}'`);
  return d.toMillis();
}

/** The generator's trace: its resolved options travel with it (writeTrace can store them in the header). */
export interface SyntheticTrace extends Trace {
  options: SyntheticOptions;
}

/**
 * The Double 11 multiplier of online demand at time t (1 outside the festival): rises over rampMs
 * before the peak (cube of the elapsed fraction), is `factor` at the peak, then decays exponentially.
 */
export function double11Multiplier(t: number, d: Double11Options): number {
  if (!d.enabled) return 1;
  const peak = parseInstant(d.at, 'double11.at');
  return 1 + (d.factor - 1) * surgeShape(t, peak, d);
}

function surgeShape(t: number, peak: number, d: Double11Options): number {
  if (t >= peak) return Math.exp(-(t - peak) / d.decayMs);
  if (d.rampMs <= 0 || t < peak - d.rampMs) return 0;
  const f = (t - (peak - d.rampMs)) / d.rampMs;
  return f * f * f;
}

/** Local hour of day in [0, 24) for a time zone, with the zone offset memoised per quarter hour. */
class LocalClock {
  private bucket = NaN;
  private offsetMs = 0;
  private readonly zone: string;
  constructor(zone: string) {
    this.zone = zone;
  }
  hour(t: number): number {
    const b = Math.floor(t / (15 * MINUTE));
    if (b !== this.bucket) {
      this.bucket = b;
      this.offsetMs = DateTime.fromMillis(t, { zone: this.zone }).offset * MINUTE;
    }
    const local = (((t + this.offsetMs) % DAY) + DAY) % DAY;
    return local / HOUR;
  }
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const roundTo = (x: number, q: number): number => Math.max(q, Math.round(x / q) * q);
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const ONLINE_PRIORITY = 9000;
const BATCH_PRIORITY = 5000;

interface App {
  name: string;
  replicas: number;
  extra: number;
  cpu: number;
  memory: number;
  level: number;
  amplitude: number;
  peakHour: number;
  memoryLevel: number;
  noise: number;
}

/** The generator. Same options (seed included) give the same events, byte for byte once written. */
export function generate(input: SyntheticInput = {}): SyntheticTrace {
  const options = resolveOptions(input);
  const t0 = parseInstant(options.start, 'start');
  const end = t0 + Math.round(options.days * DAY);
  return {
    options,
    info: { format: 'synthetic', source: `synthetic(seed=${options.seed})`, start: t0, end, skipped: new Map() },
    events: () => events(options, t0, end),
  };
}

async function* events(o: SyntheticOptions, t0: number, end: number): AsyncGenerator<TraceEvent> {
  const apps = makeApps(o);
  const d = o.double11;
  const peak = d.enabled ? parseInstant(d.at, 'double11.at') : NaN;
  const surge = d.enabled && d.scaleOut > 1 && peak >= t0 && peak < end ? { from: Math.max(t0, peak - d.scaleOutLeadMs), to: peak + d.scaleOutHoldMs } : null;
  const sources = [setup(o, apps, t0), scaleOut(apps, surge, end), batch(o, t0, end), usage(o, apps, t0, end, peak, surge)];
  // Sources are each in time order; at equal times the earlier source goes first (nodes and pods
  // before the usage that describes them).
  const heads = sources.map((s) => s.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (!h.done && (best === -1 || h.value.time < (heads[best]!.value as TraceEvent).time)) best = i;
    }
    if (best === -1) return;
    yield heads[best]!.value as TraceEvent;
    heads[best] = sources[best]!.next();
  }
}

function makeApps(o: SyntheticOptions): App[] {
  const rng = new Rng(o.seed, 'apps');
  const on = o.online;
  const width = String(on.apps).length;
  const apps: App[] = [];
  for (let i = 0; i < on.apps; i++) {
    const replicas = Math.round(rng.logUniform(on.replicas.min, on.replicas.max));
    const cpu = roundTo(rng.logUniform(on.cpu.min, on.cpu.max), 100);
    const memory = roundTo((cpu / 1000) * rng.logUniform(on.memoryPerCpu.min, on.memoryPerCpu.max), 64 * MiB);
    apps.push({
      name: `app-${pad(i + 1, width)}`,
      replicas,
      extra: o.double11.scaleOut > 1 ? Math.max(1, Math.round(replicas * (o.double11.scaleOut - 1))) : 0,
      cpu,
      memory,
      level: rng.uniform(on.level.min, on.level.max),
      amplitude: rng.uniform(on.amplitude.min, on.amplitude.max),
      peakHour: rng.uniform(on.peakHour.min, on.peakHour.max),
      memoryLevel: rng.uniform(on.memoryLevel.min, on.memoryLevel.max),
      noise: 0,
    });
  }
  const share = on.maxRequestShare;
  if (share === undefined) return apps;
  const cap = { cpu: share * o.nodes.count * o.nodes.cpu, memory: share * o.nodes.count * o.nodes.memory };
  let cpu = 0;
  let memory = 0;
  for (let i = 0; i < apps.length; i++) {
    const a = apps[i]!;
    const n = a.replicas + a.extra;
    cpu += n * a.cpu;
    memory += n * a.memory;
    if (cpu > cap.cpu || memory > cap.memory) return apps.slice(0, i);
  }
  return apps;
}

function onlinePod(app: App, uid: string): TracePod {
  return {
    uid,
    namespace: 'online',
    name: uid,
    class: 'online',
    app: app.name,
    priority: ONLINE_PRIORITY,
    requests: { cpu: app.cpu, memory: app.memory },
    runtimeMs: 0,
    declaredRuntimeMs: 0,
    checkpointable: false,
    job: '',
  };
}

function* setup(o: SyntheticOptions, apps: App[], t0: number): Generator<TraceEvent> {
  const n = o.nodes;
  const width = Math.max(3, String(n.count).length);
  for (let i = 0; i < n.count; i++) {
    const name = `node-${pad(i + 1, width)}`;
    const zone = `zone-${zoneName(i % n.zones)}`;
    const node: NodeInfo = {
      name,
      allocatable: { cpu: n.cpu, memory: n.memory },
      maxPods: n.maxPods,
      labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': zone },
      zone,
      unschedulable: false,
    };
    yield { type: 'node-add', time: t0, node };
  }
  for (const app of apps) {
    for (let r = 0; r < app.replicas; r++) yield { type: 'pod-arrival', time: t0, pod: onlinePod(app, `${app.name}-${r + 1}`) };
  }
}

function zoneName(i: number): string {
  let s = '';
  let k = i;
  do {
    s = String.fromCharCode(97 + (k % 26)) + s;
    k = Math.floor(k / 26) - 1;
  } while (k >= 0);
  return s;
}

function* scaleOut(apps: App[], surge: { from: number; to: number } | null, end: number): Generator<TraceEvent> {
  if (!surge) return;
  for (const app of apps) {
    for (let r = 0; r < app.extra; r++) yield { type: 'pod-arrival', time: surge.from, pod: onlinePod(app, `${app.name}-x${r + 1}`) };
  }
  if (surge.to >= end) return;
  for (const app of apps) {
    for (let r = 0; r < app.extra; r++) yield { type: 'pod-end', time: surge.to, uid: `${app.name}-x${r + 1}` };
  }
}

function* usage(o: SyntheticOptions, apps: App[], t0: number, end: number, peak: number, surge: { from: number; to: number } | null): Generator<TraceEvent> {
  const rng = new Rng(o.seed, 'online-usage');
  const clock = new LocalClock(o.timeZone);
  const d = o.double11;
  const rho = 0.9;
  const innov = Math.sqrt(1 - rho * rho);
  const sigma = o.online.noise;
  for (const app of apps) app.noise = rng.normal();
  for (let t = t0; t < end; t += o.usageStepMs) {
    const h = clock.hour(t);
    const shape = d.enabled ? surgeShape(t, peak, d) : 0;
    const mult = 1 + (d.factor - 1) * shape;
    const scaled = surge !== null && t >= surge.from && t < surge.to;
    for (const app of apps) {
      app.noise = rho * app.noise + innov * rng.normal();
      const wave = Math.cos((2 * Math.PI * (h - app.peakHour)) / 24);
      const noise = Math.exp(sigma * app.noise - (sigma * sigma) / 2);
      const demand = app.level * app.replicas * (1 + app.amplitude * wave) * mult * noise;
      const live = app.replicas + (scaled ? app.extra : 0);
      const memory = Math.min(1, app.memoryLevel * (1 + 0.1 * app.amplitude * wave) * (1 + 0.15 * shape));
      yield { type: 'app-usage', time: t, app: app.name, cpu: round4(Math.max(0, demand / live)), memory: round4(memory) };
    }
  }
}

function* batch(o: SyntheticOptions, t0: number, end: number): Generator<TraceEvent> {
  const b = o.batch;
  if (b.jobsPerHour <= 0) return;
  const arrivals = new Rng(o.seed, 'batch-arrivals');
  const jobs = new Rng(o.seed, 'batch-jobs');
  const clock = new LocalClock(o.timeZone);
  const peakRate = b.jobsPerHour * (1 + b.diurnalAmplitude);
  let t = t0;
  let seq = 0;
  for (;;) {
    // Thinning (Lewis-Shedler): candidates at the peak rate, kept with probability rate(t) / peak rate.
    t += arrivals.exponential(HOUR / peakRate);
    if (t >= end) return;
    const rate = b.jobsPerHour * (1 + b.diurnalAmplitude * Math.cos((2 * Math.PI * (clock.hour(t) - b.peakHour)) / 24));
    if (!arrivals.chance(rate / peakRate)) continue;
    const time = Math.floor(t);
    seq++;
    const job = `job-${pad(seq, 6)}`;
    const pods = Math.round(jobs.logUniform(b.podsPerJob.min, b.podsPerJob.max));
    const cpu = roundTo(jobs.logUniform(b.cpu.min, b.cpu.max), 100);
    const memory = roundTo((cpu / 1000) * jobs.logUniform(b.memoryPerCpu.min, b.memoryPerCpu.max), 64 * MiB);
    const jobRuntime = jobs.lognormal(b.runtime.medianMs, b.runtime.sigma);
    const checkpointable = jobs.chance(b.checkpointable);
    const declares = jobs.chance(b.declared);
    const declaredFactor = b.declaredBias * jobs.lognormal(1, b.declaredSpread);
    const cpuUse = jobs.uniform(b.usage.cpu.min, b.usage.cpu.max);
    const memUse = jobs.uniform(b.usage.memory.min, b.usage.memory.max);
    const runtimes: number[] = [];
    for (let i = 0; i < pods; i++) {
      const r = jobRuntime * Math.exp(b.podSpread * jobs.normal());
      runtimes.push(Math.round(Math.min(b.runtime.maxMs, Math.max(b.runtime.minMs, r))));
    }
    const declared = declares ? Math.ceil((Math.max(...runtimes) * declaredFactor) / MINUTE) * MINUTE : 0;
    for (let i = 0; i < pods; i++) {
      const name = `${job}-${i + 1}`;
      const pod: TracePod = {
        uid: name,
        namespace: 'batch',
        name,
        class: 'batch',
        app: job,
        priority: BATCH_PRIORITY,
        requests: { cpu, memory },
        runtimeMs: runtimes[i]!,
        declaredRuntimeMs: declared,
        checkpointable,
        job,
      };
      yield { type: 'pod-arrival', time, pod };
    }
    yield { type: 'app-usage', time, app: job, cpu: round4(cpuUse), memory: round4(memUse) };
  }
}
