// The parallel replay (simulator/engine/parallel) against the single-thread one, on the same trace
// and policies: wall time each way, and what the threads cost in messages (batches, bytes, the main
// thread's time reading, encoding and held back by the slowest worker; each worker's time decoding,
// waiting for batches and replaying). Checks that both runs' totals agree.
// First, the codec alone in this thread (read, encode, decode every event: what a batch costs apart
// from posting it); --codec-only stops there.
//   node bench/simulator-threads.ts [--trace simulator/samples/double11-small.jsonl] [--profile profiles/double11.yaml]
//                                   [--policies kube-default,koordinator,...] [--threads auto] [--until ISO] [--codec-only] [--threads-first]

import { loadProfileFile } from '../profiles/loader.ts';
import { BatchDecoder, BatchEncoder } from '../simulator/engine/parallel/encode.ts';
import { BATCH_EVENTS, type ParallelStats } from '../simulator/engine/parallel/run.ts';
import { simulate, type SimulationResult } from '../simulator/engine/simulation.ts';
import { DEFAULT_POLICIES, policyByName } from '../simulator/policies/index.ts';
import { openTrace } from '../simulator/traces/index.ts';
import { arg, machine, table, writeResults } from './lib.ts';

const root = new URL('../', import.meta.url).pathname;
const tracePath = arg('trace', `${root}simulator/samples/double11-small.jsonl`);
const profile = loadProfileFile(arg('profile', `${root}profiles/double11.yaml`));
const policies = arg('policies', DEFAULT_POLICIES.join(',')).split(',').map(policyByName);
const threadsArg = arg('threads', 'auto');
const threads = threadsArg === 'auto' ? 'auto' : Number(threadsArg);
const untilArg = arg('until', '');
const until = untilArg ? Date.parse(untilArg) : undefined;

async function run(t: number | 'auto'): Promise<{ r: SimulationResult; wall: number; cpu: number; stats?: ParallelStats }> {
  let stats: ParallelStats | undefined;
  const t0 = performance.now();
  const c0 = process.threadCpuUsage();
  const r = await simulate({ trace: await openTrace(tracePath), profile, policies, until, threads: t, parallel: { onStats: (s) => (stats = s) } });
  const c = process.threadCpuUsage(c0);
  // CPU seconds: this thread's, plus every worker's (their whole life, module loading included).
  const cpu = (c.user + c.system) / 1e6 + (stats?.workers.reduce((a, w) => a + w.cpuMs, 0) ?? 0) / 1000;
  return { r, wall: (performance.now() - t0) / 1000, cpu, stats };
}

async function codec(): Promise<{ events: number; readMs: number; encodeMs: number; decodeMs: number; bytes: number }> {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  let events = 0;
  let bytes = 0;
  let encodeMs = 0;
  let decodeMs = 0;
  const flush = () => {
    let t = performance.now();
    const b = enc.flush();
    encodeMs += performance.now() - t;
    bytes += b.nums.byteLength + b.text.byteLength;
    t = performance.now();
    dec.decode(b);
    decodeMs += performance.now() - t;
  };
  const t0 = performance.now();
  let inCodec = 0;
  for await (const e of (await openTrace(tracePath)).events()) {
    const t = performance.now();
    enc.add(e);
    const d = performance.now() - t;
    encodeMs += d;
    events++;
    if (enc.count >= BATCH_EVENTS) {
      const t1 = performance.now();
      flush();
      inCodec += performance.now() - t1;
    }
    inCodec += d;
  }
  if (enc.count > 0) flush();
  return { events, readMs: performance.now() - t0 - inCodec, encodeMs, decodeMs, bytes };
}

const m = machine();
console.log(`${m.cpus} cores (${m.model}), Node ${m.node}; ${tracePath}; ${policies.map((p) => p.name).join(', ')}`);
const c = await codec();
const us = (ms: number) => ((ms * 1000) / c.events).toFixed(2);
console.log(`codec: ${c.events} events, read + parse ${us(c.readMs)} us/event, encode ${us(c.encodeMs)} us/event, decode ${us(c.decodeMs)} us/event, ${(c.bytes / c.events).toFixed(0)} B/event`);
if (process.argv.includes('--codec-only')) process.exit(0);
// --threads-first: the threaded run first (the run that goes second finds this thread's code warm).
const threadsFirst = process.argv.includes('--threads-first');
const par0 = threadsFirst ? await run(threads) : null;
const single = await run(1);
const par = par0 ?? (await run(threads));
// Everything but the wall-clock cpuSeconds (which the CSVs leave out too).
const figures = (r: SimulationResult) => JSON.stringify(r.policies.map(({ totals: { cpuSeconds: _wall, ...t }, series }) => ({ t, series })));
const same = figures(single.r) === figures(par.r);
const s = par.stats;
console.log(
  table(
    ['run', 'threads', 'wall s', 'CPU s', 'events', 'speed-up'],
    [
      ['single thread', 1, single.wall.toFixed(1), single.cpu.toFixed(1), single.r.events, '1.00'],
      ['worker threads', s?.threads ?? 1, par.wall.toFixed(1), par.cpu.toFixed(1), par.r.events, (single.wall / par.wall).toFixed(2)],
    ],
  ),
);
if (s) {
  console.log(`\nmessages: ${s.batches} batches, ${(s.bytes / 2 ** 20).toFixed(2)} MiB shared (${(s.bytes / par.r.events).toFixed(0)} B/event), each posted to every worker without a copy`);
  console.log(`main thread: reading ${(s.readMs / 1000).toFixed(2)} s, encoding ${(s.encodeMs / 1000).toFixed(2)} s (${((s.encodeMs * 1e6) / par.r.events / 1000).toFixed(2)} us/event), held back by flow control ${(s.blockedMs / 1000).toFixed(2)} s, CPU ${(s.cpuMs / 1000).toFixed(2)} s`);
  console.log(
    table(
      ['worker', 'replay s', 'CPU s', 'decode s', 'us/event', 'waiting for batches s'],
      s.workers.map((w) => [w.policies.join('+'), (w.runMs / 1000).toFixed(1), (w.cpuMs / 1000).toFixed(1), (w.decodeMs / 1000).toFixed(2), ((w.decodeMs * 1000) / par.r.events).toFixed(2), (w.waitMs / 1000).toFixed(2)]),
    ),
  );
}
console.log(`\ntotals and series identical: ${same}`);
writeResults('simulator-threads', { machine: m, trace: tracePath, policies: policies.map((p) => p.name), singleWall: single.wall, parallelWall: par.wall, singleCpu: single.cpu, parallelCpu: par.cpu, events: par.r.events, stats: s, same });
if (!same) process.exitCode = 1;
