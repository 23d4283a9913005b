// What the Alibaba 2017 and 2018 readers share: options, the internal items that flow from the
// per-table sources through sorts and the final merge, and the resolver that turns merged items
// into TraceEvents while holding only live state (live nodes, live online pods, running batch pods
// whose usage it tracks), so memory follows the live cluster and not the trace length.

import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { isTimeOrdered, readTableBatches, type Row, type TableSpec } from './csv.ts';
import { BatchCursor, externalSortBatches, Heap, mergeSortedBatches } from './sort.ts';
import type { NodeInfo } from '../../scheduler/core/model.ts';
import { countDropped, type Trace, type TraceEvent, type TraceEventType, type TraceInfo, type TracePod } from './events.ts';

export const GiB = 2 ** 30;
export const DEFAULT_START = '2026-11-04T00:00:00+08:00';

/**
 * What machine_usage (2018) / server_usage (2017) becomes:
 * - background: every sample is a node-usage event (the node's whole usage, "unexplained" by pods);
 *   right when the trace has no pod usage (no container_usage, no batch_instance).
 * - residual: the sample minus the usage of the traced pods recorded on that machine (clamped at
 *   0), so pods' usage is not counted twice; what remains is daemons, OS and untraced tenants.
 * - ignore: no node-usage events.
 * - auto (default): residual when the trace has pod usage, background otherwise.
 */
export type MachineUsageMode = 'auto' | 'background' | 'residual' | 'ignore';

export interface AlibabaOptions {
  /** The instant trace time 0 maps onto (ISO 8601 with offset, or ms since epoch). */
  start?: string | number;
  /** Strict (default): a malformed row throws TraceError. Lenient: it is skipped and counted in info.skipped. */
  strict?: boolean;
  /**
   * Bytes of memory of a machine at the top of the normalised scale (100 in 2018, 1.0 in 2017); every
   * normalised memory (machine size, requests, usage) is scaled by it. Default 384 GiB: the traces hide
   * the real size; 384 GiB is a plausible size for their 96-core machines (4 GiB per core).
   */
  machineMemory?: number;
  /** maxPods of every node (default 256: Alibaba machines carry many containers and instances). */
  maxPods?: number;
  machineUsage?: MachineUsageMode;
  /** Pin pods to the machine the trace recorded (nodeName); default false: the policy places them. */
  replayPlacement?: boolean;
  /** When pods are derived from batch_task (no batch_instance), at most this many per task (default: all). */
  maxInstancesPerTask?: number;
  /** When deriving from batch_task, only tasks with these statuses (default: every task with valid times). */
  taskStatuses?: string[];
  onlinePriority?: number;
  batchPriority?: number;
  /**
   * A cluster to replay the trace on when it has no machine table (machine_meta / server_event): this
   * many nodes of this size (millicores, bytes), named machine-1..machine-N, added at the start.
   */
  machines?: { count: number; cpu: number; memory: number };
  /** External sort tuning (run size in items, merge fan-in, where temporary files go). */
  sort?: { runSize?: number; maxFanIn?: number; tmpDir?: string };
}

export interface AlibabaStats {
  /** Data rows parsed, per file (header and blank lines excluded; malformed rows are in info.skipped or fail the read). */
  rows: Record<string, number>;
  /** Distinct machines in the machine table (machine_meta / server_event). */
  machines: number;
  /** Events produced, by type. */
  events: Record<TraceEventType, number>;
  /** Rows or items that produced nothing, by reason (missing values, unknown pods or nodes, ...). */
  dropped: Record<string, number>;
  /** Values that were missing and replaced by a documented substitute, by reason. */
  fallbacks: Record<string, number>;
  /**
   * Tables found out of time order, which went through the external sort before use (container_meta
   * and the batch tables are always sorted, by container or by job and task, and are not listed).
   */
  sorted: string[];
}

/** A reader's trace; `stats` describes the last (or current) iteration of events(). */
export interface AlibabaTrace extends Trace {
  stats: AlibabaStats;
}

export function emptyStats(): AlibabaStats {
  return {
    rows: {},
    machines: 0,
    events: { 'node-add': 0, 'node-remove': 0, 'pod-arrival': 0, 'pod-end': 0, 'pod-usage': 0, 'app-usage': 0, 'node-usage': 0 },
    dropped: {},
    fallbacks: {},
    sorted: [],
  };
}

/** Items between the table sources and the resolver (all JSON-serialisable, for the external sort). */
export type Item =
  | { k: 'node-add'; t: number; node: NodeInfo }
  | { k: 'node-remove'; t: number; name: string }
  /** A pod; `machine` is where the trace ran it; batch instances carry their mean usage and end. */
  | { k: 'pod'; t: number; pod: TracePod; machine: string; use?: { cpu: number; memory: number }; until?: number }
  /** A batch task without instance rows: `n` pods alike. */
  | { k: 'task'; t: number; job: string; task: string; n: number; cpu: number; memory: number; runtimeMs: number }
  | { k: 'pod-end'; t: number; uid: string; tentative?: boolean }
  /** Usage of a live online pod, in percent of its requests (either may be missing). */
  | { k: 'pod-pct'; t: number; uid: string; cpu?: number; memory?: number }
  /** Usage of a machine in percent of its capacity (either may be missing). */
  | { k: 'node-pct'; t: number; name: string; cpu?: number; memory?: number };

const RANK: Record<Item['k'], number> = { 'node-add': 0, pod: 1, task: 1, 'pod-pct': 2, 'node-pct': 4, 'pod-end': 5, 'node-remove': 6 };

/** Time, then a fixed order of kinds at equal times (nodes before pods, arrivals before usage before ends). */
export function compareItems(a: Item, b: Item): number {
  return a.t - b.t || RANK[a.k] - RANK[b.k];
}

/** Resolved options and per-iteration state shared by a reader's table sources. */
export interface Ctx {
  start: number;
  strict: boolean;
  skipped: Map<string, number>;
  info: TraceInfo;
  stats: AlibabaStats;
  machineMemory: number;
  maxPods: number;
  replayPlacement: boolean;
  maxInstancesPerTask: number;
  taskStatuses: Set<string> | null;
  onlinePriority: number;
  batchPriority: number;
  sort: { runSize?: number; maxFanIn?: number; tmpDir?: string };
}

export function parseStart(v: string | number | undefined): number {
  if (v === undefined) return DateTime.fromISO(DEFAULT_START, { setZone: true }).toMillis();
  if (typeof v === 'number') return v;
  const d = DateTime.fromISO(v, { setZone: true });
  if (!d.isValid) throw new Error(`start: not an ISO 8601 instant: '${v}'`);
  return d.toMillis();
}

export function makeCtx(o: AlibabaOptions, info: TraceInfo, stats: AlibabaStats): Ctx {
  const mem = o.machineMemory ?? 384 * GiB;
  if (!(mem > 0)) throw new Error(`machineMemory must be > 0, got ${mem}`);
  return {
    start: parseStart(o.start),
    strict: o.strict ?? true,
    skipped: info.skipped,
    info,
    stats,
    machineMemory: mem,
    maxPods: o.maxPods ?? 256,
    replayPlacement: o.replayPlacement ?? false,
    maxInstancesPerTask: o.maxInstancesPerTask ?? Infinity,
    taskStatuses: o.taskStatuses ? new Set(o.taskStatuses.map((s) => s.toLowerCase())) : null,
    onlinePriority: o.onlinePriority ?? 9000,
    batchPriority: o.batchPriority ?? 5000,
    sort: o.sort ?? {},
  };
}

/** Trace seconds to ms since epoch; times before the trace (0 or negative) map to its start. */
export function toMs(ctx: Ctx, sec: number): number {
  return ctx.start + Math.round(Math.max(0, sec) * 1000);
}

export function drop(ctx: Ctx, reason: string, n = 1): void {
  ctx.stats.dropped[reason] = (ctx.stats.dropped[reason] ?? 0) + n;
  countDropped(ctx.info, reason, n);
}

export function fallback(ctx: Ctx, reason: string): void {
  ctx.stats.fallbacks[reason] = (ctx.stats.fallbacks[reason] ?? 0) + 1;
}

/** Find the files of the given tables: `name.csv` or `name.csv.gz` in a folder, or an explicit map. */
export async function locateTables<N extends string>(
  source: string | Partial<Record<N, string>>,
  names: readonly N[],
  format: string,
): Promise<{ files: Partial<Record<N, string>>; label: string }> {
  const files: Partial<Record<N, string>> = {};
  if (typeof source !== 'string') {
    for (const n of names) {
      const f = source[n];
      if (f === undefined) continue;
      await access(f).catch(() => {
        throw new Error(`${format}: ${n} file not found: ${f}`);
      });
      files[n] = f;
    }
    const given = Object.keys(source).filter((k) => !(names as readonly string[]).includes(k));
    if (given.length > 0) throw new Error(`${format}: unknown table(s) ${given.join(', ')}; expected ${names.join(', ')}`);
    if (Object.keys(files).length === 0) throw new Error(`${format}: no table files given`);
    return { files, label: Object.values(files).join(',') };
  }
  await access(source).catch(() => {
    throw new Error(`${format}: folder not found: ${source}`);
  });
  for (const n of names) {
    for (const f of [join(source, `${n}.csv`), join(source, `${n}.csv.gz`)]) {
      if (await access(f).then(() => true, () => false)) {
        files[n] = f;
        break;
      }
    }
  }
  if (Object.keys(files).length === 0) {
    throw new Error(`${format}: no recognised table in ${source}: expected any of ${names.map((n) => `${n}.csv`).join(', ')} (or .csv.gz)`);
  }
  return { files, label: source };
}

/**
 * Parsed rows of a table in time order, in batches: streamed as is when the file's time column
 * never decreases, otherwise through the external sort. `parse` returns a record with its time `t`
 * (ms), or null.
 */
export async function* timeOrderedRows<T extends { t: number }>(
  ctx: Ctx,
  file: string,
  spec: TableSpec,
  parse: (row: Row, line: number) => T | null,
): AsyncGenerator<T[]> {
  const rows = countedRows(ctx, file, spec, parse);
  if (await isTimeOrdered(file, spec.timeColumn)) {
    yield* rows;
  } else {
    ctx.stats.sorted.push(file);
    yield* externalSortBatches(rows, { ...ctx.sort, compare: (a, b) => a.t - b.t });
  }
}

/** readTableBatches with the row count kept in stats. */
export function countedRows<T>(ctx: Ctx, file: string, spec: TableSpec, parse: (row: Row, line: number) => T | null): AsyncGenerator<T[]> {
  ctx.stats.rows[file] = 0;
  return readTableBatches(file, spec, ctx, (row, line) => {
    ctx.stats.rows[file]!++;
    return parse(row, line);
  });
}

/** Sort a source's item batches into the merge order. */
export function sortItems(ctx: Ctx, items: AsyncIterable<Item[]>): AsyncGenerator<Item[]> {
  return externalSortBatches(items, { ...ctx.sort, compare: compareItems });
}

export function batchPod(ctx: Ctx, uid: string, name: string, job: string, app: string, cpu: number, memory: number, runtimeMs: number): TracePod {
  return {
    uid,
    namespace: 'batch',
    name,
    class: 'batch',
    app,
    priority: ctx.batchPriority,
    requests: { cpu, memory },
    runtimeMs,
    declaredRuntimeMs: 0,
    checkpointable: false,
    job,
  };
}

export function onlinePod(ctx: Ctx, uid: string, app: string, cpu: number, memory: number): TracePod {
  return {
    uid,
    namespace: 'online',
    name: uid,
    class: 'online',
    app,
    priority: ctx.onlinePriority,
    requests: { cpu, memory },
    runtimeMs: 0,
    declaredRuntimeMs: 0,
    checkpointable: false,
    job: '',
  };
}

interface NodeState {
  cpu: number;
  memory: number;
  cpuPct?: number;
  memPct?: number;
  /** False for machines known only from usage rows (no machine table): never announced. */
  announced: boolean;
}

interface PodState {
  cpu: number;
  memory: number;
  machine: string;
  cpuPct?: number;
  memPct?: number;
  useCpu: number;
  useMem: number;
}

interface Load {
  cpu: number;
  memory: number;
}

/**
 * Turns merged items into events. Holds live nodes, live online pods and (in residual mode) the
 * usage of running traced pods per recorded machine; drops what refers to nothing live, counting why.
 */
export class Resolver {
  private readonly nodes = new Map<string, NodeState>();
  private readonly pods = new Map<string, PodState>();
  private readonly load = new Map<string, Load>();
  private readonly expiries = new Heap<{ t: number; machine: string; cpu: number; memory: number }>((a, b) => a.t - b.t);
  private readonly ctx: Ctx;
  private readonly residual: boolean;
  private readonly machineTable: boolean;
  private readonly defaultCpu: number;

  constructor(ctx: Ctx, opts: { residual: boolean; machineTable: boolean; defaultCpu: number }) {
    this.ctx = ctx;
    this.residual = opts.residual;
    this.machineTable = opts.machineTable;
    this.defaultCpu = opts.defaultCpu;
  }

  /** Append the events an item makes (none, one, or several) to `out`. */
  resolve(item: Item, out: TraceEvent[]): void {
    const ctx = this.ctx;
    if (this.residual) this.expire(item.t);
    switch (item.k) {
      case 'node-add': {
        const cur = this.nodes.get(item.node.name);
        if (cur?.announced) return drop(ctx, 'node-add of a live node');
        this.nodes.set(item.node.name, { cpu: item.node.allocatable.cpu, memory: item.node.allocatable.memory, announced: true });
        out.push(this.count({ type: 'node-add', time: item.t, node: item.node }));
        return;
      }
      case 'node-remove': {
        if (!this.nodes.get(item.name)?.announced) return drop(ctx, 'node-remove of an unknown node');
        this.nodes.delete(item.name);
        out.push(this.count({ type: 'node-remove', time: item.t, name: item.name }));
        return;
      }
      case 'pod': {
        const pod = item.pod;
        if (pod.class === 'online') {
          if (this.pods.has(pod.uid)) return drop(ctx, 'pod-arrival of a live pod');
          this.pods.set(pod.uid, { cpu: pod.requests.cpu, memory: pod.requests.memory, machine: item.machine, useCpu: 0, useMem: 0 });
        }
        if (ctx.replayPlacement && item.machine) {
          if (this.nodes.get(item.machine)?.announced) pod.nodeName = item.machine;
          else fallback(ctx, 'placement not replayed: machine not live');
        }
        out.push(this.count({ type: 'pod-arrival', time: item.t, pod }));
        if (item.use) {
          out.push(this.count({ type: 'pod-usage', time: item.t, uid: pod.uid, cpu: item.use.cpu, memory: item.use.memory }));
          if (this.residual && item.machine && item.until !== undefined && item.until > item.t) {
            this.addLoad(item.machine, item.use.cpu, item.use.memory);
            this.expiries.push({ t: item.until, machine: item.machine, cpu: item.use.cpu, memory: item.use.memory });
          }
        }
        return;
      }
      case 'task': {
        for (let i = 1; i <= item.n; i++) {
          const uid = `${item.job}/${item.task}/${i}`;
          const pod = batchPod(ctx, uid, `${item.task}-${i}`, item.job, `${item.job}/${item.task}`, item.cpu, item.memory, item.runtimeMs);
          out.push(this.count({ type: 'pod-arrival', time: item.t, pod }));
        }
        return;
      }
      case 'pod-end': {
        const p = this.pods.get(item.uid);
        if (!p) return drop(ctx, 'pod-end of an unknown pod');
        if (this.residual) this.addLoad(p.machine, -p.useCpu, -p.useMem);
        this.pods.delete(item.uid);
        out.push(this.count({ type: 'pod-end', time: item.t, uid: item.uid }));
        return;
      }
      case 'pod-pct': {
        const p = this.pods.get(item.uid);
        if (!p) return drop(ctx, 'usage of a pod not live');
        p.cpuPct = item.cpu ?? p.cpuPct;
        p.memPct = item.memory ?? p.memPct;
        if (p.cpuPct === undefined || p.memPct === undefined) return drop(ctx, 'usage with a value missing');
        const cpu = Math.round((p.cpuPct / 100) * p.cpu);
        const memory = Math.round((p.memPct / 100) * p.memory);
        if (this.residual) this.addLoad(p.machine, cpu - p.useCpu, memory - p.useMem);
        p.useCpu = cpu;
        p.useMem = memory;
        out.push(this.count({ type: 'pod-usage', time: item.t, uid: item.uid, cpu, memory }));
        return;
      }
      case 'node-pct': {
        let n = this.nodes.get(item.name);
        if (!n) {
          if (this.machineTable) return drop(ctx, 'usage of a machine not live');
          n = { cpu: this.defaultCpu, memory: ctx.machineMemory, announced: false };
          this.nodes.set(item.name, n);
        }
        n.cpuPct = item.cpu ?? n.cpuPct;
        n.memPct = item.memory ?? n.memPct;
        if (n.cpuPct === undefined || n.memPct === undefined) return drop(ctx, 'usage with a value missing');
        let cpu = (n.cpuPct / 100) * n.cpu;
        let memory = (n.memPct / 100) * n.memory;
        if (this.residual) {
          const l = this.load.get(item.name);
          if (l) {
            cpu = Math.max(0, cpu - l.cpu);
            memory = Math.max(0, memory - l.memory);
          }
        }
        out.push(this.count({ type: 'node-usage', time: item.t, name: item.name, cpu: Math.round(cpu), memory: Math.round(memory) }));
        return;
      }
    }
  }

  private count(e: TraceEvent): TraceEvent {
    this.ctx.stats.events[e.type]++;
    return e;
  }

  private addLoad(machine: string, cpu: number, memory: number): void {
    if (!machine) return;
    const l = this.load.get(machine);
    if (l) {
      l.cpu += cpu;
      l.memory += memory;
      if (Math.abs(l.cpu) < 1e-6 && Math.abs(l.memory) < 1e-6) this.load.delete(machine);
    } else {
      this.load.set(machine, { cpu, memory });
    }
  }

  private expire(t: number): void {
    for (let e = this.expiries.peek(); e && e.t <= t; e = this.expiries.peek()) {
      this.expiries.pop();
      this.addLoad(e.machine, -e.cpu, -e.memory);
    }
  }
}

/** Build a reader's Trace from its table sources: merge them, resolve, count. */
export function assemble(
  format: string,
  label: string,
  options: AlibabaOptions,
  build: (ctx: Ctx) => { sources: Array<() => AsyncIterable<Item[]>>; residual: boolean; machineTable: boolean; defaultCpu: number },
): AlibabaTrace {
  const info: TraceInfo = { format, source: label, start: parseStart(options.start), skipped: new Map() };
  const trace: AlibabaTrace = {
    info,
    stats: emptyStats(),
    events: async function* () {
      const stats = emptyStats();
      trace.stats = stats;
      info.skipped.clear();
      info.dropped = new Map();
      const ctx = makeCtx(options, info, stats);
      const b = build(ctx);
      if (options.machines) {
        if (b.machineTable) throw new Error(`${label}: machines is for traces without a machine table; this one has one (machine_meta or server_event)`);
        b.sources.unshift(() => givenMachines(ctx, options.machines!));
        b.machineTable = true;
      }
      const resolver = new Resolver(ctx, { residual: b.residual, machineTable: b.machineTable, defaultCpu: b.defaultCpu });
      const out: TraceEvent[] = [];
      for await (const batch of mergeSortedBatches(b.sources.map((s) => s()), compareItems)) {
        out.length = 0;
        for (const item of batch) resolver.resolve(item, out);
        yield* out;
      }
    },
  };
  return trace;
}

async function* givenMachines(ctx: Ctx, m: NonNullable<AlibabaOptions['machines']>): AsyncIterable<Item[]> {
  if (!(Number.isInteger(m.count) && m.count > 0 && m.cpu > 0 && m.memory > 0)) throw new Error(`machines: need a positive whole count and positive cpu and memory (got ${JSON.stringify(m)})`);
  const items: Item[] = [];
  for (let i = 1; i <= m.count; i++) {
    const name = `machine-${i}`;
    items.push({ k: 'node-add', t: ctx.start, node: { name, allocatable: { cpu: Math.round(m.cpu), memory: Math.round(m.memory) }, maxPods: ctx.maxPods, labels: { 'kubernetes.io/hostname': name }, zone: '', unschedulable: false } });
  }
  yield items;
}

const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * A merge join on `key`: both streams are sorted by key (external sort, so neither is held in
 * memory), then each right row meets the first left row with its key (or undefined).
 */
export async function* joinByKey<L extends { key: string }, R extends { key: string }>(
  ctx: Ctx,
  left: AsyncIterable<L[]> | null,
  right: AsyncIterable<R[]>,
  f: (r: R, l: L | undefined) => Item | null,
): AsyncGenerator<Item[]> {
  const cur = left ? new BatchCursor(externalSortBatches(left, { ...ctx.sort, compare: byKey })) : null;
  try {
    await cur?.fill();
    for await (const batch of externalSortBatches(right, { ...ctx.sort, compare: byKey })) {
      const out: Item[] = [];
      for (const r of batch) {
        while (cur && cur.value !== undefined && cur.value.key < r.key) if (!cur.step()) await cur.fill();
        const l = cur?.value?.key === r.key ? cur.value : undefined;
        const item = f(r, l);
        if (item) out.push(item);
      }
      if (out.length > 0) yield out;
    }
  } finally {
    await cur?.close();
  }
}

/**
 * A batch task row (CPU in millicores, memory in bytes) to a task item, or null (counted) when it cannot run.
 * Without the batch_instance table every instance runs for the task's whole span: an upper bound.
 * On the complete v2017 batch_task table that asks a mean 87 % of 1,300 x 64 cores (4.6x at the
 * peak), about twice the whole cluster's published utilisation, while published instance times
 * are much shorter than the spans of large tasks (README.md, "batch_task alone").
 */
export function taskItem(ctx: Ctx, job: string, task: string, status: string, n: number | undefined, startSec: number | undefined, endSec: number | undefined, cpu: number | undefined, memory: number | undefined): Item | null {
  if (ctx.taskStatuses && !ctx.taskStatuses.has(lower(status))) {
    drop(ctx, 'task status not selected');
    return null;
  }
  if (job === '' || task === '') return (drop(ctx, 'task without job or name'), null);
  if (n === undefined || n < 1) return (drop(ctx, 'task without instances'), null);
  if (startSec === undefined || endSec === undefined || endSec <= 0) return (drop(ctx, 'task without start or end'), null);
  if (cpu === undefined || memory === undefined) return (drop(ctx, 'task without requests'), null);
  const t = toMs(ctx, startSec);
  const endMs = toMs(ctx, endSec);
  if (endMs < t) return (drop(ctx, 'task ends before it starts'), null);
  const count = Math.min(Math.round(n), ctx.maxInstancesPerTask);
  if (count < n) drop(ctx, 'instances over maxInstancesPerTask', Math.round(n) - count);
  if (count <= 0) return null;
  return { k: 'task', t, job, task, n: count, cpu: Math.round(cpu), memory: Math.round(memory), runtimeMs: Math.max(1000, endMs - t) };
}

export function lower(s: string): string {
  return s.toLowerCase();
}
