// tidal sweep run FILE --out DIR [--workers N] [--shard K --shards N] | tidal sweep merge DIR
// A sweep runs every scenario x seed x policy x setting of a sweep file (simulator/sweep/file.ts),
// caches each run in DIR/runs, and writes the frontier analysis (sweep.md, sweep.json, one SVG per
// scenario). A shard runs only its part of the plan and writes no analysis; `merge` analyses the
// runs the shards left in one folder. `emit-job` writes the Kubernetes Indexed Job that runs the shards
// on a cluster (simulator/sweep/job.ts), and with --merge the Job that analyses their runs.

import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { analyse } from '../../simulator/sweep/analyse.ts';
import { loadSweepFile, type SweepSpec } from '../../simulator/sweep/file.ts';
import { sweepJobManifests, sweepMergeJobManifest, type SweepJobOptions } from '../../simulator/sweep/job.ts';
import { writeSweepOutputs } from '../../simulator/sweep/output.ts';
import { planRuns, readCached, runSweep } from '../../simulator/sweep/runner.ts';

function positiveInt(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min} (got ${v})`);
  return n;
}

async function finish(spec: SweepSpec, dir: string): Promise<void> {
  const results = await Promise.all(planRuns(spec).map(async (r) => ({ r, res: await readCached(dir, r) })));
  const missing = results.filter((x) => x.res === null);
  if (missing.length > 0) {
    const first = missing[0]!.r;
    throw new Error(`${dir}: ${missing.length} of ${results.length} runs missing (first: ${first.scenario.name} seed ${first.seed ?? 'trace'} ${first.policy}); run the remaining shards`);
  }
  const out = await writeSweepOutputs(analyse(spec, results.map((x) => x.res!)), dir);
  console.log(`wrote ${out.markdown}, ${out.html}, ${out.json}, ${out.charts.join(', ')}`);
}

export function register(program: Command): void {
  const sweep = program.command('sweep').description('Pareto sweeps: every policy over its knob values, tuned on training seeds, judged on held-out seeds');
  sweep
    .command('run <file>')
    .description('run a sweep file (cached per run in DIR/runs: an interrupted sweep resumes) and write sweep.md, sweep.json and an SVG per scenario')
    .requiredOption('--out <dir>', 'output folder')
    .option('--workers <n>', 'worker threads', String(availableParallelism()))
    .option('--shard <k>', 'run only shard K (0-based) of --shards N; no analysis (see merge)')
    .option('--shards <n>', 'number of shards')
    .action(async (file: string, f: { out: string; workers: string; shard?: string; shards?: string }) => {
      const spec = loadSweepFile(file);
      const workers = positiveInt('--workers', f.workers);
      if ((f.shard === undefined) !== (f.shards === undefined)) throw new Error('--shard and --shards go together');
      const shards = f.shards === undefined ? 1 : positiveInt('--shards', f.shards);
      const shard = f.shard === undefined ? 0 : positiveInt('--shard', f.shard, 0);
      if (shard >= shards) throw new Error(`--shard must be below --shards (${shard} >= ${shards})`);
      await mkdir(f.out, { recursive: true });
      // Shards of one Job write the same plan.json into one folder at once: write whole, then rename.
      const plan = join(f.out, 'plan.json');
      await writeFile(`${plan}.${process.pid}.tmp`, `${JSON.stringify(spec, null, 2)}\n`);
      await rename(`${plan}.${process.pid}.tmp`, plan);
      const t0 = Date.now();
      await runSweep(spec, f.out, {
        workers,
        shard: { index: shard, count: shards },
        onDone: (r, done, total, cached) => console.error(`[${done}/${total}] ${r.scenario} seed ${r.seed ?? 'trace'} ${r.policy} ${r.label}: ${r.batch.toFixed(1)} batch core-h, risk ${r.risk.toFixed(5)}${cached ? ' (cached)' : ` (${r.wallSeconds.toFixed(1)} s)`}`),
      });
      console.error(`runs done in ${((Date.now() - t0) / 1000).toFixed(1)} s with ${workers} worker(s)`);
      if (shards === 1) await finish(spec, f.out);
      else console.log(`shard ${shard} of ${shards} done; when every shard is: tidal sweep merge ${f.out}`);
    });
  sweep
    .command('merge <dir>')
    .description("analyse the runs every shard left in DIR (DIR/plan.json is the sweep they ran)")
    .action(async (dir: string) => {
      const spec = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8').catch(() => { throw new Error(`${dir}/plan.json missing: run a shard with --out ${dir} first`); })) as SweepSpec;
      await finish(spec, dir);
    });
  sweep
    .command('emit-job <file>')
    .description('write the Kubernetes Indexed Job that runs the sweep on a cluster, one shard per completion index, into one results volume; with --merge, the Job that analyses the runs once the shards are done')
    .requiredOption('--image <ref>', "Tidal's image (the shards and the merge must run the same one: the run cache digests the code)")
    .requiredOption('--results-claim <pvc>', 'a ReadWriteMany PersistentVolumeClaim for the runs (mounted at /results; the sweep writes /results/NAME)')
    .option('--shards <n>', 'completions of the Indexed Job (each shard runs every Nth run of the plan)', '4')
    .option('--parallelism <n>', 'shard pods at once (default: every shard)')
    .option('--workers <n>', 'worker threads per shard pod (its CPU request)', '1')
    .option('--memory <quantity>', 'memory request and limit per shard pod (default: 2Gi per worker)')
    .option('--name <name>', 'the Job name (default: tidal-sweep-FILE)')
    .option('--namespace <ns>', 'namespace', 'default')
    .option('--data-claim <pvc>', "a PersistentVolumeClaim holding the sweep file's folder (needed when a scenario replays a trace file; mounted read-only at /data)")
    .option('--data-dir <dir>', 'the local folder the data claim holds (default: the sweep file\'s folder)')
    .option('--backoff-limit-per-index <n>', 'retries of one failed shard', '2')
    .option('--merge', 'write the merge Job instead (apply it once the shard Job is complete)')
    .option('--out <file>', 'write the YAML here instead of standard output')
    .action(async (file: string, f: { image: string; resultsClaim: string; shards: string; parallelism?: string; workers: string; memory?: string; name?: string; namespace: string; dataClaim?: string; dataDir?: string; backoffLimitPerIndex: string; merge?: boolean; out?: string }) => {
      const sweepText = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new Error(`${file}: cannot read the sweep file (${e.code ?? e.message})`);
      });
      const spec = loadSweepFile(file);
      const workers = positiveInt('--workers', f.workers);
      const o: SweepJobOptions = {
        sweepFile: file,
        sweepText,
        spec,
        name: f.name ?? `tidal-sweep-${basename(file).replace(/\.ya?ml$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`,
        namespace: f.namespace,
        image: f.image,
        shards: positiveInt('--shards', f.shards),
        ...(f.parallelism === undefined ? {} : { parallelism: positiveInt('--parallelism', f.parallelism) }),
        workers,
        memory: f.memory ?? `${2 * workers}Gi`,
        resultsClaim: f.resultsClaim,
        ...(f.dataClaim === undefined ? {} : { dataClaim: f.dataClaim }),
        ...(f.dataDir === undefined ? {} : { dataDir: f.dataDir }),
        backoffLimitPerIndex: positiveInt('--backoff-limit-per-index', f.backoffLimitPerIndex, 0),
      };
      const docs = f.merge ? [sweepMergeJobManifest(o)] : sweepJobManifests(o);
      const yaml = docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
      if (f.out === undefined) process.stdout.write(yaml);
      else {
        await writeFile(f.out, yaml);
        console.error(`wrote ${f.out}: ${docs.map((d) => (d as { kind: string; metadata: { name: string } }).kind + '/' + (d as { metadata: { name: string } }).metadata.name).join(', ')}`);
      }
    });
}
