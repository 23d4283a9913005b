// The sweep's runner: every scenario x seed x policy x setting, each a plain simulate() of one policy,
// spread over worker threads. Each result is written to DIR/runs/<key>.json as soon as it is done
// (written to a temporary name, then renamed), so an interrupted sweep resumes where it stopped and a
// finished run is never recomputed. Results do not depend on the number of workers: each run is
// independent and deterministic, and the analysis reads them in the plan's order.
// Sharding (--shard K --shards N): shard K runs the plan's runs with index % N === K, so that N
// machines (a Kubernetes Indexed Job) can share one plan; `merge` analyses once all runs are present.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { siblingWorker } from '../worker-url.ts';
import { heldOutRuns } from './analyse.ts';
import { runsOn, type SweepSpec } from './file.ts';
import { runKey, runOne, type RunResult, type RunSpec } from './run-one.ts';

/**
 * Every run the sweep needs, in a fixed order: scenario, policy, setting, then training and held-out
 * seeds. `training` only: the training seeds (and a trace scenario's one run).
 */
export function planRuns(spec: SweepSpec, which: 'all' | 'training' = 'all'): RunSpec[] {
  const out: RunSpec[] = [];
  for (const scenario of spec.scenarios) {
    const seeds = scenario.kind === 'trace' ? [null] : which === 'training' ? spec.seeds.training : [...spec.seeds.training, ...spec.seeds.heldOut];
    for (const p of spec.policies) {
      if (!runsOn(scenario, p.policy)) continue;
      for (const setting of p.settings) for (const seed of seeds) out.push({ scenario, seed, policy: p.policy, setting });
    }
  }
  return out;
}

export interface RunOptions {
  workers?: number;
  /**
   * 'all' (the default): every setting on every seed. 'judged': every setting on the training seeds,
   * then on the held-out seeds only the setting each policy is judged by (analyse.ts judgedSetting,
   * chosen from the training runs alone); the analysis reads nothing else. Not with shards.
   */
  heldOut?: 'all' | 'judged';
  shard?: { index: number; count: number };
  /** false: run in this thread (tests, one-core machines). */
  threads?: boolean;
  onDone?: (r: RunResult, done: number, total: number, cached: boolean) => void;
}

const runFile = (dir: string, key: string) => join(dir, 'runs', `${key}.json`);

export async function readCached(dir: string, run: RunSpec): Promise<RunResult | null> {
  try {
    const r = JSON.parse(await readFile(runFile(dir, runKey(run)), 'utf8')) as RunResult;
    return r.key === runKey(run) ? r : null;
  } catch {
    return null;
  }
}

async function store(dir: string, r: RunResult): Promise<void> {
  const file = runFile(dir, r.key);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(r, null, 1)}\n`);
  await rename(tmp, file);
}

/** Runs what is missing from DIR/runs (only this shard's part); returns the results of this shard's runs in plan order. */
export async function runSweep(spec: SweepSpec, dir: string, opts: RunOptions = {}): Promise<RunResult[]> {
  if (opts.heldOut !== 'judged') return runPlan(planRuns(spec), dir, opts);
  if (opts.shard && opts.shard.count > 1) throw new Error("runSweep: heldOut 'judged' needs every training run first; it does not shard");
  const training = planRuns(spec, 'training');
  const trained = await runPlan(training, dir, { ...opts, total: training.length + heldOutCount(spec) });
  const held = heldOutRuns(spec, trained);
  return [...trained, ...(await runPlan(held, dir, { ...opts, total: training.length + held.length }, training.length))];
}

/** How many held-out runs 'judged' adds: one setting per scenario, policy and held-out seed. */
function heldOutCount(spec: SweepSpec): number {
  let n = 0;
  for (const sc of spec.scenarios) if (sc.kind === 'synthetic') n += spec.policies.filter((p) => runsOn(sc, p.policy)).length * spec.seeds.heldOut.length;
  return n;
}

interface PlanOptions extends RunOptions {
  /** Progress counts out of this many (default: the plan's length). */
  total?: number;
}

async function runPlan(all: readonly RunSpec[], dir: string, opts: PlanOptions, doneBefore = 0): Promise<RunResult[]> {
  await mkdir(join(dir, 'runs'), { recursive: true });
  const shard = opts.shard ?? { index: 0, count: 1 };
  const runs = all.filter((_, i) => i % shard.count === shard.index);
  const total = opts.total ?? runs.length;
  const report = opts.onDone;
  const results: Array<RunResult | null> = await Promise.all(runs.map((r) => readCached(dir, r)));
  let done = doneBefore;
  for (const r of results) if (r) report?.(r, ++done, total, true);
  const todo = runs.map((_, i) => i).filter((i) => results[i] === null);
  const finish = async (i: number, r: RunResult) => {
    await store(dir, r);
    results[i] = r;
    report?.(r, ++done, total, false);
  };
  if (opts.threads === false) {
    for (const i of todo) await finish(i, await runOne(runs[i]!));
  } else {
    const n = Math.max(1, Math.min(opts.workers ?? availableParallelism(), todo.length));
    await pool(n, todo, (i) => runs[i]!, finish);
  }
  return results as RunResult[];
}

/** n worker threads, each fed the next index when it reports its previous result. */
async function pool(n: number, todo: number[], spec: (i: number) => RunSpec, finish: (i: number, r: RunResult) => Promise<void>): Promise<void> {
  let next = 0;
  const one = () =>
    new Promise<void>((resolveAll, rejectAll) => {
      const w = new Worker(siblingWorker(import.meta.url, 'worker'));
      let failed = false;
      const feed = () => {
        if (next >= todo.length) {
          void w.terminate().then(() => resolveAll());
          return;
        }
        const i = todo[next++]!;
        w.postMessage({ id: i, run: spec(i) });
      };
      w.on('message', (m: { id: number; result?: RunResult; error?: string }) => {
        if (m.error !== undefined) {
          failed = true;
          void w.terminate();
          rejectAll(new Error(`run ${JSON.stringify(spec(m.id).scenario.name)} seed ${spec(m.id).seed} ${spec(m.id).policy} failed: ${m.error}`));
          return;
        }
        finish(m.id, m.result!).then(feed, (e) => {
          failed = true;
          void w.terminate();
          rejectAll(e);
        });
      });
      w.on('error', (e) => {
        if (!failed) rejectAll(e);
      });
      feed();
    });
  await Promise.all(Array.from({ length: n }, one));
}
