// Reader of Alibaba's cluster-trace-v2018 (github.com/alibaba/clusterdata, cluster-trace-v2018/schema.txt):
// a folder with any subset of its six headerless CSV tables, turned into one time-ordered TraceEvent
// stream. How each table maps onto events, and the choices made where the trace is silent, are in
// README.md beside this file.

import { lower, assemble, batchPod, countedRows, drop, fallback, joinByKey, locateTables, onlinePod, sortItems, taskItem, timeOrderedRows, toMs } from './alibaba-common.ts';
import { externalSortBatches } from './sort.ts';
import type { AlibabaOptions, AlibabaTrace, Ctx, Item, MachineUsageMode } from './alibaba-common.ts';
import type { Row, TableSpec } from './csv.ts';
import type { NodeInfo } from '../../scheduler/core/model.ts';

export const TABLES_2018 = ['machine_meta', 'machine_usage', 'container_meta', 'container_usage', 'batch_task', 'batch_instance'] as const;
export type Table2018 = (typeof TABLES_2018)[number];

export interface Alibaba2018Options extends AlibabaOptions {
  /** Machine statuses meaning "in service" (case-insensitive; default ["USING"]); any other status takes the node out. */
  upStatuses?: string[];
  /** Which failure domain becomes the node's zone (default failure_domain_2, ~20 values; failure_domain_1 has ~300). */
  zoneFrom?: 'failure_domain_1' | 'failure_domain_2' | 'none';
  /**
   * When an online container ends: `status` (default) at its first row whose status is in
   * containerEndStatuses; `last-seen` also at its last row when that row is more than
   * lastSeenGraceSec before the end of container_meta (rows are snapshots, so a container alive to
   * the end may well have its last row days earlier: use with care).
   */
  containerEnd?: 'status' | 'last-seen';
  /** Default: stopped, failed, killed, deleted, removed, dead (case-insensitive). */
  containerEndStatuses?: string[];
  lastSeenGraceSec?: number;
}

const MACHINE_META: TableSpec = {
  columns: ['machine_id', 'time_stamp', 'failure_domain_1', 'failure_domain_2', 'cpu_num', 'mem_size', 'status'],
  minColumns: 7,
  timeColumn: 2,
};
const MACHINE_USAGE: TableSpec = {
  columns: ['machine_id', 'time_stamp', 'cpu_util_percent', 'mem_util_percent', 'mem_gps', 'mkpi', 'net_in', 'net_out', 'disk_io_percent'],
  minColumns: 4,
  timeColumn: 2,
};
const CONTAINER_META: TableSpec = {
  columns: ['container_id', 'machine_id', 'time_stamp', 'app_du', 'status', 'cpu_request', 'cpu_limit', 'mem_size'],
  minColumns: 8,
  timeColumn: 3,
};
const CONTAINER_USAGE: TableSpec = {
  columns: ['container_id', 'machine_id', 'time_stamp', 'cpu_util_percent', 'mem_util_percent', 'cpi', 'mem_gps', 'mpki', 'net_in', 'net_out', 'disk_io_percent'],
  minColumns: 5,
  timeColumn: 3,
};
const BATCH_TASK: TableSpec = {
  columns: ['task_name', 'instance_num', 'job_name', 'task_type', 'status', 'start_time', 'end_time', 'plan_cpu', 'plan_mem'],
  minColumns: 9,
  timeColumn: 6,
};
const BATCH_INSTANCE: TableSpec = {
  columns: ['instance_name', 'task_name', 'job_name', 'task_type', 'status', 'start_time', 'end_time', 'machine_id', 'seq_no', 'total_seq_no', 'cpu_avg', 'cpu_max', 'mem_avg', 'mem_max'],
  minColumns: 14,
  timeColumn: 6,
};

const DEFAULT_END_STATUSES = ['stopped', 'failed', 'killed', 'deleted', 'removed', 'dead'];
/** Cores of a machine when machine_meta is absent (every 2018 machine has 96). */
const DEFAULT_CPU_2018 = 96_000;

/**
 * Read a cluster-trace-v2018 folder (files `<table>.csv` or `<table>.csv.gz`), or an explicit map of
 * table name to file. Throws when no table is found; missing tables are fine.
 */
export async function readAlibaba2018(source: string | Partial<Record<Table2018, string>>, options: Alibaba2018Options = {}): Promise<AlibabaTrace> {
  const { files, label } = await locateTables(source, TABLES_2018, 'alibaba-2018');
  const mode = resolveUsageMode(options.machineUsage ?? 'auto', files.container_usage !== undefined || files.batch_instance !== undefined);
  return assemble('alibaba-2018', label, options, (ctx) => {
    const sources: Array<() => AsyncIterable<Item[]>> = [];
    if (files.machine_meta) sources.push(() => machines(ctx, files.machine_meta!, options));
    if (files.container_meta) sources.push(() => containers(ctx, files.container_meta!, options));
    if (files.batch_instance) sources.push(() => batchInstances(ctx, files.batch_instance!, files.batch_task));
    else if (files.batch_task) sources.push(() => batchTasks(ctx, files.batch_task!));
    if (files.container_usage) sources.push(() => containerUsage(ctx, files.container_usage!));
    if (files.machine_usage && mode !== 'ignore') sources.push(() => machineUsage(ctx, files.machine_usage!));
    return { sources, residual: mode === 'residual', machineTable: files.machine_meta !== undefined, defaultCpu: DEFAULT_CPU_2018 };
  });
}

export function resolveUsageMode(mode: MachineUsageMode, podUsage: boolean): Exclude<MachineUsageMode, 'auto'> {
  if (mode === 'auto') return podUsage ? 'residual' : 'background';
  if (!['background', 'residual', 'ignore'].includes(mode)) throw new Error(`machineUsage: expected auto, background, residual or ignore, got '${mode}'`);
  return mode;
}

/** A time column: trace seconds, required; an empty field leaves the row without a time (dropped). */
function time(ctx: Ctx, row: Row, col: number): number | undefined {
  const v = row.num(col, 'none');
  return v === undefined ? undefined : toMs(ctx, v);
}

// ---- machines ----

interface MachineRow {
  t: number;
  id: string;
  fd1: string;
  fd2: string;
  cpu?: number;
  mem?: number;
  status: string;
}

async function* machines(ctx: Ctx, file: string, o: Alibaba2018Options): AsyncGenerator<Item[]> {
  const up = new Set((o.upStatuses ?? ['USING']).map(lower));
  const zoneFrom = o.zoneFrom ?? 'failure_domain_2';
  const state = new Map<string, { up: boolean; cpu?: number; mem?: number; fd1: string; fd2: string }>();
  const parse = (row: Row): MachineRow | null => {
    const t = time(ctx, row, 2);
    const id = row.str(1);
    const cpu = row.num(5, 'neg1');
    const mem = row.num(6);
    if (t === undefined || id === '') {
      drop(ctx, 'machine row without time or id');
      return null;
    }
    const r: MachineRow = { t, id, fd1: row.str(3), fd2: row.str(4), status: row.str(7) };
    if (cpu !== undefined) r.cpu = cpu;
    if (mem !== undefined) r.mem = mem;
    return r;
  };
  for await (const batch of timeOrderedRows(ctx, file, MACHINE_META, parse)) {
    const out: Item[] = [];
    for (const r of batch) {
      let s = state.get(r.id);
      if (!s) {
        s = { up: false, fd1: '', fd2: '' };
        state.set(r.id, s);
        ctx.stats.machines = state.size;
      }
      if (r.cpu !== undefined) s.cpu = r.cpu;
      if (r.mem !== undefined) s.mem = r.mem;
      if (r.fd1) s.fd1 = r.fd1;
      if (r.fd2) s.fd2 = r.fd2;
      if (r.status === '') continue;
      const isUp = up.has(lower(r.status));
      if (isUp && !s.up) {
        if (s.cpu === undefined || s.mem === undefined) {
          drop(ctx, 'machine without capacity');
          continue;
        }
        s.up = true;
        out.push({ k: 'node-add', t: r.t, node: machineNode(ctx, r.id, s.cpu, s.mem, s.fd1, s.fd2, zoneFrom) });
      } else if (!isUp && s.up) {
        s.up = false;
        out.push({ k: 'node-remove', t: r.t, name: r.id });
      }
    }
    if (out.length > 0) yield out;
  }
}

function machineNode(ctx: Ctx, name: string, cores: number, mem: number, fd1: string, fd2: string, zoneFrom: Alibaba2018Options['zoneFrom']): NodeInfo {
  const zone = zoneFrom === 'failure_domain_1' ? (fd1 ? `fd1-${fd1}` : '') : zoneFrom === 'failure_domain_2' ? (fd2 ? `fd2-${fd2}` : '') : '';
  const labels: Record<string, string> = {};
  if (fd1) labels['alibaba.com/failure-domain-1'] = fd1;
  if (fd2) labels['alibaba.com/failure-domain-2'] = fd2;
  if (zone) labels['topology.kubernetes.io/zone'] = zone;
  return {
    name,
    allocatable: { cpu: Math.round(cores * 1000), memory: Math.round((mem / 100) * ctx.machineMemory) },
    maxPods: ctx.maxPods,
    labels,
    zone,
    unschedulable: false,
  };
}

function machineUsage(ctx: Ctx, file: string): AsyncIterable<Item[]> {
  const parse = (row: Row): Item | null => {
    const t = time(ctx, row, 2);
    const name = row.str(1);
    const cpu = row.num(3);
    const memory = row.num(4);
    if (t === undefined || name === '') {
      drop(ctx, 'usage row without time or id');
      return null;
    }
    if (cpu === undefined && memory === undefined) {
      drop(ctx, 'usage with a value missing');
      return null;
    }
    const it: Item = { k: 'node-pct', t, name };
    if (cpu !== undefined) it.cpu = cpu;
    if (memory !== undefined) it.memory = memory;
    return it;
  };
  return timeOrderedRows(ctx, file, MACHINE_USAGE, parse);
}

// ---- online containers ----

interface ContainerRow {
  t: number;
  id: string;
  machine: string;
  app: string;
  status: string;
  cpu?: number;
  mem?: number;
}

async function* containers(ctx: Ctx, file: string, o: Alibaba2018Options): AsyncGenerator<Item[]> {
  const endStatuses = new Set((o.containerEndStatuses ?? DEFAULT_END_STATUSES).map(lower));
  const lastSeen = (o.containerEnd ?? 'status') === 'last-seen';
  const graceMs = (o.lastSeenGraceSec ?? 3600) * 1000;
  let tableMax = -Infinity;
  const parse = (row: Row): ContainerRow | null => {
    const t = time(ctx, row, 3);
    const id = row.str(1);
    const cpu = row.num(6, 'neg1') ?? row.num(7, 'neg1');
    const mem = row.num(8);
    if (t === undefined || id === '') {
      drop(ctx, 'container row without time or id');
      return null;
    }
    if (t > tableMax) tableMax = t;
    const r: ContainerRow = { t, id, machine: row.str(2), app: row.str(4), status: lower(row.str(5)) };
    if (cpu !== undefined) r.cpu = cpu;
    if (mem !== undefined) r.mem = mem;
    return r;
  };
  // Group each container's rows (sorted by id, then time), decide its arrival and end, then put the
  // resulting items in time order.
  const byContainer = externalSortBatches(countedRows(ctx, file, CONTAINER_META, parse), {
    ...ctx.sort,
    compare: (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.t - b.t),
  });
  async function* lifetimes(): AsyncGenerator<Item[]> {
    let id: string | null = null;
    let arrived = false;
    let ended = false;
    let machine = '';
    let last = 0;
    const close = (out: Item[]): void => {
      if (id !== null && arrived && !ended && lastSeen) out.push({ k: 'pod-end', t: last, uid: id, tentative: true });
    };
    for await (const batch of byContainer) {
      const out: Item[] = [];
      for (const r of batch) {
        if (r.id !== id) {
          close(out);
          id = r.id;
          arrived = false;
          ended = false;
        }
        last = r.t;
        if (ended) {
          drop(ctx, 'container row after its end');
          continue;
        }
        const isEnd = endStatuses.has(r.status);
        if (!arrived) {
          if (isEnd) {
            drop(ctx, 'container ends before it starts');
            ended = true;
            continue;
          }
          if (r.cpu === undefined || r.mem === undefined) {
            drop(ctx, 'container row without requests');
            continue;
          }
          arrived = true;
          machine = r.machine;
          const pod = onlinePod(ctx, r.id, r.app || r.id, Math.round(r.cpu * 10), Math.round((r.mem / 100) * ctx.machineMemory));
          out.push({ k: 'pod', t: r.t, pod, machine });
          continue;
        }
        if (r.machine && r.machine !== machine) fallback(ctx, 'container moved (first placement kept)');
        if (isEnd) {
          ended = true;
          out.push({ k: 'pod-end', t: r.t, uid: r.id });
        }
      }
      if (out.length > 0) yield out;
    }
    const out: Item[] = [];
    close(out);
    if (out.length > 0) yield out;
  }
  for await (const batch of sortItems(ctx, lifetimes())) {
    const out: Item[] = [];
    for (const it of batch) {
      if (it.k === 'pod-end' && it.tentative) {
        if (it.t >= tableMax - graceMs) continue;
        delete it.tentative;
      }
      out.push(it);
    }
    if (out.length > 0) yield out;
  }
}

function containerUsage(ctx: Ctx, file: string): AsyncIterable<Item[]> {
  const parse = (row: Row): Item | null => {
    const t = time(ctx, row, 3);
    const uid = row.str(1);
    const cpu = row.num(4);
    const memory = row.num(5);
    if (t === undefined || uid === '') {
      drop(ctx, 'usage row without time or id');
      return null;
    }
    if (cpu === undefined && memory === undefined) {
      drop(ctx, 'usage with a value missing');
      return null;
    }
    const it: Item = { k: 'pod-pct', t, uid };
    if (cpu !== undefined) it.cpu = cpu;
    if (memory !== undefined) it.memory = memory;
    return it;
  };
  return timeOrderedRows(ctx, file, CONTAINER_USAGE, parse);
}

// ---- batch ----

interface TaskRow {
  key: string;
  job: string;
  task: string;
  n?: number;
  status: string;
  start?: number;
  end?: number;
  cpu?: number;
  mem?: number;
}

function parseTask(row: Row): TaskRow | null {
  const task = row.str(1);
  const job = row.str(3);
  const n = row.num(2, 'neg1');
  const start = row.num(6, 'none');
  const end = row.num(7, 'none');
  const cpu = row.num(8, 'neg1'); // 100 = 1 core: 101 is a value, not a marker
  const mem = row.num(9);
  const r: TaskRow = { key: `${job}\u0000${task}`, job, task, status: row.str(5) };
  if (n !== undefined) r.n = n;
  if (start !== undefined) r.start = start;
  if (end !== undefined) r.end = end;
  if (cpu !== undefined) r.cpu = cpu;
  if (mem !== undefined) r.mem = mem;
  return r;
}

/** Pods from batch_task alone: instance_num pods (capped) of the task's duration each. */
function batchTasks(ctx: Ctx, file: string): AsyncIterable<Item[]> {
  const parse = (row: Row): Item | null => {
    const r = parseTask(row)!;
    return taskItem(ctx, r.job, r.task, r.status, r.n, r.start, r.end, r.cpu === undefined ? undefined : r.cpu * 10, r.mem === undefined ? undefined : (r.mem / 100) * ctx.machineMemory);
  };
  return sortItems(ctx, countedRows(ctx, file, BATCH_TASK, parse));
}

interface InstanceRow {
  key: string;
  line: number;
  inst: string;
  job: string;
  task: string;
  machine: string;
  start?: number;
  end?: number;
  cpuAvg?: number;
  cpuMax?: number;
  memAvg?: number;
  memMax?: number;
}

/**
 * One pod per batch_instance row, its requests from the task's plan (a merge join of both tables
 * sorted by job and task, so neither is held in memory), its usage the row's averages.
 */
function batchInstances(ctx: Ctx, instFile: string, taskFile: string | undefined): AsyncIterable<Item[]> {
  const parseInst = (row: Row, line: number): InstanceRow | null => {
    const inst = row.str(1);
    const task = row.str(2);
    const job = row.str(3);
    const r: InstanceRow = { key: `${job}\u0000${task}`, line, inst, job, task, machine: row.str(8) };
    const start = row.num(6, 'none');
    const end = row.num(7, 'none');
    const cpuAvg = row.num(11, 'neg1');
    const cpuMax = row.num(12, 'neg1');
    const memAvg = row.num(13);
    const memMax = row.num(14);
    if (start !== undefined) r.start = start;
    if (end !== undefined) r.end = end;
    if (cpuAvg !== undefined) r.cpuAvg = cpuAvg;
    if (cpuMax !== undefined) r.cpuMax = cpuMax;
    if (memAvg !== undefined) r.memAvg = memAvg;
    if (memMax !== undefined) r.memMax = memMax;
    return r;
  };
  const tasks = taskFile ? countedRows(ctx, taskFile, BATCH_TASK, parseTask) : null;
  const insts = countedRows(ctx, instFile, BATCH_INSTANCE, parseInst);
  return sortItems(ctx, joinByKey(ctx, tasks, insts, (r, plan) => instanceItem(ctx, r, plan)));
}

function instanceItem(ctx: Ctx, r: InstanceRow, plan: TaskRow | undefined): Item | null {
  if (r.job === '' || r.inst === '') return (drop(ctx, 'batch instance without job or name'), null);
  if (r.start === undefined) return (drop(ctx, 'batch instance without start'), null);
  if (r.end === undefined || r.end <= 0) return (drop(ctx, 'batch instance without end'), null);
  const t = toMs(ctx, r.start);
  const until = toMs(ctx, r.end);
  if (until < t) return (drop(ctx, 'batch instance ends before it starts'), null);
  let cpu = plan?.cpu;
  let mem = plan?.mem;
  if (cpu === undefined || mem === undefined) {
    fallback(ctx, plan ? 'batch task plan missing: requests from instance peak usage' : 'batch task unknown: requests from instance peak usage');
    cpu ??= r.cpuMax ?? r.cpuAvg;
    mem ??= r.memMax ?? r.memAvg;
  }
  if (cpu === undefined || mem === undefined) return (drop(ctx, 'batch instance without requests'), null);
  const uid = `${r.job}/${r.task}/${r.inst}@${r.line}`;
  const pod = batchPod(ctx, uid, r.inst, r.job, `${r.job}/${r.task}`, Math.round(cpu * 10), Math.round((mem / 100) * ctx.machineMemory), Math.max(1000, until - t));
  const item: Item = { k: 'pod', t, pod, machine: r.machine, until };
  if (r.cpuAvg !== undefined && r.memAvg !== undefined) {
    item.use = { cpu: Math.round(r.cpuAvg * 10), memory: Math.round((r.memAvg / 100) * ctx.machineMemory) };
  } else {
    drop(ctx, 'batch instance usage missing');
  }
  return item;
}


