// Shared by the benchmarks: timing statistics, a table printer, results as JSON under
// bench/results/, and --cpu-prof (the script re-runs itself under Node's profiler so that hot spots
// are visible: open the .cpuprofile in Chrome DevTools or speedscope).

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { quantileSorted } from 'simple-statistics';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** With --cpu-prof, re-executes this script under the profiler and exits with its status. */
export function profileIfAsked(script: string): void {
  const i = process.argv.indexOf('--cpu-prof');
  if (i < 0 || process.env.TIDAL_BENCH_PROFILING) return;
  const args = process.argv.slice(2).filter((_, k) => k !== i - 2);
  const dir = join(RESULTS_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, fileURLToPath(script), ...args], {
    stdio: 'inherit',
    env: { ...process.env, TIDAL_BENCH_PROFILING: '1' },
  });
  console.log(`CPU profiles written to ${dir}`);
  process.exit(r.status ?? 1);
}

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

export interface Stats {
  n: number;
  median: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n, median: 0, p99: 0, mean: 0, min: 0, max: 0 };
  return { n, median: quantileSorted(s, 0.5), p99: quantileSorted(s, 0.99), mean: s.reduce((a, b) => a + b, 0) / n, min: s[0]!, max: s[n - 1]! };
}

/** Times fn `runs` times after `warmup` untimed runs; milliseconds per call. */
export function timeCalls(fn: (k: number) => void, runs: number, warmup = Math.min(200, runs)): Stats {
  for (let k = 0; k < warmup; k++) fn(k);
  const t: number[] = new Array(runs);
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    fn(k);
    t[k] = performance.now() - t0;
  }
  return stats(t);
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const width = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [line(headers), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(3);
}

export function machine(): { cpus: number; model: string; node: string } {
  const c = cpus();
  return { cpus: c.length, model: c[0]?.model ?? 'unknown', node: process.version };
}

export function writeResults(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine: machine(), ...(data as object) }, null, 2) + '\n');
  return file;
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * A full garbage collection, without --expose-gc on the command line. Benchmarks call it between
 * building their fixtures and timing: otherwise the collection of what the build left behind lands
 * in the first timed row (the extender's first row read 0.16-0.66 ms run to run, 0.14-0.20 ms with
 * this, as the rows after it).
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
