// Sweep files: a good one resolves to scenarios, seeds and the product of knob values; bad ones are
// refused with file:line:column and the field.

import { describe, expect, it } from 'vitest';
import { YamlCheckError } from '../../../scheduler/config/yaml-checker.ts';
import { loadSweepFile, parseSweep } from '../../../simulator/sweep/file.ts';

const GOOD = `riskBound: 0.002
scenarios:
  - synthetic: normal-week
    days: 1
seeds:
  training: [1, 2]
  heldOut: [3, 4, 5]
policies:
  koordinator:
    reclaimCpuPercent: [40, 60]
    reclaimMemoryPercent: [65, 80]
  time-sharing: {}
`;

function issues(text: string): string[] {
  try {
    parseSweep(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof YamlCheckError) return e.message.split('\n');
    throw e;
  }
  throw new Error('accepted');
}

describe('sweep file', () => {
  it('resolves a good file', () => {
    const s = parseSweep(GOOD, 'good.yaml');
    expect(s.riskBound).toBe(0.002);
    expect(s.scenarios).toMatchObject([{ name: 'normal-week', kind: 'synthetic', days: 1 }]);
    expect(s.policies[0]!.settings).toEqual([
      { reclaimCpuPercent: 40, reclaimMemoryPercent: 65 },
      { reclaimCpuPercent: 40, reclaimMemoryPercent: 80 },
      { reclaimCpuPercent: 60, reclaimMemoryPercent: 65 },
      { reclaimCpuPercent: 60, reclaimMemoryPercent: 80 },
    ]);
    expect(s.policies[1]).toEqual({ policy: 'time-sharing', settings: [{}] });
    expect(s.tidal).toBe('time-sharing');
  });

  it('loads the shipped sweep files', () => {
    for (const f of ['simulator/scenarios/sweep.yaml', 'simulator/scenarios/sweep-full.yaml']) expect(loadSweepFile(f).policies.length).toBeGreaterThan(1);
  });

  it.each([
    ['an unknown knob', GOOD.replace('reclaimMemoryPercent', 'reclaimMemory'), 'bad.yaml:11:5: policies.koordinator.reclaimMemory: not a knob of koordinator'],
    ['a value out of range', GOOD.replace('[40, 60]', '[40, 160]'), 'bad.yaml:10:29: policies.koordinator.reclaimCpuPercent[1]: values must be numbers in [0, 100]'],
    ['an unknown policy', GOOD.replace('time-sharing: {}', 'tidal-magic: {}'), 'bad.yaml:12:3: policies.tidal-magic: unknown policy'],
    ['too few held-out seeds', GOOD.replace('[3, 4, 5]', '[3, 4]'), 'bad.yaml:7:12: seeds.heldOut: required: a list of at least 3'],
    ['a held-out seed used in training', GOOD.replace('[3, 4, 5]', '[2, 4, 5]'), 'bad.yaml:7:12: seeds.heldOut: held-out seeds must be new traces; also in training: 2'],
    ['an unknown scenario', GOOD.replace('normal-week', 'abnormal-week'), 'bad.yaml:3:16: scenarios[0].synthetic: unknown scenario "abnormal-week"'],
    ['a trace without a profile', GOOD.replace('- synthetic: normal-week\n    days: 1', '- trace: x.jsonl\n    name: x'), 'bad.yaml:3:5: scenarios[0].profile: required with trace'],
    ['a typo at the top', `${GOOD}riskbound: 0.1\n`, 'bad.yaml:13:1: riskbound: unknown field (did you mean riskBound?)'],
    ['a YAML syntax error', GOOD.replace('[1, 2]', '[1, 2'), 'bad.yaml:'],
  ])('refuses %s with its position', (_what, text, message) => {
    expect(issues(text).some((l) => l.startsWith(message))).toBe(true);
  });
});
