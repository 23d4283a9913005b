// Runs plan probes in parallel: a fixed pool of worker threads (one probe each at a time), or in
// this thread when the pool size is 1. Each probe is a full single-threaded simulation, so the
// pool is what spreads a plan over the machine's cores.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { siblingWorker } from './worker-url.ts';
import { runProbe, type ProbeResult, type ProbeSpec } from './plan-probe.ts';

export interface ProbeRunner {
  readonly size: number;
  run(spec: ProbeSpec): Promise<ProbeResult>;
  close(): Promise<void>;
}

export function defaultParallelism(): number {
  return Math.max(1, availableParallelism());
}

export function probePool(size: number): ProbeRunner {
  if (size <= 1) return { size: 1, run: runProbe, close: async () => {} };
  type Job = { id: number; spec: ProbeSpec; resolve: (r: ProbeResult) => void; reject: (e: Error) => void };
  const queue: Job[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Job>();
  let seq = 0;
  let failed: Error | null = null;
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      busy.set(w, job);
      w.postMessage({ id: job.id, spec: job.spec });
    }
  };
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(siblingWorker(import.meta.url, 'plan-worker'));
    w.on('message', (m: { id: number; result?: ProbeResult; error?: string }) => {
      const job = busy.get(w)!;
      busy.delete(w);
      idle.push(w);
      if (m.error !== undefined) job.reject(new Error(m.error));
      else job.resolve(m.result!);
      dispatch();
    });
    w.on('error', (e) => {
      failed = e;
      busy.get(w)?.reject(e);
      busy.delete(w);
      for (const j of queue.splice(0)) j.reject(e);
    });
    idle.push(w);
    return w;
  });
  return {
    size,
    run: (spec) =>
      new Promise((resolve, reject) => {
        if (failed) return reject(failed);
        queue.push({ id: ++seq, spec, resolve, reject });
        dispatch();
      }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
