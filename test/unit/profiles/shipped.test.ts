import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadProfileFile, parseProfile, ProfileError } from '../../../profiles/loader.ts';
import { findOverlaps } from '../../../profiles/overlaps.ts';
import { ProfileTimeline } from '../../../scheduler/core/timeline.ts';

const dir = new URL('../../../profiles/', import.meta.url).pathname;

describe('shipped profiles', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  it('include daily-tidal and double11', () => {
    expect(files).toEqual(expect.arrayContaining(['daily-tidal.yaml', 'double11.yaml']));
  });
  for (const f of files) {
    it(`${f} validates`, () => {
      expect(() => loadProfileFile(dir + f)).not.toThrow();
    });
  }

  it('daily-tidal lends batch more at night than in the day', () => {
    const tl = new ProfileTimeline(loadProfileFile(dir + 'daily-tidal.yaml'));
    const night = tl.at(Date.parse('2026-11-03T03:00+08:00'));
    const day = tl.at(Date.parse('2026-11-03T14:00+08:00'));
    expect(night.batchShare).toBeGreaterThan(day.batchShare);
    expect(night.onlineHeadroom).toBeLessThan(day.onlineHeadroom);
  });

  it('double11 is active through the midnight peak of 11 November and not on the 12th', () => {
    const tl = new ProfileTimeline(loadProfileFile(dir + 'double11.yaml'));
    const peak = tl.at(Date.parse('2026-11-11T00:30+08:00'));
    expect(peak.segment.window?.name).toBe('double11-peak');
    expect(peak.batchShare).toBe(0);
    const after = tl.at(Date.parse('2026-11-12T12:00+08:00'));
    expect(after.segment.window?.name ?? 'default').not.toMatch(/double11/);
    expect(after.batchShare).toBeGreaterThan(0);
  });

  it('double11 drains batch before the peak starts (lead time) and gradually (ramp)', () => {
    const tl = new ProfileTimeline(loadProfileFile(dir + 'double11.yaml'));
    const at = (t: string): number => tl.at(Date.parse(t)).batchShare;
    expect(at('2026-11-10T19:30+08:00')).toBeCloseTo(0.2);
    expect(at('2026-11-10T21:00+08:00')).toBeCloseTo(0.1);
    expect(at('2026-11-10T22:00+08:00')).toBe(0);
    expect(at('2026-11-10T22:59+08:00')).toBe(0);
    expect(at('2026-11-11T03:00+08:00')).toBeCloseTo(0.15); // batch returns after the peak
  });

  it('double11 explains its overlaps', () => {
    const p = loadProfileFile(dir + 'double11.yaml');
    const o = findOverlaps(p, Date.parse('2026-11-10T00:00+08:00'), Date.parse('2026-11-12T00:00+08:00'));
    expect(o.some((x) => x.winner.name === 'double11-peak' && x.why.startsWith('priority'))).toBe(true);
  });
});

function errors(text: string): string[] {
  try {
    parseProfile(text, 'bad.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as ProfileError).message.split('\n');
  }
  throw new Error('expected the profile to be refused');
}

const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\n';
const SPEC = 'spec:\n  timeZone: UTC\n  default:\n    batchShare: 0.3\n    onlineHeadroom: 0.2\n';

describe('invalid profiles: every documented error names file, line and field', () => {
  it('YAML syntax', () => {
    expect(errors(HEAD + 'spec: [unclosed\n')[0]).toMatch(/^bad\.yaml:[1-9]\d*:\d+: YAML:/);
  });
  it('wrong apiVersion and kind', () => {
    const e = errors('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n' + SPEC);
    expect(e).toContain('bad.yaml:1:13: apiVersion: must be tidal.io/v1alpha1');
    expect(e).toContain('bad.yaml:2:7: kind: must be TimeSharingProfile');
  });
  it('fraction out of range', () => {
    expect(errors(HEAD + SPEC.replace('0.3', '1.3'))).toContain('bad.yaml:8:17: spec.default.batchShare: must be a number between 0 and 1 (got 1.3)');
  });
  it('unknown field with a suggestion', () => {
    expect(errors(HEAD + SPEC + '    headroom: 0.1\n')[0]).toBe('bad.yaml:10:5: spec.default.headroom: unknown field; allowed: batchShare, onlineHeadroom, drainLeadTime, ramp');
    expect(errors(HEAD + SPEC + '    Ramp: 5m\n')[0]).toMatch(/did you mean ramp\?/);
  });
  it('bad time zone, duration, clock time and day', () => {
    const e = errors(
      HEAD +
        'spec:\n  timeZone: Asia/Nowhere\n  default:\n    batchShare: 0.3\n    onlineHeadroom: 0.2\n    ramp: 5 minutes\n' +
        '  windows:\n    - name: w\n      batchShare: 0.5\n      schedule:\n        days: [Mon, Someday]\n        start: "7:00"\n        end: "25:00"\n',
    );
    expect(e.join('\n')).toMatch(/bad\.yaml:6:13: spec\.timeZone: must be an IANA time zone/);
    expect(e.join('\n')).toMatch(/bad\.yaml:10:11: spec\.default\.ramp: "5 minutes" is not a duration/);
    expect(e.join('\n')).toMatch(/spec\.windows\[0\]\.schedule\.days\[1\]: unknown day "Someday"/);
    expect(e.join('\n')).toMatch(/spec\.windows\[0\]\.schedule\.start: must be a local time "HH:MM" \(24-hour, quoted; got "7:00"\)/);
    expect(e.join('\n')).toMatch(/spec\.windows\[0\]\.schedule\.end: must be a local time "HH:MM" \(24-hour, quoted; got "25:00"\)/);
  });
  it('a window with both or neither of schedule and start/end', () => {
    expect(errors(HEAD + SPEC + '  windows:\n    - name: w\n      batchShare: 0.1\n').join('\n')).toMatch(/spec\.windows\[0\]: a window needs exactly one of/);
    expect(
      errors(HEAD + SPEC + '  windows:\n    - name: w\n      batchShare: 0.1\n      start: "2026-11-10T00:00"\n      end: "2026-11-11T00:00"\n      schedule: {start: "01:00", end: "02:00"}\n').join('\n'),
    ).toMatch(/exactly one of/);
  });
  it('absolute end before start, bad instants', () => {
    expect(errors(HEAD + SPEC + '  windows:\n    - name: w\n      batchShare: 0.1\n      start: "2026-11-11T00:00"\n      end: "2026-11-10T00:00"\n')).toContain(
      'bad.yaml:14:12: spec.windows[0].end: must be after start',
    );
    expect(errors(HEAD + SPEC + '  windows:\n    - name: w\n      batchShare: 0.1\n      start: "tomorrow"\n      end: "2026-11-10T00:00"\n').join('\n')).toMatch(
      /spec\.windows\[0\]\.start: not an ISO 8601 time/,
    );
  });
  it('duplicate window names and missing level', () => {
    const e = errors(HEAD + SPEC + '  windows:\n    - name: w\n      schedule: {start: "01:00", end: "02:00"}\n    - name: w\n      batchShare: 0.2\n      schedule: {start: "03:00", end: "04:00"}\n');
    expect(e.join('\n')).toMatch(/spec\.windows\[0\]: a window must set batchShare, onlineHeadroom or both/);
    expect(e.join('\n')).toMatch(/spec\.windows\[1\]\.name: duplicate window name "w" \(also spec\.windows\[0\]\)/);
  });
  it('missing spec and bad name', () => {
    const e = errors('apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: Bad_Name\n');
    expect(e.join('\n')).toMatch(/metadata\.name: required: a lowercase DNS-1123 name/);
    expect(e.join('\n')).toMatch(/spec: required/);
  });
  it('a file that cannot be read', () => {
    expect(() => loadProfileFile('/nonexistent/p.yaml')).toThrow(/^\/nonexistent\/p\.yaml: cannot read/);
  });
});
