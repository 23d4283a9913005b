// A worker thread of a parallel replay (run.ts): replays its policies with the ordinary engine
// (simulate(), single-threaded) over the trace events the main thread sends in batches (encode.ts).
// A policy's results do not depend on which other policies step beside it (simulation.ts), so
// replaying each policy on its own gives the results the lockstep run gives.

import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import type { Trace, TraceEvent } from '../../traces/events.ts';
import { policyByName } from '../../policies/index.ts';
import { simulate } from '../simulation.ts';
import { BatchDecoder } from './encode.ts';
import { CoreGate } from './gate.ts';
import type { ToMain, ToWorker, WorkerInit } from './protocol.ts';

const port = parentPort!;
type Streamed = Exclude<ToWorker, WorkerInit>;
const inbox: Streamed[] = [];
let waiting: ((m: Streamed) => void) | null = null;
let decodeMs = 0;
let waitMs = 0;
/** With more workers than cores: the slot this worker computes in (gate.ts). */
let gate: CoreGate | null = null;

const post = (m: ToMain) => port.postMessage(m);

function nextMessage(): Promise<Streamed> {
  const m = inbox.shift();
  if (m) return Promise.resolve(m);
  const t0 = performance.now();
  return new Promise((resolve) => {
    waiting = (msg) => {
      waitMs += performance.now() - t0;
      resolve(msg);
    };
  });
}

async function* events(): AsyncGenerator<TraceEvent> {
  const decoder = new BatchDecoder();
  for (;;) {
    // A turn at a core per batch (gate.ts): given back before the next message, taken after it.
    gate?.release();
    const m = await nextMessage();
    gate?.acquire();
    if (m.type === 'end') return;
    if (m.type === 'fail') throw new Error(m.message);
    const t0 = performance.now();
    const batch = decoder.decode(m.batch);
    decodeMs += performance.now() - t0;
    post({ type: 'ack' });
    for (const e of batch) yield e;
  }
}

async function run(init: WorkerInit): Promise<void> {
  const trace: Trace = { info: { ...init.info, skipped: new Map() }, events };
  if (init.gate) gate = new CoreGate(init.gate);
  const t0 = performance.now();
  const r = await simulate({
    trace,
    profile: init.profile,
    policies: init.policies.map(policyByName),
    options: init.options,
    until: init.until,
    maxTicks: init.maxTicks,
    trackForecast: init.trackForecast,
    threads: 1,
    onProgress: (now, n) => post({ type: 'progress', now, events: n }),
  });
  const cpu = process.threadCpuUsage();
  post({ type: 'done', start: r.start, end: r.end, events: r.events, policies: r.policies, stats: { decodeMs, waitMs, gateMs: gate?.waitedMs ?? 0, runMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 } });
  gate?.release();
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    run(m).catch((e: Error) => {
      post({ type: 'error', message: e.message, stack: e.stack ?? e.message });
      gate?.release();
    });
    return;
  }
  const w = waiting;
  if (w) {
    waiting = null;
    w(m);
  } else inbox.push(m);
});
