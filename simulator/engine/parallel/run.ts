// A replay on several cores: each worker thread (worker.ts) replays its share of the policies
// (one each when there are threads enough; several in lanes, lanes.ts, grouped by what each costs:
// groupPolicies), while this thread reads and parses the trace once and
// hands its events to every worker in batches of shared memory (encode.ts). The results are the
// single-thread run's: a policy steps on the trace's events and the common ticks, and on its own
// timers otherwise, never on another policy's (simulation.ts), so a policy replayed alone gives
// what it gives in lockstep; the test (test/unit/simulator/parallel.test.ts) compares totals.csv
// and series.csv byte for byte.
//
// What the lockstep run shares between policies, and how it is here: the trace's usage (app-usage
// and node-usage events into one TraceUsage) is rebuilt in each worker from the same events; the
// event objects, one per event for every policy there, are decoded per worker (no policy writes
// to them); the options and the profile are cloned once into each worker; policies are rebuilt
// from their names; progress comes back from each worker and is reported as the slowest's, with
// each worker's as lanes. Callbacks that see every policy (onStep) or decide for all (nodeFilter)
// cannot cross threads, so such runs stay in one thread (threadsFor).
//
// Flow control: a worker acknowledges each batch it has decoded, and the reader waits while any
// worker has WINDOW batches unacknowledged, so memory stays bounded however far the reader could
// run ahead; the fastest worker may run that far ahead of the slowest. With more workers than cores
// (threads asked for), they take turns at the cores batch by batch (gate.ts).
//
// The reader stops where the single-thread replay stops reading: after the first event past
// `until` (the replay's look-ahead), so the trace's skipped and dropped counts are the same.

import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, Worker } from 'node:worker_threads';
import { POLICIES, type SimPolicy } from '../../policies/index.ts';
import { siblingWorker } from '../../worker-url.ts';
import type { PolicyResult, SimulationInput, SimulationResult } from '../simulation.ts';
import type { SimOptions } from '../options.ts';
import { BatchEncoder } from './encode.ts';
import { CoreGate } from './gate.ts';
import type { ToMain, ToWorker, WorkerInit, WorkerStats } from './protocol.ts';

/** Events per batch. */
export const BATCH_EVENTS = 4096;
/** Batches a worker may hold unacknowledged. */
export const WINDOW = 16;

export interface ParallelTuning {
  /** Events per batch (default BATCH_EVENTS). */
  batchEvents?: number;
  /** Batches a worker may hold unacknowledged (default WINDOW). */
  window?: number;
  /** Workers that may compute at once (default: the machine's cores); fewer than the workers puts them through the gate (gate.ts). */
  cores?: number;
  /** Called once at the end with what the run measured. */
  onStats?: (s: ParallelStats) => void;
}

/** What a parallel replay measured (bench/simulator-threads.ts prints it). */
export interface ParallelStats {
  threads: number;
  batches: number;
  /** Bytes of the batches (each is shared by every worker, not copied). */
  bytes: number;
  /** This thread's time reading and parsing the trace (the reader's own work). */
  readMs: number;
  /** This thread's time encoding batches. */
  encodeMs: number;
  /** This thread's time waiting for the slowest worker to take more batches. */
  blockedMs: number;
  /** This thread's CPU time (user + system) during the run: reading, encoding, messages. */
  cpuMs: number;
  workers: Array<{ policies: string[] } & WorkerStats>;
}

/** Why a replay cannot run on worker threads, or null when it can. */
export function whyNotParallel(input: SimulationInput): string | null {
  if (input.onStep) return 'onStep sees every policy in one thread';
  if (input.nodeFilter) return 'nodeFilter is a function of this thread';
  const custom = input.policies.find((p) => !isRegistered(p));
  if (custom) return `policy ${custom.name} is not one of the named policies (a worker rebuilds policies by name)`;
  return null;
}

function isRegistered(p: SimPolicy): boolean {
  return POLICIES[p.name] === p;
}

/**
 * How many worker threads a replay uses: input.threads as given ('auto': one per policy up to the
 * cores when there is more than one policy and more than one core, in the main thread only, so that
 * replays inside a sweep's or plan's worker pool stay single-threaded), 1 when the replay cannot
 * cross threads. A worker with several policies replays them in lanes (lanes.ts). Throws when
 * threads > 1 is asked for a replay that cannot run on workers.
 */
export function threadsFor(input: SimulationInput): number {
  const asked = input.threads ?? 1;
  if (asked === 'auto') {
    if (input.policies.length < 2 || availableParallelism() < 2 || !isMainThread || whyNotParallel(input) !== null) return 1;
    return Math.min(input.policies.length, availableParallelism());
  }
  if (!(Number.isInteger(asked) && asked >= 1)) throw new Error(`threads must be a whole number of at least 1 or 'auto' (got ${asked})`);
  const n = Math.min(asked, input.policies.length);
  if (n > 1) {
    const why = whyNotParallel(input);
    if (why) throw new Error(`cannot replay on ${n} threads: ${why}; use threads: 1`);
  }
  return n;
}

/**
 * What each named policy costs to replay, relative to the others: about its CPU-s for the demo alone
 * (bench/simulator.ts --only overhead; 5 for the policies not listed). It only puts policies on
 * workers so that each has about as much to do; a run's results never depend on it.
 */
const REPLAY_WEIGHT: Readonly<Record<string, number>> = { 'kube-default': 4.3, koordinator: 1.8, 'volcano-tdm': 5.3, 'katalyst-tide': 5.2, 'time-sharing': 7 };

/**
 * The policies (indexes) of each of `threads` workers: heaviest first, each to the worker with the
 * least weight so far (longest processing time first), each worker's in the input's order.
 */
export function groupPolicies(policies: readonly SimPolicy[], threads: number): number[][] {
  const weight = (i: number) => REPLAY_WEIGHT[policies[i]!.name] ?? 5;
  const order = policies.map((_, i) => i).sort((a, b) => weight(b) - weight(a) || a - b);
  const groups: number[][] = Array.from({ length: threads }, () => []);
  const load = new Array<number>(threads).fill(0);
  for (const i of order) {
    let w = 0;
    for (let k = 1; k < threads; k++) if (load[k]! < load[w]!) w = k;
    groups[w]!.push(i);
    load[w]! += weight(i);
  }
  for (const g of groups) g.sort((a, b) => a - b);
  return groups.filter((g) => g.length > 0);
}

interface Slot {
  worker: Worker;
  policies: number[];
  names: string[];
  unacked: number;
  now: number;
  events: number;
  done: Extract<ToMain, { type: 'done' }> | null;
}

export async function simulateParallel(input: SimulationInput, opts: SimOptions, threads: number): Promise<SimulationResult> {
  const t0 = Date.now();
  const cpu0 = process.threadCpuUsage();
  const batchEvents = input.parallel?.batchEvents ?? BATCH_EVENTS;
  const window = input.parallel?.window ?? WINDOW;
  const { trace } = input;
  const source = trace.info.source;
  const it = trace.events()[Symbol.asyncIterator]();
  let tr = performance.now();
  let next = await it.next();
  let readMs = performance.now() - tr;
  if (next.done) throw new Error(`trace ${source} has no events`);
  const start = next.value.time;
  const until = input.until ?? Infinity;

  const groups = groupPolicies(input.policies, threads);
  // More workers than cores: they take turns at the cores (gate.ts), a few thousand events at a time.
  const cores = input.parallel?.cores ?? availableParallelism();
  const gate = threads > cores ? CoreGate.shared(cores) : undefined;
  const info: WorkerInit['info'] = { format: trace.info.format, source, start: trace.info.start, end: trace.info.end };
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let readerError: Error | null = null;
  const fail = (e: Error) => {
    failure ??= readerError && e.message === readerError.message ? readerError : e;
    poke();
  };
  const slots: Slot[] = groups.map((policies) => {
    const worker = new Worker(siblingWorker(import.meta.url, 'worker'));
    const slot: Slot = { worker, policies, names: policies.map((i) => input.policies[i]!.name), unacked: 0, now: start, events: 0, done: null };
    worker.on('message', (m: ToMain) => {
      switch (m.type) {
        case 'ack':
          slot.unacked--;
          poke();
          return;
        case 'progress': {
          slot.now = m.now;
          slot.events = m.events;
          let now = Infinity;
          let events = Infinity;
          for (const s of slots) {
            now = Math.min(now, s.now);
            events = Math.min(events, s.events);
          }
          input.onProgress?.(now, events, slots.map((s) => ({ policies: s.names, now: s.now, events: s.events })));
          return;
        }
        case 'done':
          slot.done = m;
          poke();
          return;
        case 'error': {
          const e = new Error(m.message);
          e.stack = m.stack;
          fail(e);
          return;
        }
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!slot.done) fail(new Error(`simulation worker for ${policies.map((i) => input.policies[i]!.name).join(', ')} exited (code ${code}) before its replay ended`));
    });
    const init: WorkerInit = { type: 'init', policies: policies.map((i) => input.policies[i]!.name), profile: input.profile, options: input.options, until: input.until, maxTicks: input.maxTicks, trackForecast: input.trackForecast, info, ...(gate ? { gate } : {}) };
    worker.postMessage(init satisfies ToWorker);
    return slot;
  });
  const whenReady = (cond: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (cond() || failure) resolve();
        else wake = check;
      };
      check();
    });

  const encoder = new BatchEncoder();
  let batches = 0;
  let bytes = 0;
  let encodeMs = 0;
  let blockedMs = 0;
  const send = async () => {
    const te = performance.now();
    const batch = encoder.flush();
    encodeMs += performance.now() - te;
    const tb = performance.now();
    await whenReady(() => slots.every((s) => s.done || s.unacked < window));
    blockedMs += performance.now() - tb;
    if (failure) return;
    batches++;
    bytes += batch.nums.byteLength + batch.text.byteLength;
    for (const s of slots) {
      if (s.done) continue;
      s.unacked++;
      s.worker.postMessage({ type: 'batch', batch } satisfies ToWorker);
    }
  };
  const broadcast = (m: ToWorker) => {
    for (const s of slots) if (!s.done) s.worker.postMessage(m);
  };

  try {
    try {
      while (!next.done && !failure) {
        const e = next.value;
        const te = performance.now();
        encoder.add(e);
        encodeMs += performance.now() - te;
        // The single-thread replay reads one event past `until` and stops there.
        if (e.time > until) break;
        if (encoder.count >= batchEvents) await send();
        tr = performance.now();
        next = await it.next();
        readMs += performance.now() - tr;
      }
      if (encoder.count > 0) await send();
      broadcast({ type: 'end' });
    } catch (e) {
      // A reader error reaches each worker where the stream broke: a worker that fails earlier
      // (an out-of-order event before it) reports its own error, as the single-thread run would.
      readerError = e as Error;
      if (encoder.count > 0) await send();
      broadcast({ type: 'fail', message: readerError.message });
    }
    await whenReady(() => slots.every((s) => s.done));
    if (failure) throw failure;
  } finally {
    await Promise.all(slots.map((s) => s.worker.terminate()));
    if (failure || !next.done) await it.return?.();
  }

  const results: PolicyResult[] = new Array(input.policies.length);
  let first: Slot['done'] = null;
  for (const s of slots) {
    const d = s.done!;
    first ??= d;
    if (d.start !== first.start || d.end !== first.end || d.events !== first.events) {
      throw new Error(`parallel replay: workers disagree on the run (start ${first.start}/${d.start}, end ${first.end}/${d.end}, events ${first.events}/${d.events})`);
    }
    d.policies.forEach((p, k) => (results[s.policies[k]!] = p));
  }
  const { end, events } = first!;
  input.onProgress?.(end, events);
  const cpu1 = process.threadCpuUsage(cpu0);
  input.parallel?.onStats?.({
    threads,
    cpuMs: (cpu1.user + cpu1.system) / 1000,
    batches,
    bytes,
    readMs,
    encodeMs,
    blockedMs,
    workers: slots.map((s) => ({ policies: s.policies.map((i) => input.policies[i]!.name), ...s.done!.stats })),
  });
  return {
    source,
    timeZone: input.profile.timeZone,
    start: first!.start,
    end,
    events,
    skippedRows: Object.fromEntries(trace.info.skipped),
    droppedRows: Object.fromEntries(trace.info.dropped ?? []),
    options: opts,
    profile: input.profile.name,
    policies: results,
    wallSeconds: (Date.now() - t0) / 1000,
  };
}
