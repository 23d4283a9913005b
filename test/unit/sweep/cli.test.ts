// `tidal sweep`: a bad sweep file or flag fails with the position or the flag named, before any run.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let dir = '';
afterAll(async () => dir && rm(dir, { recursive: true, force: true }));

async function tidal(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ['scheduler/cli/tidal.ts', ...args]);
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

describe('tidal sweep', () => {
  it('names the file position of a bad knob and the bad flag', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidal-sweep-cli-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'scenarios:\n  - synthetic: normal-week\nseeds:\n  training: [1]\n  heldOut: [2, 3, 4]\npolicies:\n  koordinator:\n    reclaim: [50]\n');
    const bad = await tidal('sweep', 'run', file, '--out', join(dir, 'out'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${file}:8:5: policies.koordinator.reclaim: not a knob of koordinator`);
    const flag = await tidal('sweep', 'run', 'simulator/scenarios/sweep.yaml', '--out', join(dir, 'out'), '--shard', '2', '--shards', '2');
    expect(flag).toMatchObject({ code: 1 });
    expect(flag.stderr).toContain('--shard must be below --shards');
  }, 60_000);
});
