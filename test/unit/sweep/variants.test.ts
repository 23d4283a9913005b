// What the comparison needs from the sweep beyond knobs: the equal-information variants of the peers
// (NAME+foresight), a scenario that runs only some of the policies, and the runner's 'judged' mode
// (held-out seeds only for the setting the training seeds chose), which must analyse exactly as a
// sweep that ran every setting on every seed.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { YamlCheckError } from '../../../scheduler/config/yaml-checker.ts';
import { katalystReclaimedPolicy } from '../../../simulator/peers/katalyst-reclaimed/policy.ts';
import { koordinatorPolicy } from '../../../simulator/peers/koordinator/policy.ts';
import { volcanoPolicy } from '../../../simulator/peers/volcano-tdm/policy.ts';
import { analyse, judgedSetting } from '../../../simulator/sweep/analyse.ts';
import { parseSweep, type SweepSpec } from '../../../simulator/sweep/file.ts';
import { buildPolicy, tunable } from '../../../simulator/sweep/knobs.ts';
import { planRuns, runSweep } from '../../../simulator/sweep/runner.ts';
import { SCENARIOS } from '../../../simulator/scenarios/make.ts';

const d11 = loadProfileFile('profiles/double11.yaml');

describe('equal-information variants (NAME+foresight)', () => {
  it('are the peer with its foresight knob at 1, tuned over its other knobs', () => {
    const cases: Array<[string, Record<string, number>, ReturnType<typeof koordinatorPolicy>]> = [
      ['koordinator+foresight', { reclaimCpuPercent: 50 }, koordinatorPolicy({ reclaimCpuPercent: 50, foresight: 1 })],
      ['volcano-tdm+foresight', { oversubscriptionRatio: 0.4 }, volcanoPolicy({ oversubscriptionRatio: 0.4, foresight: 1 })],
      ['katalyst-reclaimed+foresight', { reserveCores: 8 }, katalystReclaimedPolicy({ reserveCores: 8, foresight: 1 })],
    ];
    for (const [name, knobs, expected] of cases) {
      expect(Object.keys(tunable(name)!.knobs)).not.toContain('foresight');
      const built = buildPolicy(name, knobs);
      expect(JSON.stringify(built.profileFor(d11))).toBe(JSON.stringify(expected.profileFor(d11)));
    }
    // The Double 11 profile has a peak, so foresight changes koordinator's profile: a lowered window.
    expect(buildPolicy('koordinator+foresight', {}).profileFor(d11).windows.length).toBeGreaterThan(0);
    expect(buildPolicy('koordinator', {}).profileFor(d11).windows).toHaveLength(0);
  });

  it('refuses the foresight knob on a variant', () => {
    const text = `scenarios:\n  - synthetic: double11-week\nseeds:\n  training: [1]\n  heldOut: [2, 3, 4]\npolicies:\n  koordinator+foresight:\n    foresight: [0, 1]\n`;
    expect(() => parseSweep(text, 'v.yaml')).toThrow(/v\.yaml:8:5.*not a knob of koordinator\+foresight/s);
  });
});

describe("a scenario's own policy list", () => {
  const text = `scenarios:
  - synthetic: normal-week
    policies: [koordinator]
  - synthetic: double11-week
seeds:
  training: [1]
  heldOut: [2, 3, 4]
policies:
  koordinator: {}
  koordinator+foresight: {}
`;
  it('runs only the listed policies there', () => {
    const spec = parseSweep(text, 'p.yaml');
    expect(planRuns(spec).map((r) => `${r.scenario.name} ${r.policy}`)).toEqual([
      ...Array(4).fill('normal-week koordinator'),
      ...Array(4).fill('double11-week koordinator'),
      ...Array(4).fill('double11-week koordinator+foresight'),
    ]);
  });

  it('must name policies of the sweep', () => {
    try {
      parseSweep(text.replace('policies: [koordinator]', 'policies: [koordinator, crane]'), 'p.yaml');
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(YamlCheckError);
      expect((e as Error).message).toMatch(/p\.yaml:3:15.*not listed: crane/s);
    }
  });
});

describe("runSweep heldOut: 'judged'", () => {
  const recipe = SCENARIOS.find((s) => s.file === 'normal-week.jsonl.gz')!;
  const spec: SweepSpec = {
    source: 'test',
    riskBound: 0.001,
    tidal: 'koordinator',
    scenarios: [{ name: 'quarter-day', kind: 'synthetic', scenario: 'normal-week', days: 0.25, profile: join(process.cwd(), recipe.profile) }],
    seeds: { training: [7], heldOut: [8, 9, 10] },
    policies: [
      { policy: 'koordinator', settings: [{ reclaimCpuPercent: 30 }, { reclaimCpuPercent: 70 }] },
      { policy: 'kube-default', settings: [{}] },
    ],
  };
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('runs the held-out seeds only for the judged setting, and analyses as the full sweep does', async () => {
    const judgedDir = await mkdtemp(join(tmpdir(), 'tidal-judged-'));
    const fullDir = await mkdtemp(join(tmpdir(), 'tidal-full-'));
    dirs.push(judgedDir, fullDir);
    const judged = await runSweep(spec, judgedDir, { threads: false, heldOut: 'judged' });
    const full = await runSweep(spec, fullDir, { threads: false });
    // Training: 2 + 1 settings on seed 7; held-out: one setting per policy on seeds 8, 9, 10.
    expect(judged).toHaveLength(3 + 2 * 3);
    expect(full).toHaveLength(3 * 4);
    expect(await readdir(join(judgedDir, 'runs'))).toHaveLength(9);
    const a = analyse(spec, judged);
    expect(a).toEqual(analyse(spec, full));
    const koord = a.scenarios[0]!.policies[0]!;
    const chosen = judgedSetting(koord).label;
    expect(judged.filter((r) => r.policy === 'koordinator' && r.seed !== 7).map((r) => r.label)).toEqual([chosen, chosen, chosen]);
  }, 180_000);
});
