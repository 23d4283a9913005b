// What version of the simulator a cached sweep run came from: a digest of every source file that can
// change a run's result (the policy core, the simulator, the profile loader, package.json for the
// dependencies; not the files listed in NOT_IN_A_RUN), as .ts in the source tree or as .js in the
// installed package. Part of each run's cache key, so that a sweep folder kept across a code change
// reruns what the change may affect instead of reporting the old figures as new. Tests and docs are
// left out.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../../scheduler/cli/package-root.ts';

/** The code's root: the source tree (.ts), or the installed package's dist/ (.js). */
const CODE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CODE_TREES = ['scheduler/core', 'simulator', 'profiles'];
/** From the package root: the shipped profiles a synthetic scenario reads, and the dependencies. */
const PACKAGE_TREES = ['profiles'];
const FILES = ['package.json', 'package-lock.json'];
/** Shipped inputs a run reads by path (traces, profiles) are hashed too: a regenerated scenario is a new run. */
const SOURCE = /\.(ts|js|ya?ml|jsonl(\.gz)?|json)$/;
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
  'simulator/sweep/job.ts',
  'simulator/sweep/output.ts',
  'simulator/sweep/runner.ts',
]);

function walk(dir: string, out: Set<string>): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts') && !NOT_IN_A_RUN.has(relative(CODE_ROOT, p).replace(/\.js$/, '.ts'))) out.add(p);
  }
}

let cached: string | null = null;

/** sha256 (16 hex) of the sources, in path order; computed once per process. */
export function codeDigest(): string {
  if (cached !== null) return cached;
  const found = new Set<string>(FILES.map((f) => join(PACKAGE_ROOT, f)));
  for (const t of CODE_TREES) walk(join(CODE_ROOT, t), found);
  for (const t of PACKAGE_TREES) walk(join(PACKAGE_ROOT, t), found);
  const files = [...found].sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(PACKAGE_ROOT, f));
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
