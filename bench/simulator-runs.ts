// The simulator benchmarks' measured runs, each in a child process of its own: bench/simulator.ts
// re-run with `--run KIND ...` does one run and prints one JSON line of results on stdout (its
// stderr, progress lines, passes through). A run in its own process has its own peak RSS and starts
// with a cold JIT and an empty heap, whatever ran before it. Shared by bench/simulator.ts (every
// section) and bench/simulator-threads.ts (the threads comparison beside its codec breakdown).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ParallelStats } from '../simulator/engine/parallel/run.ts';
import { DEFAULT_POLICIES } from '../simulator/policies/index.ts';
import { arg, table } from './lib.ts';

/** The script every run is a child of (its `--run` mode). */
export const RUN_SCRIPT = fileURLToPath(new URL('./simulator.ts', import.meta.url));
const root = fileURLToPath(new URL('../', import.meta.url));

/** What a run of the demo's kind measured (`--run demo`). */
export interface DemoRun {
  /** Worker threads the replay used (1: all policies in the child's main thread). */
  threads: number;
  events: number;
  /** Wall time of the simulate() call. */
  wallSeconds: number;
  /**
   * CPU time of the simulate() call: the calling thread's (process.threadCpuUsage around it) plus,
   * on worker threads, each worker's as ParallelStats gives it (the worker's whole life, its module
   * loading included).
   */
  cpuSeconds: number;
  /** The whole process's CPU time over the simulate() call: also V8's GC helper threads. */
  processCpuSeconds: number;
  peakRssMiB: number;
  /** Per policy, a hash of its totals (without the wall-clock cpuSeconds) and series. */
  figures: Record<string, string>;
  stats?: ParallelStats;
}

/** The demo sections' input: the trace, profile and policies of `npm run demo` unless told otherwise. */
export interface DemoInput {
  trace: string;
  profile: string;
  policies: string[];
  /** An ISO time to stop the replay at (a short check); '' replays the whole trace. */
  until: string;
}

export const DEMO_TRACE = `${root}simulator/samples/double11-small.jsonl`;
export const DEMO_PROFILE = `${root}profiles/double11.yaml`;

/** --trace, --profile, --policies and --until, defaulting to the demo's. */
export function demoInput(): DemoInput {
  return {
    trace: arg('trace', DEMO_TRACE),
    profile: arg('profile', DEMO_PROFILE),
    policies: arg('policies', DEFAULT_POLICIES.join(',')).split(','),
    until: arg('until', ''),
  };
}

/** Whether the input is the whole demo (what the demo's targets are about). */
export function isWholeDemo(d: DemoInput): boolean {
  return d.trace === DEMO_TRACE && d.profile === DEMO_PROFILE && d.until === '' && d.policies.join(',') === DEFAULT_POLICIES.join(',');
}

const done = new Map<string, unknown>();

/**
 * Runs `node bench/simulator.ts --run kind ...args` and returns the JSON it prints. The same run
 * asked for twice (two sections needing it) is measured once. A child that fails fails the bench
 * with its message.
 */
export function measured<T>(kind: string, args: string[]): T {
  const key = [kind, ...args].join(' ');
  if (done.has(key)) {
    console.error(`(${key}: measured above, the same run)`);
    return done.get(key) as T;
  }
  console.error(`running ${key}`);
  // The parent's own Node flags (--cpu-prof under profileIfAsked, heap limits) go to the child.
  const r = spawnSync(process.execPath, [...process.execArgv, RUN_SCRIPT, '--run', kind, ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (r.error) throw new Error(`${key}: ${r.error.message}`);
  const lines = r.stdout.trim().split('\n');
  const last = lines.pop() ?? '';
  if (lines.length > 0) process.stderr.write(lines.join('\n') + '\n');
  let out: ({ ok: true } & T) | { ok: false; error: string } | undefined;
  try {
    out = JSON.parse(last) as typeof out;
  } catch {
    out = undefined;
  }
  if (!out || !out.ok || r.status !== 0) {
    const why = out && !out.ok ? out.error : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}, no result (its stderr is above)`;
    throw new Error(`${key}: ${why}`);
  }
  const { ok: _ok, ...result } = out;
  done.set(key, result);
  return result as T;
}

export function demoRun(d: DemoInput, threads: string): DemoRun {
  return measured<DemoRun>('demo', ['--trace', d.trace, '--profile', d.profile, '--policies', d.policies.join(','), '--threads', threads, ...(d.until ? ['--until', d.until] : [])]);
}

export interface ThreadsResult {
  single: DemoRun;
  parallel: DemoRun;
  /** Policies whose totals or series differ between the two runs (none: identical). */
  differ: string[];
}

/** The demo on one thread and on `threads` worker threads, and whether their totals and series agree. */
export function compareThreads(d: DemoInput, threads: string): ThreadsResult {
  const single = demoRun(d, '1');
  const parallel = demoRun(d, threads);
  const differ = d.policies.filter((p) => single.figures[p] === undefined || single.figures[p] !== parallel.figures[p]);
  return { single, parallel, differ };
}

export function threadsTable(t: ThreadsResult): string {
  const row = (name: string, r: DemoRun) => [name, r.threads, r.wallSeconds, r.cpuSeconds, r.processCpuSeconds, r.peakRssMiB, r.events, `${(t.single.wallSeconds / r.wallSeconds).toFixed(2)}x`];
  return [
    table(['run', 'threads', 'wall s', 'CPU s', 'process CPU s', 'peak RSS MiB', 'events', 'speed-up'], [row('single thread', t.single), row('worker threads', t.parallel)]),
    `totals and series identical: ${t.differ.length === 0 ? 'yes' : `NO (differ: ${t.differ.join(', ')})`}`,
  ].join('\n');
}
