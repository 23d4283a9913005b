// Trace reader throughput. Run: node bench/traces-read.ts [--rows N]   (node = node_modules/.bin/node, Node 24)
// Every case runs in its own child process, so that its peak RSS is its own.
// 1. real cluster-trace-v2018 machine_meta + the machine_usage subset in ../shared/data/alibaba
//    (both grouped by machine, so both go through the external sort; skipped if absent);
// 2. real v2017 batch_task (80,553 tasks, pods derived, at most 10 per task);
// 3. the shipped double11-small.jsonl (native format);
// 4. a synthetic machine_usage table of N rows (default 2,000,000) grouped by machine, read with the
//    default run size (200,000): measures the spilling external sort and its memory.
// Each reads to the end, counting events; reported: events/s (best of 3 for the small ones) and peak RSS.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { readAlibaba2017 } from '../simulator/traces/alibaba2017.ts';
import { readAlibaba2018 } from '../simulator/traces/alibaba2018.ts';
import type { Trace } from '../simulator/traces/events.ts';
import { readTidalTrace } from '../simulator/traces/tidal.ts';

const DATA = fileURLToPath(new URL('../../shared/data/alibaba/', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../simulator/samples/double11-small.jsonl', import.meta.url));
const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 2_000_000;

// Sampled from inside the loops: a timer would not fire while they run on microtasks only.
let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

async function measure(name: string, open: () => Promise<Trace>, runs: number): Promise<void> {
  const rates: number[] = [];
  let n = 0;
  let ms = 0;
  peakRss = process.memoryUsage().rss;
  for (let r = 0; r < runs; r++) {
    const t = await open();
    const t0 = performance.now();
    n = 0;
    for await (const _ of t.events()) if ((++n & 0xffff) === 0) sampleRss();
    sampleRss();
    ms = performance.now() - t0;
    rates.push(n / (ms / 1000));
  }
  const best = Math.max(...rates);
  console.log(
    `${name.padEnd(58)} ${String(n).padStart(10)} events  ${ms.toFixed(0).padStart(7)} ms (last)  best ${Math.round(best).toLocaleString('en-US').padStart(9)} ev/s  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
}

const CASES: Record<string, () => Promise<void>> = {
  'v2018-meta-usage': () =>
    measure('v2018 machine_meta + machine_usage subset (real)', () => readAlibaba2018({ machine_meta: `${DATA}v2018_machine_meta.csv`, machine_usage: `${DATA}v2018_machine_usage_subset.csv` }), 3),
  'v2018-usage': () => measure('v2018 machine_usage subset alone (real, background)', () => readAlibaba2018({ machine_usage: `${DATA}v2018_machine_usage_subset.csv` }), 3),
  'v2017-task': () => measure('v2017 batch_task (real, <= 10 pods per task)', () => readAlibaba2017({ batch_task: `${DATA}v2017_batch_task.csv` }, { maxInstancesPerTask: 10 }), 3),
  native: () => measure('double11-small.jsonl (native)', () => readTidalTrace(SAMPLE), 3),
  spill: spilled,
};

async function spilled(): Promise<void> {
  // A machine_usage-shaped table, grouped by machine like the real one.
  const dir = await mkdtemp(join(tmpdir(), 'tidal-bench-'));
  try {
    const machines = 400;
    const perMachine = Math.ceil(ROWS / machines);
    const meta: string[] = [];
    for (let m = 1; m <= machines; m++) meta.push(`m_${m},0,${m % 50},${m % 20},96,100,USING`);
    await writeFile(join(dir, 'machine_meta.csv'), meta.join('\n') + '\n');
    const fh = await open(join(dir, 'machine_usage.csv'), 'w');
    for (let m = 1; m <= machines; m++) {
      let text = '';
      for (let i = 0; i < perMachine; i++) text += `m_${m},${i * 10 + (m % 10)},${(m + i) % 90},${(m * 7 + i) % 90},,,1.0,1.0,5\n`;
      await fh.write(text);
    }
    await fh.close();
    const tmp = join(dir, 'sort');
    await mkdir(tmp);
    await measure(`synthetic machine_usage ${(machines * perMachine).toLocaleString('en-US')} rows (spilled sort)`, () => readAlibaba2018(dir, { sort: { tmpDir: tmp } }), 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const only = process.argv.indexOf('--case');
if (only > 0) {
  await CASES[process.argv[only + 1]!]!();
  } else {
  console.log(`node ${process.version}`);
  const real = existsSync(`${DATA}v2018_machine_meta.csv`);
  if (!real) console.log(`real samples not found in ${DATA}: skipped`);
  for (const name of Object.keys(CASES)) {
    if (!real && name.startsWith('v20')) continue;
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--case', name, '--rows', String(ROWS)], { stdio: 'inherit' });
  }
  }
