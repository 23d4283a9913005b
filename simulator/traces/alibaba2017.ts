// Reader of Alibaba's cluster-trace-v2017 (github.com/alibaba/clusterdata, cluster-trace-v2017/schema.csv):
// about 1,300 machines over 24 hours (12 for containers). Same pipeline as the 2018 reader; the
// differences are the tables and units (see README.md beside this file).

import { assemble, batchPod, countedRows, drop, fallback, joinByKey, locateTables, lower, onlinePod, sortItems, taskItem, timeOrderedRows, toMs } from './alibaba-common.ts';
import { resolveUsageMode } from './alibaba2018.ts';
import type { AlibabaOptions, AlibabaTrace, Ctx, Item } from './alibaba-common.ts';
import type { Row, TableSpec } from './csv.ts';

export const TABLES_2017 = ['server_event', 'server_usage', 'batch_task', 'batch_instance', 'container_event', 'container_usage'] as const;
export type Table2017 = (typeof TABLES_2017)[number];

export interface Alibaba2017Options extends AlibabaOptions {
  /**
   * server_event types that take a machine out (case-insensitive; default ["harderror"]). A
   * softerror only stops new placements in the real cluster, which a node-remove would overstate.
   */
  removeOn?: string[];
}

const SERVER_EVENT: TableSpec = {
  columns: ['timestamp', 'machine_id', 'event_type', 'event_detail', 'cpus', 'memory', 'disk'],
  minColumns: 3,
  timeColumn: 1,
};
const SERVER_USAGE: TableSpec = {
  columns: ['timestamp', 'machine_id', 'util_cpu', 'util_memory', 'util_disk', 'load1', 'load5', 'load15'],
  minColumns: 4,
  timeColumn: 1,
};
const BATCH_TASK: TableSpec = {
  columns: ['create_timestamp', 'modify_timestamp', 'job_id', 'task_id', 'instance_num', 'status', 'plan_cpu', 'plan_mem'],
  minColumns: 6,
  timeColumn: 1,
};
const BATCH_INSTANCE: TableSpec = {
  columns: ['start_timestamp', 'end_timestamp', 'job_id', 'task_id', 'machine_id', 'status', 'seq_no', 'total_seq_no', 'real_cpu_max', 'real_cpu_avg', 'real_mem_max', 'real_mem_avg'],
  minColumns: 6,
  timeColumn: 1,
};
const CONTAINER_EVENT: TableSpec = {
  columns: ['timestamp', 'event_type', 'instance_id', 'machine_id', 'plan_cpu', 'plan_mem', 'plan_disk', 'cpuset'],
  minColumns: 6,
  timeColumn: 1,
};
const CONTAINER_USAGE: TableSpec = {
  columns: ['timestamp', 'instance_id', 'cpu_util', 'mem_util', 'disk_util', 'load1', 'load5', 'load15', 'avg_cpi', 'avg_mpki', 'max_cpi', 'max_mpki'],
  minColumns: 4,
  timeColumn: 1,
};

/** Cores of a machine when server_event is absent (the 2017 machines have 64). */
const DEFAULT_CPU_2017 = 64_000;

/** Numeric ids get the 2018-style prefix (m_12, j_3, t_4, c_9) so that names read alike across traces. */
function named(prefix: string, id: string): string {
  return /^\d+$/.test(id) ? `${prefix}_${id}` : id;
}

/** Read a cluster-trace-v2017 folder (`<table>.csv` or `.csv.gz`), or an explicit map of table to file. */
export async function readAlibaba2017(source: string | Partial<Record<Table2017, string>>, options: Alibaba2017Options = {}): Promise<AlibabaTrace> {
  const { files, label } = await locateTables(source, TABLES_2017, 'alibaba-2017');
  const mode = resolveUsageMode(options.machineUsage ?? 'auto', files.container_usage !== undefined || files.batch_instance !== undefined);
  return assemble('alibaba-2017', label, options, (ctx) => {
    const sources: Array<() => AsyncIterable<Item[]>> = [];
    if (files.server_event) sources.push(() => servers(ctx, files.server_event!, options));
    if (files.container_event) sources.push(() => containers(ctx, files.container_event!));
    if (files.batch_instance) sources.push(() => batchInstances(ctx, files.batch_instance!, files.batch_task));
    else if (files.batch_task) sources.push(() => batchTasks(ctx, files.batch_task!));
    if (files.container_usage) sources.push(() => containerUsage(ctx, files.container_usage!));
    if (files.server_usage && mode !== 'ignore') sources.push(() => serverUsage(ctx, files.server_usage!));
    return { sources, residual: mode === 'residual', machineTable: files.server_event !== undefined, defaultCpu: DEFAULT_CPU_2017 };
  });
}

function time(ctx: Ctx, row: Row, col: number): number | undefined {
  const v = row.num(col, 'none');
  return v === undefined ? undefined : toMs(ctx, v);
}

async function* servers(ctx: Ctx, file: string, o: Alibaba2017Options): AsyncGenerator<Item[]> {
  const removeOn = new Set((o.removeOn ?? ['harderror']).map(lower));
  const live = new Set<string>();
  const seen = new Set<string>();
  const parse = (row: Row): { t: number; id: string; type: string; cpus?: number; mem?: number } | null => {
    const t = time(ctx, row, 1);
    const id = row.str(2);
    if (t === undefined || id === '') return (drop(ctx, 'machine row without time or id'), null);
    const r: { t: number; id: string; type: string; cpus?: number; mem?: number } = { t, id: named('m', id), type: lower(row.str(3)) };
    const cpus = row.num(5, 'neg1');
    const mem = row.num(6, 'neg1');
    if (cpus !== undefined) r.cpus = cpus;
    if (mem !== undefined) r.mem = mem;
    return r;
  };
  for await (const batch of timeOrderedRows(ctx, file, SERVER_EVENT, parse)) {
    const out: Item[] = [];
    for (const r of batch) {
      seen.add(r.id);
      ctx.stats.machines = seen.size;
      if (r.type === 'add') {
        if (live.has(r.id)) continue;
        if (r.cpus === undefined || r.mem === undefined) {
          drop(ctx, 'machine without capacity');
          continue;
        }
        live.add(r.id);
        out.push({
          k: 'node-add',
          t: r.t,
          node: {
            name: r.id,
            allocatable: { cpu: Math.round(r.cpus * 1000), memory: Math.round(r.mem * ctx.machineMemory) },
            maxPods: ctx.maxPods,
            labels: {},
            zone: '',
            unschedulable: false,
          },
        });
      } else if (removeOn.has(r.type)) {
        if (!live.delete(r.id)) continue;
        out.push({ k: 'node-remove', t: r.t, name: r.id });
      } else {
        drop(ctx, `server event ${r.type || '(none)'} ignored`);
      }
    }
    if (out.length > 0) yield out;
  }
}

function pctItem(kind: 'node-pct' | 'pod-pct', ctx: Ctx, t: number | undefined, id: string, cpu: number | undefined, memory: number | undefined): Item | null {
  if (t === undefined || id === '') return (drop(ctx, 'usage row without time or id'), null);
  if (cpu === undefined && memory === undefined) return (drop(ctx, 'usage with a value missing'), null);
  const it: Item = kind === 'node-pct' ? { k: kind, t, name: id } : { k: kind, t, uid: id };
  if (cpu !== undefined) it.cpu = cpu;
  if (memory !== undefined) it.memory = memory;
  return it;
}

function serverUsage(ctx: Ctx, file: string): AsyncIterable<Item[]> {
  return timeOrderedRows(ctx, file, SERVER_USAGE, (row) => pctItem('node-pct', ctx, time(ctx, row, 1), named('m', row.str(2)), row.num(3, 'neg1'), row.num(4, 'neg1')));
}

function containers(ctx: Ctx, file: string): AsyncIterable<Item[]> {
  const parse = (row: Row): Item | null => {
    const t = time(ctx, row, 1);
    const id = row.str(3);
    if (t === undefined || id === '') return (drop(ctx, 'container row without time or id'), null);
    const uid = named('c', id);
    const type = lower(row.str(2));
    if (type === 'remove') return { k: 'pod-end', t, uid };
    if (type !== 'create') return (drop(ctx, `container event ${type || '(none)'} ignored`), null);
    const cpus = row.num(5, 'neg1');
    const mem = row.num(6, 'neg1');
    if (cpus === undefined || mem === undefined) return (drop(ctx, 'container row without requests'), null);
    // No application identity in 2017: each container is its own app.
    const pod = onlinePod(ctx, uid, uid, Math.round(cpus * 1000), Math.round(mem * ctx.machineMemory));
    return { k: 'pod', t, pod, machine: named('m', row.str(4)) };
  };
  return timeOrderedRows(ctx, file, CONTAINER_EVENT, parse);
}

function containerUsage(ctx: Ctx, file: string): AsyncIterable<Item[]> {
  return timeOrderedRows(ctx, file, CONTAINER_USAGE, (row) => pctItem('pod-pct', ctx, time(ctx, row, 1), named('c', row.str(2)), row.num(3, 'neg1'), row.num(4, 'neg1')));
}

interface TaskRow {
  key: string;
  cpu?: number;
  mem?: number;
}

function parseTaskPlan(row: Row): TaskRow {
  const r: TaskRow = { key: `${named('j', row.str(3))}\u0000${named('t', row.str(4))}` };
  const cpu = row.num(7, 'neg1');
  const mem = row.num(8, 'neg1');
  if (cpu !== undefined) r.cpu = cpu;
  if (mem !== undefined) r.mem = mem;
  return r;
}

function batchTasks(ctx: Ctx, file: string): AsyncIterable<Item[]> {
  const parse = (row: Row): Item | null => {
    const cpu = row.num(7, 'neg1');
    const mem = row.num(8, 'neg1');
    return taskItem(
      ctx,
      named('j', row.str(3)),
      named('t', row.str(4)),
      row.str(6),
      row.num(5, 'neg1'),
      row.num(1, 'none'),
      row.num(2, 'none'),
      cpu === undefined ? undefined : cpu * 10,
      mem === undefined ? undefined : mem * ctx.machineMemory,
    );
  };
  return sortItems(ctx, countedRows(ctx, file, BATCH_TASK, parse));
}

interface InstanceRow {
  key: string;
  line: number;
  job: string;
  task: string;
  machine: string;
  start?: number;
  end?: number;
  cpuMax?: number;
  cpuAvg?: number;
  memMax?: number;
  memAvg?: number;
}

function batchInstances(ctx: Ctx, instFile: string, taskFile: string | undefined): AsyncIterable<Item[]> {
  const parseInst = (row: Row, line: number): InstanceRow => {
    const job = named('j', row.str(3));
    const task = named('t', row.str(4));
    const r: InstanceRow = { key: `${job}\u0000${task}`, line, job, task, machine: named('m', row.str(5)) };
    const fields: Array<[keyof InstanceRow, number]> = [
      ['start', 1],
      ['end', 2],
      ['cpuMax', 9],
      ['cpuAvg', 10],
      ['memMax', 11],
      ['memAvg', 12],
    ];
    for (const [k, col] of fields) {
      const v = row.num(col, k === 'start' || k === 'end' ? 'none' : 'neg1');
      if (v !== undefined) (r as unknown as Record<string, number>)[k] = v;
    }
    return r;
  };
  const tasks = taskFile ? countedRows(ctx, taskFile, BATCH_TASK, parseTaskPlan) : null;
  const insts = countedRows(ctx, instFile, BATCH_INSTANCE, parseInst);
  return sortItems(ctx, joinByKey(ctx, tasks, insts, (r, plan) => instanceItem(ctx, r, plan)));
}

function instanceItem(ctx: Ctx, r: InstanceRow, plan: TaskRow | undefined): Item | null {
  if (r.start === undefined) return (drop(ctx, 'batch instance without start'), null);
  if (r.end === undefined || r.end <= 0) return (drop(ctx, 'batch instance without end'), null);
  const t = toMs(ctx, r.start);
  const until = toMs(ctx, r.end);
  if (until < t) return (drop(ctx, 'batch instance ends before it starts'), null);
  // Requests: the task's plan (CPU 100 = 1 core); else the instance's peak (real CPU in cores).
  let cpu = plan?.cpu !== undefined ? plan.cpu * 10 : undefined;
  let mem = plan?.mem;
  if (cpu === undefined || mem === undefined) {
    fallback(ctx, plan ? 'batch task plan missing: requests from instance peak usage' : 'batch task unknown: requests from instance peak usage');
    cpu ??= r.cpuMax !== undefined ? r.cpuMax * 1000 : undefined;
    mem ??= r.memMax;
  }
  if (cpu === undefined || mem === undefined) return (drop(ctx, 'batch instance without requests'), null);
  const uid = `${r.job}/${r.task}@${r.line}`;
  const pod = batchPod(ctx, uid, `${r.task}-${r.line}`, r.job, `${r.job}/${r.task}`, Math.round(cpu), Math.round(mem * ctx.machineMemory), Math.max(1000, until - t));
  const item: Item = { k: 'pod', t, pod, machine: r.machine, until };
  if (r.cpuAvg !== undefined && r.memAvg !== undefined) {
    item.use = { cpu: Math.round(r.cpuAvg * 1000), memory: Math.round(r.memAvg * ctx.machineMemory) };
  } else {
    drop(ctx, 'batch instance usage missing');
  }
  return item;
}
