// The sweep's parameterised policies: at their defaults they ARE the named policies (byte-identical
// totals.csv and series.csv, as simulator/scenarios/digest.ts hashes them); off their defaults the
// knob reaches the simulation (the figures change).

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { policyByName, type SimPolicy } from '../../../simulator/policies/index.ts';
import { formatSeriesCsv, formatTotalsCsv } from '../../../simulator/report/index.ts';
import { SCENARIOS } from '../../../simulator/scenarios/make.ts';
import { buildPolicy, TUNABLES } from '../../../simulator/sweep/knobs.ts';
import { generate } from '../../../simulator/traces/index.ts';

const recipe = SCENARIOS.find((s) => s.file === 'normal-week.jsonl.gz')!;
const profile = loadProfileFile(recipe.profile);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function digest(p: SimPolicy): Promise<string> {
  const r = await simulate({ trace: generate({ ...recipe.input, days: 0.75 }), profile, policies: [p] });
  return `${sha(formatTotalsCsv(r))} ${sha(formatSeriesCsv(r))}`;
}

const DEFAULTS: Array<[string, Record<string, number>]> = Object.entries(TUNABLES).filter(([n]) => ['koordinator', 'volcano-tdm', 'katalyst-tide', 'katalyst-reclaimed', 'crane', 'time-sharing'].includes(n)).map(([n, t]) => [n, Object.fromEntries(Object.entries(t.knobs).map(([k, s]) => [k, s.default]))]);

const MOVED: Array<[string, Record<string, number>]> = [
  ['koordinator', { reclaimCpuPercent: 40 }],
  ['volcano-tdm', { oversubscriptionRatio: 0.2 }],
  ['katalyst-tide', { reserveOnline: 0.8 }],
  ['katalyst-reclaimed', { reserveCores: 30 }],
  ['crane', { percentile: 0.5 }],
  ['time-sharing', { batchScale: 0.5 }],
];

describe('parameterised policies', () => {
  it.each(DEFAULTS)('%s at its default knobs gives byte-identical reports', async (name, knobs) => {
    expect(Object.keys(knobs).length).toBeGreaterThan(0);
    expect(await digest(buildPolicy(name, knobs))).toBe(await digest(policyByName(name)));
  }, 120_000);

  it.each(MOVED)('%s off its default (%o) changes the figures', async (name, knobs) => {
    expect(await digest(buildPolicy(name, knobs))).not.toBe(await digest(policyByName(name)));
  }, 120_000);

  it('refuses a policy without knobs by name', () => {
    expect(() => buildPolicy('no-such-policy', {})).toThrow(/no sweep knobs/);
  });
});
