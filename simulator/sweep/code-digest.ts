// What version of the simulator a cached sweep run came from: a digest of every source file that can
// change a run's result (the policy core, the simulator, the profile loader, package.json for the
// dependencies; not the files listed in NOT_IN_A_RUN). Part of each run's cache key, so that a sweep folder kept across a code change reruns
// what the change may affect instead of reporting the old figures as new. Tests and docs are left out.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TREES = ['scheduler/core', 'simulator', 'profiles'];
const FILES = ['package.json', 'package-lock.json'];
/** Shipped inputs a run reads by path (traces, profiles) are hashed too: a regenerated scenario is a new run. */
const SOURCE = /\.(ts|ya?ml|jsonl(\.gz)?|json)$/;
/**
 * Files that only plan, analyse or write up runs, never change one: editing the comparison's write-up
 * or a sweep file must not rerun its simulations (a sweep file's scenarios, seeds and settings are in
 * each run's key already).
 */
export const NOT_IN_A_RUN: ReadonlySet<string> = new Set([
  'simulator/scenarios/compare.ts',
  'simulator/scenarios/sweep.yaml',
  'simulator/scenarios/sweep-full.yaml',
  'simulator/scenarios/sweep-docs.yaml',
  'simulator/sweep/analyse.ts',
  'simulator/sweep/output.ts',
  'simulator/sweep/runner.ts',
]);

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (SOURCE.test(e.name) && !NOT_IN_A_RUN.has(relative(ROOT, p))) out.push(p);
  }
}

let cached: string | null = null;

/** sha256 (16 hex) of the sources, in path order; computed once per process. */
export function codeDigest(): string {
  if (cached !== null) return cached;
  const files: string[] = FILES.map((f) => join(ROOT, f));
  for (const t of TREES) walk(join(ROOT, t), files);
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(ROOT, f));
    h.update('\0');
    try {
      h.update(readFileSync(f));
    } catch {
      h.update('(missing)');
    }
    h.update('\0');
  }
  return (cached = h.digest('hex').slice(0, 16));
}
