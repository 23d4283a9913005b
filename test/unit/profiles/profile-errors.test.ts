// Invalid profiles the loader documents but test/unit/profiles does not exercise yet: each refused
// with file:line:column and the field path (complements shipped.test.ts).

import { describe, expect, it } from 'vitest';
import { loadProfileFile, parseProfile, ProfileError } from '../../../profiles/loader.ts';

function errors(text: string): string[] {
  try {
    parseProfile(text, 'bad.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the profile to be refused');
}

const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\n';
const SPEC = 'spec:\n  timeZone: UTC\n  default:\n    batchShare: 0.3\n    onlineHeadroom: 0.2\n';
const WINDOW = '  windows:\n    - name: w\n';

describe('invalid profiles (file, line, column, field)', () => {
  const cases: Array<[string, string, string]> = [
    ['a file that is not a mapping', '- a\n', 'bad.yaml:1:1: a profile must be a YAML mapping with apiVersion, kind, metadata and spec'],
    ['an unknown time zone', HEAD + SPEC.replace('UTC', 'Mars/Olympus'), 'bad.yaml:6:13: spec.timeZone: must be an IANA time zone such as Asia/Shanghai or UTC (got "Mars/Olympus")'],
    ['a ramp given as a bare number', HEAD + SPEC + '    ramp: 30\n', 'bad.yaml:10:11: spec.default.ramp: must be a duration string such as 30m or 1h30m (got 30)'],
    ['windows that are not a list', HEAD + SPEC + '  windows: {a: 1}\n', 'bad.yaml:10:12: spec.windows: must be a list of windows'],
    ['a window that is not a mapping', HEAD + SPEC + '  windows:\n    - just a string\n', 'bad.yaml:11:7: spec.windows[0]: each window must be a mapping with name, a schedule or start/end, and its level'],
    ['a priority that is not an integer', HEAD + SPEC + WINDOW + '      priority: high\n      batchShare: 0.1\n      schedule: {start: "01:00", end: "02:00"}\n', 'bad.yaml:12:17: spec.windows[0].priority: must be an integer (got "high")'],
    ['a window without a level', HEAD + SPEC + WINDOW + '      schedule: {start: "01:00", end: "02:00"}\n', 'bad.yaml:11:7: spec.windows[0]: a window must set batchShare, onlineHeadroom or both (the other is taken from spec.default), or state an onlineDemand'],
    ['a schedule that is not a mapping', HEAD + SPEC + WINDOW + '      batchShare: 0.1\n      schedule: nightly\n', 'bad.yaml:13:17: spec.windows[0].schedule: must be a mapping with days, start and end'],
    ['days that are not days', HEAD + SPEC + WINDOW + '      batchShare: 0.1\n      schedule: {days: fortnightly, start: "01:00", end: "02:00"}\n', 'bad.yaml:13:24: spec.windows[0].schedule.days: must be daily, weekdays, weekends or a list of days such as [Mon, Fri]'],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what}`, () => {
      expect(errors(text)).toEqual([message]);
    });
  }
});

describe('"required" only for what is missing', () => {
  it('a present but invalid clock time or instant says "must be", with what it got', () => {
    const win = (schedule: string) => HEAD + SPEC + WINDOW + '      batchShare: 0.1\n' + schedule;
    expect(errors(win('      schedule: {start: "25:00", end: "02:00"}\n')).join('\n')).toContain('spec.windows[0].schedule.start: must be a local time "HH:MM" (24-hour, quoted; got "25:00")');
    expect(errors(win('      schedule: {end: "02:00"}\n')).join('\n')).toContain('spec.windows[0].schedule.start: required: a local time "HH:MM" (24-hour, quoted)');
    expect(errors(win('      start: 5\n      end: "2026-11-11T00:00"\n')).join('\n')).toContain('spec.windows[0].start: must be an ISO 8601 time such as 2026-11-10T22:00 (local to spec.timeZone unless it has an offset) (got 5)');
  });

  it('a file that cannot be read is named without a :0:0: position', () => {
    expect(() => loadProfileFile('/nonexistent/p.yaml')).toThrow(/^\/nonexistent\/p\.yaml: cannot read: ENOENT/);
  });
});
