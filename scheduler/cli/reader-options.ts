// The trace readers' options as flags of `tidal simulate`, `tidal plan` and `tidal trace convert`
// (documented in simulator/traces/README.md). Each is validated here, naming the flag; the Alibaba
// options are refused for a Tidal .jsonl trace, which carries its own nodes and times.

import { Option, type Command } from 'commander';
import { parseQuantity } from '../core/quantity.ts';
import type { MachineUsageMode, OpenOptions } from '../../simulator/traces/index.ts';
import { parseStart } from '../../simulator/traces/alibaba-common.ts';

export interface ReaderFlags {
  lenient?: boolean;
  traceStart?: string;
  machineUsage?: MachineUsageMode;
  machineMemory?: string;
  maxPods?: string;
  maxInstancesPerTask?: string;
  taskStatus?: string[];
  replayPlacement?: boolean;
  machines?: string;
}

/** Above this a "cluster" from --machines is a typo, not a replay (the largest Alibaba trace has ~4,000). */
const MAX_MACHINES = 100_000;

export function addReaderOptions(cmd: Command): Command {
  return cmd
    .option('--lenient', 'skip malformed or inconsistent trace rows and count them in the report, by reason (default: fail on the first, naming file, line and column)')
    .option('--trace-start <time>', 'Alibaba traces: the instant trace time 0 maps onto (ISO 8601 with offset; default 2026-11-04T00:00:00+08:00)')
    .addOption(
      new Option('--machine-usage <mode>', 'Alibaba traces: machine usage as node-usage events: background (all of it), residual (minus the traced pods), ignore; default auto (residual when the trace has pod usage)').choices([
        'auto',
        'background',
        'residual',
        'ignore',
      ]),
    )
    .option('--machine-memory <quantity>', 'Alibaba traces: memory of a machine at the top of the normalised scale (default 384Gi)')
    .option('--max-pods <n>', 'Alibaba traces: maxPods of every node (default 256)')
    .option('--max-instances-per-task <n>', 'Alibaba traces: at most this many pods per batch task when pods come from batch_task alone (default: all)')
    .option('--task-status <status...>', 'Alibaba traces: only batch tasks with these statuses when pods come from batch_task alone (e.g. Terminated; default: all)')
    .option('--replay-placement', 'Alibaba traces: pin pods to the machine the trace ran them on')
    .option('--machines <N>x<cpu>/<memory>', 'Alibaba traces without a machine table (e.g. a v2017 batch_task alone): replay on N nodes of this size, e.g. 100x64/256Gi');
}

function wholeNumber(v: string, flag: string, min: number): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new Error(`${flag} must be a whole number of at least ${min} (got ${JSON.stringify(v)})`);
  return n;
}

function quantityFlag(v: string, flag: string, scale: number): number {
  let q: number;
  try {
    q = parseQuantity(v) * scale;
  } catch (e) {
    throw new Error(`${flag}: ${(e as Error).message}`);
  }
  if (!(q > 0 && Number.isFinite(q))) throw new Error(`${flag} must be positive (got ${JSON.stringify(v)})`);
  return q;
}

/** "100x64/256Gi": count, cores (a CPU quantity), memory (a memory quantity). */
export function parseMachines(v: string): { count: number; cpu: number; memory: number } {
  const m = /^\s*(\d+)\s*x\s*([^/\s]+)\s*\/\s*(\S+)\s*$/.exec(v);
  if (!m) throw new Error(`--machines must look like 100x64/256Gi (count x cores / memory), got ${JSON.stringify(v)}`);
  const count = wholeNumber(m[1]!, '--machines count', 1);
  if (count > MAX_MACHINES) throw new Error(`--machines count must be at most ${MAX_MACHINES.toLocaleString('en-US')} (got ${count})`);
  return { count, cpu: Math.round(quantityFlag(m[2]!, '--machines cores', 1000)), memory: Math.round(quantityFlag(m[3]!, '--machines memory', 1)) };
}

/** The reader options the flags ask for; throws naming the flag when one is invalid or does not apply. */
export function readerOptions(f: ReaderFlags, tracePath: string): OpenOptions {
  const o: OpenOptions = { strict: !f.lenient };
  const alibaba: Array<[keyof ReaderFlags, string]> = [
    ['traceStart', '--trace-start'],
    ['machineUsage', '--machine-usage'],
    ['machineMemory', '--machine-memory'],
    ['maxPods', '--max-pods'],
    ['maxInstancesPerTask', '--max-instances-per-task'],
    ['taskStatus', '--task-status'],
    ['replayPlacement', '--replay-placement'],
    ['machines', '--machines'],
  ];
  if (/\.(jsonl|ndjson)(\.gz)?$/.test(tracePath)) {
    const given = alibaba.filter(([k]) => f[k] !== undefined).map(([, flag]) => flag);
    if (given.length > 0) throw new Error(`${given.join(', ')}: only for Alibaba traces (a folder of CSV tables); ${tracePath} is a Tidal trace`);
    return o;
  }
  if (f.traceStart !== undefined) {
    try {
      parseStart(f.traceStart);
    } catch {
      throw new Error(`--trace-start must be an ISO 8601 instant such as 2026-11-04T00:00:00+08:00 (got ${JSON.stringify(f.traceStart)})`);
    }
    o.start = f.traceStart;
  }
  if (f.machineUsage !== undefined) o.machineUsage = f.machineUsage;
  if (f.machineMemory !== undefined) o.machineMemory = Math.round(quantityFlag(f.machineMemory, '--machine-memory', 1));
  if (f.maxPods !== undefined) o.maxPods = wholeNumber(f.maxPods, '--max-pods', 1);
  if (f.maxInstancesPerTask !== undefined) o.maxInstancesPerTask = wholeNumber(f.maxInstancesPerTask, '--max-instances-per-task', 1);
  if (f.taskStatus !== undefined) {
    const bad = f.taskStatus.find((s) => s.trim() === '');
    if (bad !== undefined) throw new Error('--task-status: a status must not be empty');
    o.taskStatuses = f.taskStatus;
  }
  if (f.replayPlacement) o.replayPlacement = true;
  if (f.machines !== undefined) o.machines = parseMachines(f.machines);
  return o;
}
