// The parallel replay (simulator/engine/parallel) against the single-thread one, on the same trace
// and policies, in detail: what the threads cost in messages (batches, bytes, the main thread's time
// reading, encoding and held back by the slowest worker; each worker's time decoding, waiting for
// batches and replaying). The two replays are the threads section of bench/simulator.ts (each in a
// process of its own, wall and CPU time of simulate(), totals and series checked identical; exit
// code 1 when they differ). First, the codec alone in this process (read, encode, decode every
// event: what a batch costs apart from posting it); --codec-only stops there.
//   node bench/simulator-threads.ts [--trace simulator/samples/double11-small.jsonl] [--profile profiles/double11.yaml]
//                                   [--policies kube-default,koordinator,...] [--threads auto] [--until ISO] [--codec-only]

import { BatchDecoder, BatchEncoder } from '../simulator/engine/parallel/encode.ts';
import { BATCH_EVENTS } from '../simulator/engine/parallel/run.ts';
import { openTrace } from '../simulator/traces/index.ts';
import { arg, machine, table, writeResults } from './lib.ts';
import { compareThreads, demoInput, threadsTable } from './simulator-runs.ts';

const d = demoInput();
const tracePath = d.trace;

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
console.log(`${m.cpus} cores (${m.model}), Node ${m.node}; ${tracePath}${d.until ? ` until ${d.until}` : ''}; ${d.policies.join(', ')}`);
const c = await codec();
const us = (ms: number) => ((ms * 1000) / c.events).toFixed(2);
console.log(`codec: ${c.events} events, read + parse ${us(c.readMs)} us/event, encode ${us(c.encodeMs)} us/event, decode ${us(c.decodeMs)} us/event, ${(c.bytes / c.events).toFixed(0)} B/event`);
if (process.argv.includes('--codec-only')) process.exit(0);
const t = compareThreads(d, arg('threads', 'auto'));
const par = t.parallel;
const s = par.stats;
console.log(threadsTable(t));
if (s) {
  console.log(`\nmessages: ${s.batches} batches, ${(s.bytes / 2 ** 20).toFixed(2)} MiB shared (${(s.bytes / par.events).toFixed(0)} B/event), each posted to every worker without a copy`);
  console.log(`main thread: reading ${(s.readMs / 1000).toFixed(2)} s, encoding ${(s.encodeMs / 1000).toFixed(2)} s (${((s.encodeMs * 1e6) / par.events / 1000).toFixed(2)} us/event), held back by flow control ${(s.blockedMs / 1000).toFixed(2)} s, CPU ${(s.cpuMs / 1000).toFixed(2)} s`);
  console.log(
    table(
      ['worker', 'replay s', 'CPU s', 'decode s', 'us/event', 'waiting for batches s'],
      s.workers.map((w) => [w.policies.join('+'), (w.runMs / 1000).toFixed(1), (w.cpuMs / 1000).toFixed(1), (w.decodeMs / 1000).toFixed(2), ((w.decodeMs * 1000) / par.events).toFixed(2), (w.waitMs / 1000).toFixed(2)]),
    ),
  );
}
const same = t.differ.length === 0;
writeResults('simulator-threads', { machine: m, ...d, codec: c, singleWall: t.single.wallSeconds, parallelWall: par.wallSeconds, singleCpu: t.single.cpuSeconds, parallelCpu: par.cpuSeconds, events: par.events, stats: s, same });
if (!same) process.exitCode = 1;
