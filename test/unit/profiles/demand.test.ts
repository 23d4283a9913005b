// The profile schema's online-demand events and absolute windows by duration: valid forms, and
// errors that name file, line, column and field. Existing profiles stay valid and unchanged.

import { describe, expect, it } from 'vitest';
import { loadProfileFile, parseProfile, ProfileError } from '../../../profiles/loader.ts';
import { profileWarnings } from '../../../profiles/warnings.ts';

const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: Asia/Shanghai\n  default:\n    batchShare: 0.3\n    onlineHeadroom: 0.2\n';
const W = HEAD + '  windows:\n    - name: flash\n      start: "2026-11-11T00:00"\n';

function errors(text: string): string[] {
  try {
    parseProfile(text, 'bad.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as ProfileError).message.split('\n');
  }
  throw new Error('expected the profile to be refused');
}

describe('onlineDemand', () => {
  it('5x, a plain number and the mapping form; start + duration gives the end', () => {
    const start = Date.parse('2026-11-11T00:00+08:00');
    const a = parseProfile(W + '      duration: 2h\n      onlineDemand: 5x\n').windows[0]!;
    expect(a).toMatchObject({ start, end: start + 2 * 3_600_000, onlineDemand: { factor: 5, memoryFactor: 5, of: 'forecast', rampMs: 0 }, demandOnly: true });
    expect(parseProfile(W + '      end: "2026-11-11T02:00"\n      onlineDemand: 1.5\n').windows[0]!.onlineDemand).toEqual({ factor: 1.5, memoryFactor: 1.5, of: 'forecast', rampMs: 0 });
    const c = parseProfile(W + '      duration: 90m\n      onlineDemand:\n        factor: 0.5x\n        of: requests\n        ramp: 10m\n').windows[0]!;
    expect(c.onlineDemand).toEqual({ factor: 0.5, memoryFactor: 0.5, of: 'requests', rampMs: 600_000 });
    expect(c.end! - c.start!).toBe(90 * 60_000);
  });

  it('memory states its own factor (default: the factor), checked like it', () => {
    const d = parseProfile(W + '      duration: 2h\n      onlineDemand: {factor: 5x, memory: 1.2x, ramp: 1h}\n').windows[0]!.onlineDemand;
    expect(d).toEqual({ factor: 5, memoryFactor: 1.2, of: 'forecast', rampMs: 3_600_000 });
    expect(errors(W + '      duration: 2h\n      onlineDemand: {factor: 5x, memory: none}\n')[0]).toMatch(
      /^bad\.yaml:14:\d+: spec\.windows\[0\]\.onlineDemand\.memory: must be a multiplier greater than 0 such as 5x or 1\.5x \(got "none"\)/,
    );
  });

  it('a profile with no windows is valid (the forecast alone), with or without the key', () => {
    expect(parseProfile(HEAD).windows).toEqual([]);
    expect(parseProfile(HEAD + '  windows: []\n').windows).toEqual([]);
  });

  it('errors name the file, line, column and field', () => {
    expect(errors(W + '      duration: 2h\n      onlineDemand: five\n')).toContain('bad.yaml:14:21: spec.windows[0].onlineDemand: must be a multiplier greater than 0 such as 5x or 1.5x (got "five")');
    expect(errors(W + '      duration: 2h\n      onlineDemand: 0x\n')[0]).toMatch(/^bad\.yaml:14:21: spec\.windows\[0\]\.onlineDemand: must be a multiplier greater than 0/);
    expect(errors(W + '      duration: 2h\n      onlineDemand: {factor: 2, of: usage}\n')[0]).toMatch(/^bad\.yaml:14:\d+: spec\.windows\[0\]\.onlineDemand\.of: must be forecast \(the learned curves\) or requests \(got "usage"\)/);
    expect(errors(W + '      duration: 2h\n      onlineDemand: {factor: 2, ramp: soon}\n')[0]).toMatch(/^bad\.yaml:14:\d+: spec\.windows\[0\]\.onlineDemand\.ramp: "soon" is not a duration/);
    expect(errors(W + '      duration: 2h\n      onlineDemand: {of: requests}\n')[0]).toMatch(/spec\.windows\[0\]\.onlineDemand\.factor: required: a multiplier such as 5x/);
    expect(errors(W + '      duration: 2h\n      onlineDemand: {factor: 2, facter: 3}\n')[0]).toMatch(/spec\.windows\[0\]\.onlineDemand\.facter: unknown field/);
    expect(errors(W + '      duration: 2h\n      end: "2026-11-11T02:00"\n      onlineDemand: 2x\n')[0]).toMatch(/^bad\.yaml:13:17: spec\.windows\[0\]\.duration: give end or duration, not both/);
    expect(errors(W + '      duration: 0s\n      onlineDemand: 2x\n')[0]).toMatch(/^bad\.yaml:13:17: spec\.windows\[0\]\.duration: must be longer than 0/);
    expect(errors(W + '      duration: 2h\n')[0]).toMatch(/^bad\.yaml:11:7: spec\.windows\[0\]: a window must set batchShare, onlineHeadroom or both \(the other is taken from spec\.default\), or state an onlineDemand/);
  });

  it('a demand-only window inherits no level warning; daily-tidal states no demand, double11 states its festival (with levels: not demand-only)', () => {
    const p = parseProfile(HEAD.replace('0.3', '0.9') + '  windows:\n    - name: flash\n      start: "2026-11-11T00:00"\n      duration: 2h\n      onlineDemand: 5x\n');
    expect(profileWarnings(p, Date.parse('2026-11-01T00:00Z'), 10).filter((w) => w.includes('flash'))).toEqual([]);
    const daily = loadProfileFile(new URL('../../../profiles/daily-tidal.yaml', import.meta.url).pathname);
    expect(daily.windows.every((w) => w.onlineDemand === undefined && w.demandOnly === undefined)).toBe(true);
    const d11 = loadProfileFile(new URL('../../../profiles/double11.yaml', import.meta.url).pathname);
    expect(d11.windows.filter((w) => w.onlineDemand).map((w) => [w.name, w.onlineDemand!.factor, w.demandOnly ?? false])).toEqual([
      ['double11-peak', 5, false],
      ['double11-day', 2, false],
    ]);
  });
});
