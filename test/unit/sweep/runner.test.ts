// The sweep runner: a two-setting sweep gives the same figures as the two single runs, the same
// whether it runs in 2 worker threads or in-process, and a second call reuses the cached runs.

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { koordinatorPolicy } from '../../../simulator/peers/koordinator/policy.ts';
import { formatSeriesCsv, formatTotalsCsv } from '../../../simulator/report/index.ts';
import { SCENARIOS } from '../../../simulator/scenarios/make.ts';
import type { SweepSpec } from '../../../simulator/sweep/file.ts';
import { planRuns, runSweep } from '../../../simulator/sweep/runner.ts';
import { generate } from '../../../simulator/traces/index.ts';

const recipe = SCENARIOS.find((s) => s.file === 'normal-week.jsonl.gz')!;
const DAYS = 0.5;
const spec: SweepSpec = {
  source: 'test',
  riskBound: 0.001,
  tidal: 'koordinator',
  scenarios: [{ name: 'half-day', kind: 'synthetic', scenario: 'normal-week', days: DAYS, profile: join(process.cwd(), recipe.profile) }],
  seeds: { training: [7], heldOut: [] },
  policies: [{ policy: 'koordinator', settings: [{ reclaimCpuPercent: 45 }, { reclaimCpuPercent: 70 }] }],
};
const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tidal-sweep-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('runSweep', () => {
  it('plans scenario x policy x setting x seed', () => {
    expect(planRuns(spec).map((r) => [r.seed, r.setting.reclaimCpuPercent])).toEqual([[7, 45], [7, 70]]);
  });

  it('gives the figures of the single runs, in threads and in-process alike, and resumes from its cache', async () => {
    const dir = await tmp();
    const threaded = await runSweep(spec, dir, { workers: 2 });
    const single = await Promise.all(
      [45, 70].map(async (reclaimCpuPercent) => {
        const r = await simulate({ trace: generate({ ...recipe.input, seed: 7, days: DAYS }), profile: loadProfileFile(recipe.profile), policies: [koordinatorPolicy({ reclaimCpuPercent })] });
        return { totals: sha(formatTotalsCsv(r)), series: sha(formatSeriesCsv(r)), completed: r.policies[0]!.totals.batch.completedCoreHours };
      }),
    );
    expect(threaded.map((r) => ({ totals: r.digest.totals, series: r.digest.series, completed: r.batch }))).toEqual(single);
    expect(single[0]).not.toEqual(single[1]);

    const inProcess = await runSweep(spec, await tmp(), { threads: false });
    expect(inProcess.map((r) => r.digest)).toEqual(threaded.map((r) => r.digest));

    const cached: boolean[] = [];
    const again = await runSweep(spec, dir, { workers: 2, onDone: (_r, _d, _t, c) => cached.push(c) });
    expect(cached).toEqual([true, true]);
    expect(again.map((r) => r.digest)).toEqual(threaded.map((r) => r.digest));
    expect((await readdir(join(dir, 'runs'))).sort()).toEqual(threaded.map((r) => `${r.key}.json`).sort());
  }, 180_000);

  it('shards split the plan without overlap', async () => {
    const dir = await tmp();
    const a = await runSweep(spec, dir, { threads: false, shard: { index: 0, count: 2 } });
    expect(a.map((r) => r.setting.reclaimCpuPercent)).toEqual([45]);
    expect(await readdir(join(dir, 'runs'))).toHaveLength(1);
  }, 120_000);
});
